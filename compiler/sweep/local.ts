/**
 * @fileoverview Sweep points on worker threads: a pool of long-lived threads (each starts once, then
 * evaluates the points it is sent, each compile single-threaded), results returned in input order whatever
 * order they finish in. Used by a local sweep and, with one thread, by a worker's sweep jobs.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SweepPoint } from "./grid.ts";
import type { PointInput } from "./point.ts";

type Answer = { point?: SweepPoint; error?: string };

export class PointPool {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly all: Worker[];

  constructor(threads: number) {
    this.all = Array.from({ length: Math.max(1, threads) }, () => new Worker(new URL("./thread.js", import.meta.url)));
    this.idle.push(...this.all);
  }

  private take(): Promise<Worker> {
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((r) => this.waiting.push(r));
  }

  private give(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  async run(input: PointInput): Promise<SweepPoint> {
    const w = await this.take();
    try {
      return await new Promise<SweepPoint>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        w.once("error", onError);
        w.once("message", (m: Answer) => {
          w.off("error", onError);
          if (m.error !== undefined || !m.point) reject(new Error(m.error ?? "sweep thread answered nothing"));
          else resolve(m.point);
        });
        w.postMessage(input);
      });
    } finally {
      this.give(w);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}

export async function sweepLocal(inputs: readonly PointInput[], threads = availableParallelism(), onDone: (done: number) => void = () => {}): Promise<SweepPoint[]> {
  const pool = new PointPool(Math.min(threads, inputs.length));
  let done = 0;
  try {
    return await Promise.all(inputs.map(async (x) => {
      const p = await pool.run(x);
      onDone(++done);
      return p;
    }));
  } finally {
    await pool.close();
  }
}
