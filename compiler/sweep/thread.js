// Worker-thread bootstrap of local.ts: worker threads do not inherit the parent's module loader, so tsx is
// registered here before the TypeScript worker is imported.
import { register } from "tsx/esm/api";

register();
await import("./thread.ts");
