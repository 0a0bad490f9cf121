/**
 * @fileoverview The snnc command line: parses arguments (yargs), runs one command, prints its result, maps
 * failures to exit codes. The only place in snnc that prints or exits.
 *
 * Exit codes (CONTRACT.md): 0 success · 1 user error (SnncError: bad input, capacity, mismatch) · 2 bad
 * command line · 70 internal error (anything else: a bug; stack shown only with --debug).
 * `--json`: exactly one JSON object on stdout; progress and warnings go to stderr.
 */
import yargs, { type Argv } from "yargs";
import { formatDiagnostic, formatWarning, isSnncError, type Warning } from "../diagnostics.ts";
import { COMMANDS } from "./commands.ts";
import { Progress } from "./progress.ts";

export interface CommandOutput {
  /** What `--json` prints. */
  readonly json: unknown;
  /** What is printed otherwise. */
  readonly text: string;
  /** Exit code when not 0 (e.g. verification mismatch reported as data: 1). */
  readonly exitCode?: number;
  /** A diagnostic line for stderr that goes with a non-zero exit code. */
  readonly stderr?: string;
}

export interface CommandIo {
  readonly progress: Progress;
  readonly quiet: boolean;
  readonly json: boolean;
  warn(w: Warning): void;
}

export interface CommandSpec<A> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv) => Argv<A>;
  readonly run: (args: A, io: CommandIo) => Promise<CommandOutput>;
}

class UsageError extends Error {}

export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const json = argv.includes("--json");
  const quiet = argv.includes("--quiet") || argv.includes("-q");
  const progress = new Progress({ enabled: !quiet && process.stderr.isTTY === true, silent: quiet });
  const io: CommandIo = {
    progress,
    quiet,
    json,
    warn: (w) => {
      if (!quiet) process.stderr.write(`${formatWarning(w)}\n`);
    },
  };
  let result: CommandOutput | null = null;
  try {
    let y = yargs([...argv])
      .scriptName("snnc")
      .usage("snnc <command> [options]\n\nNeuromorphic deployment compiler: a trained ANN (TF.js model.json, Keras .h5/.keras, ONNX .onnx) to a spiking network placed on a chip, with a placement binary, an emulator and reports.")
      .option("json", { type: "boolean", describe: "print one JSON object on stdout" })
      .option("quiet", { alias: "q", type: "boolean", describe: "no progress or warnings on stderr" })
      .option("debug", { type: "boolean", describe: "show stack traces of errors" })
      .strict()
      .demandCommand(1, "give a command (snnc --help lists them)")
      .recommendCommands()
      .help()
      .alias("help", "h")
      .version()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .exitProcess(false)
      .fail((msg, err) => {
        if (err) throw err;
        throw new UsageError(msg);
      });
    for (const spec of COMMANDS) {
      y = y.command(spec.command, spec.describe, spec.builder as (y: Argv) => Argv, async (args) => {
        result = await spec.run(args as never, io);
      });
    }
    await y.parseAsync();
  } catch (e) {
    progress.stop();
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n  hint: snnc --help\n`);
      return 2;
    }
    if (isSnncError(e)) {
      process.stderr.write(`${formatDiagnostic(e)}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    process.stderr.write(`internal error: ${(e as Error)?.message ?? String(e)}\n  this is a bug in snnc; please report it with the command line${debug ? "" : " (--debug shows the stack)"}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return 70;
  }
  progress.stop();
  const out = result as CommandOutput | null;
  if (out === null) return 0; // --help / --version
  if (json) process.stdout.write(`${JSON.stringify(out.json)}\n`);
  else if (out.text) process.stdout.write(out.text.endsWith("\n") ? out.text : `${out.text}\n`);
  if (out.stderr) process.stderr.write(`${out.stderr}\n`);
  return out.exitCode ?? 0;
}
