/**
 * @fileoverview Jobs for test/runtime/pool.test.ts, run by runtime/threads.ts's kept workers: echo the data back
 * with the worker's thread id and a per-worker call count; throw a coded or a plain error.
 */
import { threadId } from "node:worker_threads";
import { CodedError } from "../../runtime/errors.ts";

let calls = 0;

export function echo(data: { readonly x: Float32Array }): { x: Float32Array; thread: number; calls: number } {
  calls++;
  return { x: data.x, thread: threadId, calls };
}

export function coded(): never {
  throw new CodedError("SNNC811", "a coded failure", { layer: "l1" }, "a hint");
}

export function plain(): never {
  throw new Error("a plain failure");
}
