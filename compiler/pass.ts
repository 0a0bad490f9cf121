/**
 * @fileoverview Passes and the pass runner. A pass is a named pure function from one IR to the next, given the
 * target, options, data and a seeded generator through the context; it does no I/O and reads no clock. The
 * runner times it, reports progress and, with --dump-ir, writes the IR after it as canonical JSON
 * (`NN-name.json`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "./data/dataset.ts";
import type { Warning } from "./diagnostics.ts";
import { canonicalJson } from "./ir/print.ts";
import type { Target } from "./target/schema.ts";
import type { Rng } from "./util/rng.ts";

export interface PassContext {
  readonly target: Target;
  readonly rng: Rng;
  readonly calibration: Dataset;
  warn(w: Warning): void;
  progress(stage: string, done: number, total: number): void;
}

export interface Pass<I, O> {
  readonly name: string;
  readonly summary: string;
  run(input: I, ctx: PassContext): O;
}

export interface PassTiming {
  readonly pass: string;
  readonly seconds: number;
}

export interface Runner {
  run<I, O>(pass: Pass<I, O>, input: I, ctx: PassContext, dump?: (o: O) => unknown): O;
  readonly timings: PassTiming[];
}

/** `onStage(name, seconds)` is called after each pass (the CLI prints it); `dumpDir` enables --dump-ir. */
export function newRunner(onStage: (name: string, seconds: number) => void, dumpDir?: string): Runner {
  const timings: PassTiming[] = [];
  let counter = 0;
  return {
    timings,
    run<I, O>(pass: Pass<I, O>, input: I, ctx: PassContext, dump?: (o: O) => unknown): O {
      const t0 = performance.now();
      const out = pass.run(input, ctx);
      const seconds = (performance.now() - t0) / 1000;
      timings.push({ pass: pass.name, seconds });
      onStage(pass.name, seconds);
      counter++;
      if (dumpDir) {
        mkdirSync(dumpDir, { recursive: true });
        writeFileSync(join(dumpDir, `${String(counter * 10).padStart(2, "0")}-${pass.name}.json`), canonicalJson(dump ? dump(out) : out));
      }
      return out;
    },
  };
}
