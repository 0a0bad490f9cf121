/**
 * @fileoverview `snnc worker --queue redis://HOST:PORT`: runs verify and sweep jobs from the queue of this
 * snnc version until SIGINT/SIGTERM (compiler/distributed/worker.ts). One job at a time: start one worker per
 * core. Exit 1 with SNNC801 when Redis is unreachable at start, SNNC802 when it stays away during the run.
 */
import type { Argv } from "yargs";
import type { CommandSpec } from "./main.ts";

export interface WorkerArgs {
  queue: string;
  "lock-duration": number;
  "stalled-interval": number;
  outage: number;
}

export const workerCommand: CommandSpec<WorkerArgs> = {
  command: "worker",
  describe: "run verify and sweep jobs from a Redis queue (BullMQ) until stopped",
  builder: (y: Argv) => y
    .option("queue", { type: "string", demandOption: true, describe: "Redis of the queue: redis://HOST:PORT[/DB]" })
    .option("lock-duration", { type: "number", default: 30000, describe: "job lock in ms: a dead worker's job moves to another after this" })
    .option("stalled-interval", { type: "number", default: 15000, describe: "ms between checks for jobs of dead workers" })
    .option("outage", { type: "number", default: 60, describe: "seconds to wait for Redis to come back before exiting (SNNC802)" })
    .example("snnc worker --queue redis://10.0.0.5:6379", "serve the queue of a Redis on another host") as unknown as Argv<WorkerArgs>,
  run: async (a, io) => {
    const { startWorker } = await import("../distributed/worker.ts");
    const w = await startWorker({
      url: a.queue, lockDurationMs: a["lock-duration"], stalledIntervalMs: a["stalled-interval"], outageSeconds: a.outage,
      log: (line) => {
        if (!io.quiet) process.stderr.write(`${line}\n`);
      },
    });
    const stop = () => void w.close();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const jobs = await w.done;
    return { json: { worker: w.info, jobs }, text: `worker ${w.info.id} stopped after ${jobs} job(s)` };
  },
};
