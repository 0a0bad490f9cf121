/**
 * @fileoverview The explicit list of snnc commands (CONTRACT.md). Each lives in its own file, loaded only
 * when it runs (or its --help is asked for): the top-level help and `--version` load none of them, so they
 * start without the compiler, tfjs, h5wasm or ts-morph. `command` and `describe` here are the ones the
 * top-level help shows; test/cli/options.test.ts checks they equal each file's own.
 */
import type { CommandSpec } from "./main.ts";

export interface CommandEntry {
  readonly name: string;
  readonly command: string;
  readonly describe: string;
  /** The command's full spec (options, examples, run), imported on demand. */
  readonly load: () => Promise<CommandSpec<never>>;
}

/** Commands take different argument types; the list erases them (yargs checks the arguments). */
function erase<A>(spec: CommandSpec<A>): CommandSpec<never> {
  return spec as unknown as CommandSpec<never>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: "compile", command: "compile <model>", describe: "compile a trained ANN into a spiking network placed on a target chip", load: async () => erase((await import("./compile.ts")).compileCommand) },
  { name: "run", command: "run <network>", describe: "run the emulator from a compiled binary on an input (.npy)", load: async () => erase((await import("./run.ts")).runCommand) },
  { name: "verify", command: "verify <dir>", describe: "prove a compiled binary: emulator vs the reference integer model, spike for spike; ANN vs SNN accuracy", load: async () => erase((await import("./verify.ts")).verifyCommand) },
  { name: "report", command: "report <dir>", describe: "print the report of a compile (json, md or html)", load: async () => erase((await import("./report.ts")).reportCommand) },
  { name: "inspect", command: "inspect <file>", describe: "decode a placement binary (network.snnb)", load: async () => erase((await import("./inspect.ts")).inspectCommand) },
  { name: "targets", command: "targets", describe: "list the targets and their limits", load: async () => erase((await import("./targets.ts")).targetsCommand) },
  { name: "worker", command: "worker", describe: "run verify and sweep jobs from a Redis queue (BullMQ) until stopped", load: async () => erase((await import("./worker.ts")).workerCommand) },
  { name: "sweep", command: "sweep <model>", describe: "compile and evaluate every target × method × T; Pareto front of accuracy, energy and latency", load: async () => erase((await import("./sweep.ts")).sweepCommand) },
];
