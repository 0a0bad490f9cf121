// Module hook for test/cli/startup.test.ts: prints "LOAD <package path>" on stderr for every module resolved
// from one of the heavy packages, so a test can see which ones a command imports.
import { register } from "node:module";

register("data:text/javascript," + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /node_modules\\/((?:@tensorflow\\/[^/]+)|h5wasm|ts-morph|binary-parser|typescript)\\//.exec(r.url);
  if (m) process.stderr.write("LOAD " + m[1] + "\\n");
  return r;
}`));
