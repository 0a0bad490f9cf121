/**
 * `snnc sweep`: the grid, the Pareto set, the same points on local threads and on BullMQ workers (a real
 * redis-server; in-process workers, each compiling on its own thread), and sweep.html opened in headless
 * Chromium (Debian's /usr/bin/chromium): no errors or requests, one circle per compiled point, the Pareto set
 * filled; CSV with one row per point.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { isSnncError } from "../../compiler/diagnostics.ts";
import { type RunningWorker, startWorker } from "../../compiler/distributed/worker.ts";
import { gridOf, paretoSet, type SweepPoint } from "../../compiler/sweep/grid.ts";
import { CSV_COLUMNS, renderCsv, renderHtml } from "../../compiler/sweep/report.ts";
import { runSweep, type SweepRequest, type SweepResult } from "../../compiler/sweep/run.ts";
import { type RedisServer, startRedis, stopAll } from "./cluster.ts";
import { smallConvModel } from "../helpers/small.ts";

const CHROMIUM = "/usr/bin/chromium";

function point(target: string, snn: number, joules: number, seconds: number): SweepPoint {
  return {
    target, method: "ecc", timesteps: 8, ok: true,
    metrics: { targetTitle: target, accuracy: { ann: 0.9, snn, samples: 10 }, joulesPerInference: joules, secondsPerInference: seconds, spikesPerInference: 1, synapticOpsPerInference: 1, cores: 1, chips: 1, neurons: 1, synapses: 1, bitExact: true },
  };
}

describe("snnc sweep", function () {
  this.timeout(120_000);
  let req: SweepRequest;
  let local: SweepResult;
  let redis: RedisServer | null = null;
  const workers: RunningWorker[] = [];

  before(async () => {
    const small = await smallConvModel(7, "sweep");
    req = {
      model: small.model, data: small.data, targets: "targets/tiny.json,targets/tiny-spinnaker.json", methods: "ecc,mt", timesteps: "4,8",
      samples: 24, calibrationSamples: 32, verifySamples: 2, seed: 1, chips: 4, threads: 2,
    };
    local = await runSweep(req);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await stopAll();
  });

  it("the grid is every combination; bad lists are SNNC810", () => {
    expect(gridOf("a,b", "ecc,mt", "4,8").map((p) => `${p.target}/${p.method}/${p.timesteps}`)).to.deep.equal(["a/ecc/4", "a/ecc/8", "a/mt/4", "a/mt/8", "b/ecc/4", "b/ecc/8", "b/mt/4", "b/mt/8"]);
    for (const bad of [["a", "ecc", ""], ["a", "nope", "4"], ["a", "ecc", "4,x"], ["a,a", "ecc", "4"]] as const) {
      try {
        gridOf(bad[0], bad[1], bad[2]);
        expect.fail(`accepted ${bad.join(" ")}`);
      } catch (e) {
        expect(isSnncError(e) && e.code).to.equal("SNNC810");
      }
    }
  });

  it("the Pareto set keeps exactly the non-dominated points", () => {
    const pts = [point("a", 0.9, 2, 2), point("b", 0.8, 1, 2), point("c", 0.8, 2, 2), point("d", 0.7, 3, 1), point("e", 0.9, 2, 2)];
    expect(paretoSet(pts)).to.deep.equal([0, 1, 3, 4]);
  });

  it("compiles every point on threads; failed points carry their code", () => {
    expect(local.points).to.have.length(8);
    const ok = local.points.filter((p) => p.ok);
    expect(ok).to.have.length(4);
    for (const p of ok) expect(p.ok && p.metrics.bitExact).to.equal(true);
    for (const p of local.points.filter((q) => !q.ok)) expect(!p.ok && p.error.code).to.equal("SNNC303");
    expect(local.pareto.length).to.be.greaterThan(0);
    const csv = renderCsv(local).trimEnd().split("\n");
    expect(csv[0]).to.equal(CSV_COLUMNS.join(","));
    expect(csv).to.have.length(9);
  });

  it("the same points on BullMQ workers as on local threads", async () => {
    redis = await startRedis();
    for (let i = 0; i < 2; i++) workers.push(await startWorker({ url: redis.url, lockDurationMs: 5000, stalledIntervalMs: 2000 }));
    const remote = await runSweep({ ...req, queue: redis.url });
    expect(remote.points).to.deep.equal(local.points);
    expect(remote.pareto).to.deep.equal(local.pareto);
  });

  describe("sweep.html in a browser", () => {
    let browser: Browser | null = null;
    let dir = "";
    before(async function () {
      if (!existsSync(CHROMIUM)) {
        console.warn(`      skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), "snnc-sweep-html-"));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"] });
    });
    after(async () => {
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("shows the Pareto front as SVG, with no errors or requests", async () => {
      const file = join(dir, "sweep.html");
      writeFileSync(file, renderHtml(local));
      const url = pathToFileURL(file).href;
      const page = await (browser as Browser).newPage({ viewport: { width: 1300, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(url, { waitUntil: "load" });
      const ok = local.points.filter((p) => p.ok).length;
      for (const id of ["chart-energy-accuracy", "chart-latency-accuracy"]) {
        const svg = page.locator(`svg#${id}`);
        expect(await svg.isVisible(), id).to.equal(true);
        const box = await svg.boundingBox();
        expect(box && box.width > 200 && box.height > 100, id).to.equal(true);
        expect(await page.locator(`#${id} circle.point`).count(), id).to.equal(ok);
        expect(await page.locator(`#${id} circle.pareto`).count(), id).to.equal(local.pareto.length);
        expect(((await page.locator(`#${id} polyline.front`).getAttribute("points")) ?? "").trim().split(/\s+/).length).to.be.greaterThan(0);
      }
      expect(await page.locator("table.sweep tbody tr").count()).to.equal(local.points.length);
      expect(await page.locator("table.sweep tr.failed").count()).to.equal(local.points.length - ok);
      expect(errors).to.deep.equal([]);
      expect(requests).to.deep.equal([url]);
      await page.close();
    });
  });
});
