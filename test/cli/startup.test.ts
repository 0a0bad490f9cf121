/**
 * Start-up: each command imports only what it needs (compiler/cli/commands.ts loads one command; heavy
 * packages are imported inside the commands that use them). Child processes of compiler/cli/snnc.js with a
 * module hook (test/helpers/load-hook.mjs) that reports every heavy package resolved. No timing is asserted
 * (bench/startup.ts measures it); the test fails when, say, tfjs is imported before the arguments are parsed.
 */
import { spawnSync } from "node:child_process";
import { expect } from "chai";

const HEAVY = ["@tensorflow/tfjs", "@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm", "h5wasm", "ts-morph", "typescript", "binary-parser"];

function loaded(args: string[]): { code: number; packages: string[]; stdout: string } {
  const r = spawnSync(process.execPath, ["--import", "./test/helpers/load-hook.mjs", "compiler/cli/snnc.js", ...args], { encoding: "utf8", timeout: 120_000 });
  const packages = [...new Set([...r.stderr.matchAll(/^LOAD (\S+)$/gm)].map((m) => m[1] as string))];
  return { code: r.status ?? -1, packages, stdout: r.stdout };
}

describe("snnc start-up imports", function () {
  this.timeout(120_000);

  it("--version, --help and targets import none of the heavy packages", () => {
    for (const args of [["--version"], ["--help"], ["targets"]]) {
      const r = loaded(args);
      expect(r.code, args.join(" ")).to.equal(0);
      expect(r.packages.filter((p) => HEAVY.includes(p)), args.join(" ")).to.deep.equal([]);
    }
  });

  it("compile --help imports neither tfjs, h5wasm nor ts-morph (the compile itself does)", () => {
    const r = loaded(["compile", "--help"]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("--timesteps");
    expect(r.packages.filter((p) => HEAVY.includes(p))).to.deep.equal([]);
  });
});
