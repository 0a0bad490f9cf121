/**
 * runtime/threads.ts's pool of kept workers: a second job reuses the idle worker (no new start, the job module
 * loaded once), concurrent jobs get a worker each, data and results cross intact, a coded error comes back coded
 * (code, location, hint) and a plain one as an Error, and the worker that threw is kept.
 */
import { expect } from "chai";
import { threadId } from "node:worker_threads";
import { isSnncError } from "../../compiler/diagnostics.ts";
import { jobModule, pooledWorkersStarted, runPooled } from "../../runtime/threads.ts";

const JOB = jobModule(new URL("../helpers/pool-job.ts", import.meta.url).href, "pool-job");
type Echo = { x: Float32Array; thread: number; calls: number };

describe("kept worker pool", function () {
  this.timeout(60_000);

  it("reuses an idle worker, starts one per concurrent job, and returns coded errors coded", async () => {
    const x = Float32Array.from([1.5, -2, 3]);
    const a = await runPooled<Echo>(JOB, "echo", { x });
    const started = pooledWorkersStarted();
    const b = await runPooled<Echo>(JOB, "echo", { x });
    expect(pooledWorkersStarted()).to.equal(started);
    expect(Array.from(b.x)).to.deep.equal([1.5, -2, 3]);
    expect(a.thread).to.not.equal(threadId);
    expect(b.thread).to.equal(a.thread);
    expect(b.calls).to.equal(a.calls + 1);
    const [c, d] = await Promise.all([runPooled<Echo>(JOB, "echo", { x }), runPooled<Echo>(JOB, "echo", { x })]);
    expect(c.thread).to.not.equal(d.thread);
    const err = await runPooled(JOB, "coded", {}).then(() => null, (e: unknown) => e);
    expect(isSnncError(err)).to.equal(true);
    expect(err).to.include({ code: "SNNC811", message: "a coded failure", hint: "a hint" });
    expect((err as { loc: unknown }).loc).to.deep.equal({ layer: "l1" });
    const plain = await runPooled(JOB, "plain", {}).then(() => null, (e: unknown) => e);
    expect(isSnncError(plain)).to.equal(false);
    expect((plain as Error).message).to.equal("a plain failure");
    const after = pooledWorkersStarted();
    await runPooled<Echo>(JOB, "echo", { x });
    expect(pooledWorkersStarted()).to.equal(after);
  });
});
