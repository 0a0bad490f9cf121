// Worker bootstrap of threads.ts's pool (run from the sources): worker threads do not inherit the parent's
// module loader, so tsx is registered here before the TypeScript worker is imported.
import { register } from "tsx/esm/api";

register();
await import("./pool-worker.ts");
