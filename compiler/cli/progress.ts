/**
 * @fileoverview Progress on stderr: a cli-progress bar per long stage on a terminal, one summary line per
 * stage otherwise (so logs show where the time went). Passes never print; the pass runner and the commands
 * report through this.
 */
import { createRequire } from "node:module";
import type cliProgressModule from "cli-progress";

/** cli-progress, loaded on the first bar (most runs, piped or --quiet, never draw one). */
const loadCliProgress = (): typeof cliProgressModule => createRequire(import.meta.url)("cli-progress") as typeof cliProgressModule;

export interface ProgressTask {
  tick(n?: number): void;
  done(note?: string): void;
}

export class Progress {
  private readonly tty: boolean;
  private readonly silent: boolean;
  private bar: cliProgressModule.SingleBar | null = null;

  constructor(options: { enabled: boolean; silent?: boolean }) {
    this.tty = options.enabled;
    this.silent = options.silent ?? !options.enabled;
  }

  /** Starts a stage of `total` units (0 when unknown). */
  task(name: string, total = 0): ProgressTask {
    const started = performance.now();
    let count = 0;
    if (this.tty && total > 0) {
      this.stop();
      const cliProgress = loadCliProgress();
      this.bar = new cliProgress.SingleBar(
        { format: `${name.padEnd(12)} [{bar}] {percentage}% {value}/{total} {eta_formatted}`, stream: process.stderr, clearOnComplete: true, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0);
    }
    return {
      tick: (n = 1) => {
        count += n;
        this.bar?.update(count);
      },
      done: (note?: string) => {
        this.stop();
        if (!this.silent) {
          const s = ((performance.now() - started) / 1000).toFixed(2);
          process.stderr.write(`  ${name.padEnd(12)} ${s.padStart(7)} s${note ? `  ${note}` : ""}\n`);
        }
      },
    };
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
