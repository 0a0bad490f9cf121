/**
 * The command line in-process (main() with stdout/stderr captured, no child process): bad command lines exit 2
 * naming the option, --json errors are JSON on stdout, help works as `snnc help <command>` with whole example
 * lines, the output folder is checked before any work (procfs, sysfs, under a file), messages name each file
 * once, `targets --json` has no float noise, and the small pure helpers of compile and run.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { accuracyLossWarning } from "../../compiler/cli/compile.ts";
import { classNamesNear } from "../../compiler/cli/classes.ts";
import { COMMANDS } from "../../compiler/cli/commands.ts";
import { main, MIN_WRAP, normaliseArgv } from "../../compiler/cli/main.ts";
import { checkWritable, displayPath, writeAtomically } from "../../compiler/cli/output.ts";
import { formatDiagnostic, isSnncError } from "../../compiler/diagnostics.ts";
import { SNNC_VERSION } from "../../compiler/version.ts";

interface Ran { code: number; stdout: string; stderr: string }

/** Runs main() with process.stdout/stderr writes captured. */
async function cli(args: string[]): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const CNN = "examples/fashion-mnist/cnn/model.json";

describe("snnc command line (in-process)", function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), "snnc-opts-"));

  it("every bad command line exits 2 with a message naming the option", async () => {
    const cases: [string[], RegExp][] = [
      [["compile", CNN, "-t", "loihi", "--timesteps", "0"], /--timesteps must be an integer ≥ 1, got 0/],
      [["compile", CNN, "-t", "loihi", "--timesteps", "-5"], /--timesteps .* got -5/],
      [["compile", CNN, "-t", "loihi", "--timesteps", "abc"], /--timesteps .* got "abc"/],
      [["compile", CNN, "-t", "loihi", "-T", "2.5"], /--timesteps .* got 2\.5/],
      [["compile", CNN, "-t", "loihi", "--timesteps"], /timesteps/],
      [["compile", CNN, "-t", "loihi", "--method", "foo"], /method.*foo/],
      [["compile", CNN, "-t", "loihi", "--percentile", "0"], /--percentile/],
      [["compile", CNN, "-t", "loihi", "--samples", "x"], /--samples/],
      [["run", "d", "-i", "x.npy", "--workers", "0"], /--workers/],
      [["run", "d", "-i", "x.npy", "--probe", "core:1"], /--probe .*--trace/],
      [["verify", "d", "--samples", "-1"], /--samples/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["compile", CNN], /target/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).to.equal(2);
      expect(r.stderr, args.join(" ")).to.match(/^error SNNC00[34]: /);
      expect(r.stderr, args.join(" ")).to.match(message);
      expect(r.stdout, args.join(" ")).to.equal("");
    }
  });

  it("--json prints errors as one JSON object on stdout, with the same exit code", async () => {
    const usage = await cli(["compile", CNN, "-t", "loihi", "-T", "0", "--json"]);
    expect(usage.code).to.equal(2);
    expect(JSON.parse(usage.stdout)).to.deep.equal({ error: { code: "SNNC003", message: "--timesteps must be an integer ≥ 1, got 0", hint: "snnc --help" } });
    const user = await cli(["run", join(dir, "nope"), "-i", "x.npy", "--json"]);
    expect(user.code).to.equal(1);
    const e = JSON.parse(user.stdout).error;
    expect(e.code).to.equal("SNNC001");
    expect(e.message).to.include("nope");
    expect(e.hint).to.be.a("string");
  });

  it("help: snnc help <command>, -h, top-level examples, -v, whole example lines", async () => {
    expect(normaliseArgv(["help", "compile"])).to.deep.equal(["compile", "--help"]);
    const top = await cli(["help"]);
    expect(top.code).to.equal(0);
    expect(top.stdout).to.match(/Examples:/);
    expect(top.stdout).to.include("snnc compile examples/fashion-mnist/cnn/model.json --target loihi -o build/cnn-loihi");
    const compile = await cli(["help", "compile"]);
    expect(compile.code).to.equal(0);
    expect(compile.stdout).to.include("--timesteps");
    // Each example command stays on one line, so it can be copied.
    expect(compile.stdout).to.include("snnc compile model.h5 -t spinnaker --calibration data/ --method ttrbr -T 64");
    // Every example fits the narrowest help width (a narrow terminal), so yargs never wraps one.
    const out = process.stdout as { columns: number | undefined };
    const columns = out.columns;
    out.columns = 60;
    const helps: string[] = [];
    try {
      for (const c of [[], ...COMMANDS.map((e) => [e.name])]) helps.push((await cli([...c, "--help"])).stdout);
    } finally {
      out.columns = columns;
    }
    expect(helps.join("\n")).to.include("  snnc inspect build/cnn-loihi/network.snnb --json > dump.json");
    expect(helps.join("\n")).to.include("  snnc run build/cnn-loihi -i x.npy --trace t.csv --probe layer:conv1:0,1,2 --probe core:3\n");
    for (const help of helps) {
      const lines = help.slice(help.indexOf("Examples:")).split("\n").filter((l) => l.startsWith("  snnc "));
      expect(lines.length, help.slice(0, 40)).to.be.greaterThan(0);
      for (const l of lines) expect(l.length, l).to.be.below(MIN_WRAP);
    }
    const report = await cli(["report", "--help"]);
    expect(report.stdout).to.match(/--format.*json: report\.json as is/);
    for (const v of ["-v", "--version"]) {
      const r = await cli([v]);
      expect(r.code).to.equal(0);
      expect(r.stdout.trim()).to.equal(SNNC_VERSION);
    }
  });

  it("the command list shown by --help is each command's own", async () => {
    for (const entry of COMMANDS) {
      const spec = await entry.load();
      expect(spec.command, entry.name).to.equal(entry.command);
      expect(spec.describe, entry.name).to.equal(entry.describe);
    }
  });

  it("the output folder is checked before any work: /proc, /sys, under a file (SNNC002 with a hint)", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    // The model does not exist: getting SNNC002 (not SNNC001) proves the folder is checked first.
    for (const out of ["/proc/snnc-out/x", "/sys/snnc-out", join(file, "sub")]) {
      const r = await cli(["compile", "/nope/model.json", "-t", "loihi", "-o", out]);
      expect(r.code, out).to.equal(1);
      expect(r.stderr, out).to.match(/^error SNNC002: cannot (create|write)/);
      expect(r.stderr, out).to.match(/hint: choose another output folder/);
    }
    // writeAtomically itself never loops on procfs (mkdirSync recursive did, for ever).
    expect(() => writeAtomically("/proc/snnc-out/x", new Map([["a.txt", "a"]]))).to.throw(/cannot/);
    expect(() => checkWritable(join(dir, "new", "deeper"))).not.to.throw();
  });

  it("messages name a file once: model, target, report folder", async () => {
    const model = await cli(["compile", "/tmp/nope/model.json", "-t", "loihi", "-o", join(dir, "m")]);
    expect(model.stderr.split("\n")[0]).to.equal("error SNNC001: model file /tmp/nope/model.json not found");
    const target = await cli(["compile", CNN, "-t", "loihi3", "-o", join(dir, "t")]);
    expect(target.stderr.split("\n")[0]).to.equal('error SNNC301: unknown target "loihi3"');
    const report = await cli(["report", dir]);
    expect(report.stderr.split("\n")[0]).to.equal(`error SNNC701: no report.json in ${dir}`);
  });

  it("targets --json: no float noise, one topology name per target", async () => {
    const r = await cli(["targets", "--json"]);
    expect(r.code).to.equal(0);
    for (const t of JSON.parse(r.stdout).targets as { synOpPicojoules: number; topology: string }[]) {
      expect(String(t.synOpPicojoules)).to.match(/^\d+(\.\d{1,6})?$/);
      expect(t.topology).to.match(/^(mesh2d|hex-torus) \d+×\d+$/);
    }
    expect(r.stdout).not.to.include("triangular");
  });

  it("wrote paths are relative to the current folder", () => {
    expect(displayPath(resolve("build/cnn-loihi/report.json"))).to.equal(join("build", "cnn-loihi", "report.json"));
    expect(displayPath("/elsewhere/x")).to.equal("/elsewhere/x");
  });

  it("SNNC-W010 when the SNN falls more than 2 points below the ANN, naming the fix", () => {
    const base = { method: "ecc", timesteps: 32 };
    expect(accuracyLossWarning({ ...base, accuracy: { ann: 0.91, snn: 0.895, samples: 1000 } }, undefined)).to.equal(null);
    expect(accuracyLossWarning({ ...base, accuracy: null }, undefined)).to.equal(null);
    const w = accuracyLossWarning({ ...base, accuracy: { ann: 0.91, snn: 0.703, samples: 1000 } }, undefined);
    expect(w?.code).to.equal("SNNC-W010");
    expect(w?.message).to.include("20.70 points below");
    expect(w?.message).to.include("--percentile 99.9");
    expect(w?.message).to.include("--method ttrbr");
    const mt = accuracyLossWarning({ method: "mt", timesteps: 8, accuracy: { ann: 0.91, snn: 0.8, samples: 100 } }, undefined);
    expect(mt?.message).to.include("-T 16");
    expect(mt?.message).not.to.include("--percentile");
  });

  it("class names of the examples (Fashion-MNIST) are found next to the model", () => {
    const names = classNamesNear(CNN, 10);
    expect(names?.[9]).to.equal("Ankle boot");
    expect(classNamesNear(CNN, 5)).to.equal(null);
  });

  it("coded errors from passes print the same (sanity of the shared formatter)", () => {
    const e = { code: "SNNC001", message: "model file x not found", loc: { file: "x" }, hint: undefined };
    expect(isSnncError(e)).to.equal(false);
    expect(formatDiagnostic(e as never)).to.equal("error SNNC001: model file x not found");
  });
});
