// Worker bootstrap for bench/transformer.ts: registers tsx in the worker thread (workers do not inherit the
// parent's loader), then runs the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./transformer-worker.ts");
