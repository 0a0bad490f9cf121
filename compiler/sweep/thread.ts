/**
 * @fileoverview A sweep thread (local.ts): evaluates the points it is sent, one message each, and answers with
 * the point or with the unexpected error's text.
 */
import { parentPort } from "node:worker_threads";
import { evaluatePoint, type PointInput } from "./point.ts";

parentPort?.on("message", (x: PointInput) => {
  evaluatePoint(x).then(
    (point) => parentPort?.postMessage({ point }),
    (e: unknown) => parentPort?.postMessage({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e) }),
  );
});
