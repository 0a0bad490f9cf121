/**
 * @fileoverview Start-up bench: wall time of whole `snnc` processes, median of 5 runs each, for the commands a
 * user types first: `--version`, `--help`, `targets`, and `run` of one image on the CNN (compiled once here
 * for Loihi with few samples, unless --dir gives a compiled folder). Runs compiler/cli/snnc.js as `npx snnc`
 * does: the compiled dist/ (`npm run build`; stale or missing → the TypeScript sources through tsx), or with
 * `--tsx` the sources through tsx (how snnc started before dist/ existed). Prints a Markdown table.
 *
 *   npm run bench:startup                     # npx tsx bench/startup.ts [--runs 5] [--dir DIR] [--tsx]
 *
 * Wall times are only meaningful on a quiet machine: other processes on the cores inflate every figure. With
 * GNU time installed each process's CPU time (user + system) is reported too, a steadier figure on a shared
 * machine (the commands are single-threaded, so on a quiet machine wall ≈ CPU).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg("--runs") ?? 5);
const TSX = process.argv.includes("--tsx");
const SNNC = "compiler/cli/snnc.js";
const env = { ...process.env, ...(TSX ? { SNNC_TSX: "1" } : {}) };

/** GNU time, when installed, also gives each process's CPU time (user + system): on a shared machine the
 * wall time includes waiting for a core, the CPU time much less so. */
const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const CPU_MARK = "snnc-startup-cpu";

function snnc(args: string[]): { seconds: number; cpu: number | null; code: number; stderr: string } {
  const t0 = performance.now();
  const r = GNU_TIME
    ? spawnSync(GNU_TIME, ["-f", `${CPU_MARK} %U %S`, process.execPath, SNNC, ...args], { encoding: "utf8", env, maxBuffer: 1 << 28 })
    : spawnSync(process.execPath, [SNNC, ...args], { encoding: "utf8", env, maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t0) / 1000;
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(r.stderr);
  return { seconds, cpu: m ? Number(m[1]) + Number(m[2]) : null, code: r.status ?? -1, stderr: r.stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

if (!TSX && !existsSync("dist/.stamp")) console.error("note: no dist/ (npm run build): snnc.js will run the sources through tsx");
let dir = arg("--dir");
if (!dir) {
  dir = join(mkdtempSync(join(tmpdir(), "snnc-startup-")), "cnn-loihi");
  console.error(`compiling the CNN for Loihi into ${dir} (16 samples) ...`);
  const c = snnc(["compile", "examples/fashion-mnist/cnn/model.json", "-t", "loihi", "-o", dir, "--samples", "16", "--verify-samples", "1", "--calibration-samples", "64", "--no-tfjs-check", "--no-emulator", "--quiet"]);
  if (c.code !== 0) throw new Error(`compile failed: ${c.stderr}`);
}
const CASES: { label: string; args: string[]; goal: number }[] = [
  { label: "snnc --version", args: ["--version"], goal: 0.3 },
  { label: "snnc --help", args: ["--help"], goal: 0.3 },
  { label: "snnc targets", args: ["targets"], goal: 0.5 },
  { label: "snnc run DIR -i test-0.npy (one image, CNN on Loihi)", args: ["run", dir, "-i", "examples/fashion-mnist/inputs/test-0.npy"], goal: 1 },
];
console.log(`# start-up: median of ${RUNS} processes, ${TSX ? "sources through tsx (SNNC_TSX=1)" : "compiled dist/"}; load average ${loadavg()[0]?.toFixed(2)} at start\n`);
console.log("| command | median wall s | min wall s | median CPU s (user + sys) | goal s |");
console.log("|---|---|---|---|---|");
for (const c of CASES) {
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = snnc(c.args);
    if (r.code !== 0) throw new Error(`${c.label} exited ${r.code}: ${r.stderr}`);
    times.push(r.seconds);
    if (r.cpu !== null) cpus.push(r.cpu);
  }
  console.log(`| \`${c.label}\` | ${median(times).toFixed(2)} | ${Math.min(...times).toFixed(2)} | ${cpus.length ? median(cpus).toFixed(2) : "–"} | ${c.goal} |`);
}
console.log(`\nload average ${loadavg()[0]?.toFixed(2)} at the end (2 cores: above ~0.5 the figures include waiting for a core)`);
