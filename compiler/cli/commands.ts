/**
 * @fileoverview The explicit list of snnc commands (CONTRACT.md). Each lives in its own file.
 */
import type { CommandSpec } from "./main.ts";
import { compileCommand } from "./compile.ts";
import { inspectCommand } from "./inspect.ts";
import { reportCommand } from "./report.ts";
import { runCommand } from "./run.ts";
import { sweepCommand } from "./sweep.ts";
import { targetsCommand } from "./targets.ts";
import { verifyCommand } from "./verify.ts";
import { workerCommand } from "./worker.ts";

/** Commands take different argument types; the list erases them (yargs checks the arguments). */
function erase<A>(spec: CommandSpec<A>): CommandSpec<never> {
  return spec as unknown as CommandSpec<never>;
}

export const COMMANDS: readonly CommandSpec<never>[] = [
  erase(compileCommand), erase(runCommand), erase(verifyCommand), erase(reportCommand), erase(inspectCommand), erase(targetsCommand), erase(workerCommand), erase(sweepCommand),
];
