/**
 * @fileoverview Passes and the pass runner.
 *
 * A pass is a named function from the pipeline state it reads to the fields it adds. Its name is one of
 * `PassName` (the full order is in compiler/pipeline.ts). It gets the target, a seeded generator and the
 * warning/progress hooks through its context; it reads no clock and calls no Math.random. `effect` says
 * honestly what else it does: "pure" passes compute only; "reads" passes read files (the model, the data);
 * "async" passes await work off the main thread (tfjs, worker threads) on data already in memory.
 *
 * The runner owns what is common to every pass: timing, the per-stage line (`onStage`), `--dump-ir DIR`
 * (the pass's `dump` of its output as canonical JSON, `NN-name.json`, NN = 10 × position) and
 * `--stop-after NAME` (the run ends after that pass, with the state so far). Each pass gets a generator
 * seeded from the compile seed, so one pass's draws never depend on which passes ran before it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Warning } from "./diagnostics.ts";
import { canonicalJson } from "./ir/print.ts";
import type { Target } from "./target/schema.ts";
import { type Rng, seededRng } from "./util/rng.ts";

/** Every pass of the pipeline, in order (compiler/pipeline.ts). */
export const PASS_NAMES = [
  "import", "tfjs-check", "convert", "measure", "quantise", "partition", "place", "route", "check", "emit",
  "verify", "evaluate", "emulator-gen", "report",
] as const;
export type PassName = (typeof PASS_NAMES)[number];

export function isPassName(s: string): s is PassName {
  return (PASS_NAMES as readonly string[]).includes(s);
}

export interface PassContext {
  readonly target: Target;
  readonly rng: Rng;
  warn(w: Warning): void;
  progress(stage: string, done: number, total: number): void;
}

export type PassEffect = "pure" | "reads" | "async";

export interface Pass<I, O> {
  readonly name: PassName;
  readonly summary: string;
  readonly effect: PassEffect;
  run(state: I, ctx: PassContext): O | Promise<O>;
  /** What --dump-ir writes (default: the pass's output). */
  dump?(out: O, state: I): unknown;
  /** One line for the stage report (e.g. "bit-exact on 8 samples"). */
  note?(out: O, state: I): string;
}

// A list holds passes of different types; PassList.then checks each as it is added.
type AnyPass = Pass<any, any>;

/**
 * An ordered list of passes over a growing state S: `then(p)` type-checks that S has every field p reads,
 * and the resulting list's state has p's output fields too.
 */
export class PassList<S> {
  constructor(readonly passes: readonly AnyPass[] = []) {}

  then<I, O>(pass: Pass<I, O> & (S extends I ? unknown : { readonly "reads fields no earlier pass adds": Exclude<keyof I, keyof S> })): PassList<Omit<S, keyof O> & O> {
    return new PassList([...this.passes, pass]);
  }

  get names(): PassName[] {
    return this.passes.map((p) => p.name);
  }
}

export interface PassTiming {
  readonly pass: PassName;
  readonly seconds: number;
}

export interface RunOptions {
  readonly target: Target;
  readonly seed: number;
  readonly warn: (w: Warning) => void;
  readonly progress: (stage: string, done: number, total: number) => void;
  /** Called after each pass (the CLI prints it). */
  readonly stage: (name: PassName, seconds: number, note?: string) => void;
  /** --dump-ir: a directory, or a function given each file name and its canonical JSON (tests). */
  readonly dumpIr?: string | ((file: string, json: string) => void);
  readonly stopAfter?: PassName;
  /** Skip the passes up to and including this one: the initial state already holds their fields (a run
   * resumed from an earlier run's state, e.g. one conversion shared by several targets in the tests). */
  readonly resumeAfter?: PassName;
}

export type RunResult<S> =
  | { readonly complete: true; readonly state: S; readonly timings: readonly PassTiming[] }
  | { readonly complete: false; readonly stoppedAfter: PassName; readonly state: Partial<S>; readonly timings: readonly PassTiming[] };

/** The bookkeeping around one pass: its context, then its timing, stage line and dump. */
class Bookkeeper {
  readonly timings: PassTiming[] = [];
  private position = 0;
  private t0 = 0;

  private skipping: boolean;

  /** `initial`: the state a run starts from; a resumed run keeps the timings of the passes that made it. */
  constructor(private readonly o: RunOptions, names: readonly PassName[], initial: object) {
    for (const name of [o.stopAfter, o.resumeAfter]) {
      if (name !== undefined && !names.includes(name)) throw new Error(`internal: ${name} names no pass of this list (${names.join(", ")})`);
    }
    this.skipping = o.resumeAfter !== undefined;
    const earlier = (initial as { timings?: readonly PassTiming[] }).timings;
    if (this.skipping && earlier) this.timings.push(...earlier);
  }

  /** True for the passes before the resume point (counted in dump numbering, not run). */
  skip(pass: AnyPass): boolean {
    if (!this.skipping) return false;
    this.position++;
    if (pass.name === this.o.resumeAfter) this.skipping = false;
    return true;
  }

  start(): PassContext {
    const o = this.o;
    this.t0 = performance.now();
    return { target: o.target, rng: seededRng(o.seed), warn: o.warn, progress: o.progress };
  }

  /** After `pass` returned `out` on `state`; true when the run stops here. */
  finish(pass: AnyPass, out: unknown, state: unknown): boolean {
    const seconds = (performance.now() - this.t0) / 1000;
    const o = this.o;
    this.timings.push({ pass: pass.name, seconds });
    o.stage(pass.name, seconds, pass.note?.(out, state));
    this.position++;
    if (o.dumpIr !== undefined) {
      const file = `${String(this.position).padStart(2, "0")}-${pass.name}.json`;
      const json = canonicalJson(pass.dump ? pass.dump(out, state) : out);
      if (typeof o.dumpIr === "string") {
        mkdirSync(o.dumpIr, { recursive: true });
        writeFileSync(join(o.dumpIr, file), json);
      } else {
        o.dumpIr(file, json);
      }
    }
    return pass.name === o.stopAfter;
  }
}

/**
 * Runs `list` from `initial`. The state after each pass is the previous state with the pass's fields added;
 * `timings` is part of the state so a late pass (the report) sees every earlier one.
 */
export async function runPasses<S>(list: PassList<S>, initial: object, o: RunOptions): Promise<RunResult<S>> {
  const book = new Bookkeeper(o, list.names, initial);
  let state: object = { ...initial, timings: book.timings };
  for (const pass of list.passes) {
    if (book.skip(pass)) continue;
    const ctx = book.start();
    const out: object = await pass.run(state, ctx);
    const stop = book.finish(pass, out, state);
    state = { ...state, ...out };
    if (stop) return { complete: false, stoppedAfter: pass.name, state: state as Partial<S>, timings: book.timings };
  }
  return { complete: true, state: state as S, timings: book.timings };
}

/** `runPasses` for a list of synchronous passes (the back end): a pass returning a promise is a bug. */
export function runPassesSync<S>(list: PassList<S>, initial: object, o: RunOptions): RunResult<S> {
  const book = new Bookkeeper(o, list.names, initial);
  let state: object = { ...initial, timings: book.timings };
  for (const pass of list.passes) {
    if (book.skip(pass)) continue;
    const ctx = book.start();
    const out: unknown = pass.run(state, ctx);
    if (out instanceof Promise) throw new Error(`internal: pass ${pass.name} is async; use runPasses`);
    const stop = book.finish(pass, out, state);
    state = { ...state, ...(out as object) };
    if (stop) return { complete: false, stoppedAfter: pass.name, state: state as Partial<S>, timings: book.timings };
  }
  return { complete: true, state: state as S, timings: book.timings };
}
