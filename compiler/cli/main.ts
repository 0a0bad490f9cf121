/**
 * @fileoverview The snnc command line: parses arguments (yargs), runs one command, prints its result, maps
 * failures to exit codes. The only place in snnc that prints or exits.
 *
 * Exit codes (CONTRACT.md): 0 success · 1 user error (SnncError: bad input, capacity, mismatch) · 2 bad
 * command line · 70 internal error (anything else: a bug; stack shown only with --debug).
 * `--json`: exactly one JSON object on stdout, a failure included (`{"error": {code, message, hint}}`, same
 * exit code); progress and warnings go to stderr.
 * Only the command being run is imported (commands.ts), so `--help`, `--version` and `targets` start fast.
 */
import type { Argv } from "yargs";
import { formatDiagnostic, formatLocation, formatWarning, isSnncError, type Warning } from "../diagnostics.ts";
import { SNNC_VERSION } from "../version.ts";
import { COMMANDS } from "./commands.ts";
import { examples, UsageError } from "./options.ts";
import { Progress } from "./progress.ts";

export interface CommandOutput {
  /** What `--json` prints. */
  readonly json: unknown;
  /** Instead of `json`: the JSON document in chunks, written as they come (large dumps). */
  readonly jsonChunks?: Iterable<string> | undefined;
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

const USAGE = "snnc <command> [options]\n\nNeuromorphic deployment compiler: a trained ANN (TF.js model.json, Keras .h5/.keras, ONNX .onnx) to a spiking network placed on a chip, with a placement binary, an emulator and reports.\n`snnc help <command>` or `snnc <command> --help` shows a command's options.";

/**
 * Help is wrapped at the terminal's width, but never below 100 columns: yargs wraps the examples too, and
 * every example command is shorter than 100 (test/cli/options.test.ts), so none is broken in the middle.
 */
export const MIN_WRAP = 100;
const wrapWidth = (): number => Math.max(MIN_WRAP, Math.min(140, process.stdout.columns || 120));

/**
 * A command's builder with its `.example(cmd, what)` calls turned into an examples epilogue (options.ts
 * `examples`): yargs lays examples out in two columns and breaks a long command in the middle. Commands that
 * call `.example()` (inspect) get whole-line examples like those that write the epilogue themselves.
 */
function examplesAsEpilogue(build: (y: Argv) => Argv): (y: Argv) => Argv {
  return (y) => {
    const list: [string, string][] = [];
    // yargs keeps its state in private fields: methods run on the real instance, chaining returns the proxy.
    const proxy: Argv = new Proxy(y, {
      get(target, key) {
        if (key === "example") {
          return (cmd: string, what: string) => {
            list.push([cmd, what]);
            return proxy;
          };
        }
        const v: unknown = Reflect.get(target, key);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
          return r === target ? proxy : r;
        };
      },
    });
    const built = build(proxy);
    if (list.length) y.epilogue(examples(list));
    return built;
  };
}

/** `snnc help`, `snnc help compile` → `--help`, `compile --help`; `-v` → `--version`. */
export function normaliseArgv(argv: readonly string[]): string[] {
  const a = argv.map((x) => (x === "-v" ? "--version" : x));
  if (a[0] === "help") return a.length > 1 ? [...a.slice(1), "--help"] : ["--help"];
  return a;
}

/** The command named on the line: the first argument that is a command name (options may come first). */
function commandName(argv: readonly string[]): string | undefined {
  return argv.find((x) => COMMANDS.some((c) => c.name === x));
}

export async function main(rawArgv: readonly string[]): Promise<number> {
  const argv = normaliseArgv(rawArgv);
  if (argv.length === 1 && argv[0] === "--version") {
    process.stdout.write(`${SNNC_VERSION}\n`);
    return 0;
  }
  const debug = argv.includes("--debug");
  const json = argv.includes("--json");
  const quiet = argv.includes("--quiet") || argv.includes("-q");
  const progress = new Progress({ enabled: !quiet && !json && process.stderr.isTTY === true, silent: quiet });
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
    const name = commandName(argv);
    const { default: yargs } = await import("yargs");
    let y = yargs([...argv])
      .scriptName("snnc")
      .usage(USAGE)
      .option("json", { type: "boolean", describe: "print one JSON object on stdout (errors too: {\"error\": {code, message, hint}})" })
      .option("quiet", { alias: "q", type: "boolean", describe: "no progress or warnings on stderr" })
      .option("debug", { type: "boolean", describe: "show stack traces of errors" })
      .strict()
      .demandCommand(1, "give a command (snnc --help lists them)")
      .recommendCommands()
      .help()
      .alias("help", "h")
      .version(SNNC_VERSION)
      .alias("version", "v")
      .wrap(wrapWidth())
      .exitProcess(false)
      .fail((msg, err) => {
        // yargs re-throws an option's coerce failure (options.ts) as a YError carrying its message.
        if (err?.name === "YError") throw new UsageError(err.message, /^--[a-z-]+ /.test(err.message) ? "SNNC003" : "SNNC004");
        if (err) throw err;
        const line = msg.replace(/\s*\n\s*/g, " ");
        const first = argv.find((x) => !x.startsWith("-"));
        if (name === undefined && first !== undefined && /^(Did you mean|Unknown argument)/.test(line)) {
          const guess = /^Did you mean (\S+)\?/.exec(line)?.[1];
          throw new UsageError(`unknown command "${first}"${guess ? `; did you mean ${guess}?` : ""} (commands: ${COMMANDS.map((c) => c.name).join(", ")})`, "SNNC004");
        }
        throw new UsageError(line, "SNNC004");
      });
    if (name === undefined) {
      y = y
        .epilogue(examples([
          ["snnc compile examples/fashion-mnist/cnn/model.json --target loihi -o build/cnn-loihi", "compile the CNN example for Loihi"],
          ["snnc run build/cnn-loihi --input examples/fashion-mnist/inputs/test-0.npy", "classify one image on the emulator"],
          ["snnc verify build/cnn-loihi", "prove the binary spike for spike against the reference model"],
          ["snnc report build/cnn-loihi -f html > report.html", "the report page"],
          ["snnc targets", "the chips snnc compiles for"],
          ["snnc help compile", "the options of compile"],
        ]));
    }
    for (const entry of COMMANDS) {
      if (entry.name === name) {
        const spec = await entry.load();
        y = y.command(spec.command, spec.describe, examplesAsEpilogue(spec.builder as (y: Argv) => Argv), async (args) => {
          result = await spec.run(args as never, io);
        });
      } else {
        // Listed for the top-level help; never chosen (the named command is the one loaded above).
        y = y.command(entry.command, entry.describe, (b: Argv) => b, () => {
          throw new Error(`internal: command ${entry.name} was not loaded`);
        });
      }
    }
    await y.parseAsync();
  } catch (e) {
    progress.stop();
    return failure(e, { json, debug });
  }
  progress.stop();
  const out = result as CommandOutput | null;
  if (out === null) return 0; // --help / --version
  try {
    // Inside a try: a structure too deep or too large for JSON.stringify is an internal error (exit 70), not a
    // raw stack trace (decoded binaries are depth-checked at decode, so this is a backstop).
    if (json && out.jsonChunks) for (const chunk of out.jsonChunks) process.stdout.write(chunk);
    else if (json) process.stdout.write(`${JSON.stringify(out.json)}\n`);
    else if (out.text) process.stdout.write(out.text.endsWith("\n") ? out.text : `${out.text}\n`);
  } catch (e) {
    process.stderr.write(`internal error: cannot print the result (${(e as Error)?.message ?? String(e)})\n  this is a bug in snnc; please report it with the command line\n`);
    return 70;
  }
  if (out.stderr) process.stderr.write(`${out.stderr}\n`);
  return out.exitCode ?? 0;
}

/** Prints a failure (stderr; under --json also `{"error": ...}` on stdout) and returns its exit code. */
function failure(e: unknown, o: { json: boolean; debug: boolean }): number {
  let code: number;
  let error: { code: string; message: string; hint: string | null; where?: string };
  if (e instanceof UsageError) {
    code = 2;
    error = { code: e.code, message: e.message, hint: "snnc --help" };
    process.stderr.write(`error ${e.code}: ${e.message}\n  hint: snnc --help\n`);
  } else if (isSnncError(e)) {
    code = e.code === "SNNC003" || e.code === "SNNC004" ? 2 : 1; // a bad option value is a bad command line
    const where = formatLocation(e.loc, e.message);
    error = { code: e.code, message: e.message, hint: e.hint ?? null, ...(where ? { where } : {}) };
    process.stderr.write(`${formatDiagnostic(e)}\n`);
    if (o.debug && e.stack) process.stderr.write(`${e.stack}\n`);
  } else {
    code = 70;
    const message = (e as Error)?.message ?? String(e);
    error = { code: "internal", message, hint: "this is a bug in snnc; please report it with the command line" };
    process.stderr.write(`internal error: ${message}\n  this is a bug in snnc; please report it with the command line${o.debug ? "" : " (--debug shows the stack)"}\n`);
    if (o.debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ error })}\n`);
  return code;
}
