/**
 * Golden tests of --dump-ir: a tiny hand-made network (test/helpers/tiny.ts) compiled for a mesh target
 * (loihi) and a multicast one (spinnaker); each pass's dump must equal test/golden/<case>/NN-pass.json.
 * After an intended change, regenerate with `SNNC_UPDATE_GOLDEN=1 npx mocha test/golden/golden.test.ts` and
 * review the diff. Also: --stop-after ends the run after the named pass with only the dumps so far.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { runCompile } from "../../compiler/compile.ts";
import { PASS_NAMES } from "../../compiler/pass.ts";
import { PIPELINE } from "../../compiler/pipeline.ts";
import { request } from "../helpers/compile.ts";
import { type TinyModel, writeTinyModel } from "../helpers/tiny.ts";

const UPDATE = process.env.SNNC_UPDATE_GOLDEN === "1";
const GOLDEN = "test/golden";

describe("golden --dump-ir (tiny network)", function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), "snnc-golden-"));
  let tiny: TinyModel;
  const tinyRequest = (target: string) => request(tiny.model, target, {
    data: tiny.data, timesteps: 8, samples: 8, calibrationSamples: 16, verifySamples: 2,
  });
  before(() => {
    tiny = writeTinyModel(dir);
  });

  for (const target of ["loihi", "spinnaker"]) {
    describe(`tiny on ${target}`, () => {
      const dumps = new Map<string, string>();
      before(async () => {
        const r = await runCompile({ ...tinyRequest(target), dumpIr: (file, json) => dumps.set(file, json.split(dir).join("$TMP")) },
          { warn: () => {}, progress: () => {}, stage: () => {} });
        expect(r.complete).to.equal(true);
      });
      PASS_NAMES.forEach((pass, i) => {
        it(`${pass}`, () => {
          const file = `${String(i + 1).padStart(2, "0")}-${pass}.json`;
          const got = dumps.get(file);
          expect(got, `no dump ${file}`).to.be.a("string");
          const path = join(GOLDEN, `tiny-${target}`, file);
          if (UPDATE) {
            mkdirSync(join(GOLDEN, `tiny-${target}`), { recursive: true });
            writeFileSync(path, got as string);
          }
          expect(existsSync(path), `${path} missing: run with SNNC_UPDATE_GOLDEN=1`).to.equal(true);
          expect(got).to.equal(readFileSync(path, "utf8"));
        });
      });
    });
  }

  it("the pipeline runs every pass name, in the order PASS_NAMES lists", () => {
    expect(PIPELINE.names).to.deep.equal([...PASS_NAMES]);
  });

  it("--stop-after quantise: the state so far, dumps of the first five passes only, no binary", async () => {
    const files: string[] = [];
    const r = await runCompile({ ...tinyRequest("loihi"), stopAfter: "quantise", dumpIr: (file) => files.push(file) },
      { warn: () => {}, progress: () => {}, stage: () => {} });
    expect(r.complete).to.equal(false);
    if (r.complete) return;
    expect(r.stoppedAfter).to.equal("quantise");
    expect(files).to.deep.equal(["01-import.json", "02-tfjs-check.json", "03-convert.json", "04-measure.json", "05-quantise.json"]);
    expect(r.state.quantised?.q.populations.length).to.be.greaterThan(2);
    expect(r.state.binary).to.equal(undefined);
  });
});
