// Preload for timing a compile's stages in CPU seconds (README "Compile time"): `node --import
// ./bench/lib/cpu-per-stage.mjs compiler/cli/snnc.js compile …`. Appends to each stage line snnc prints on
// stderr the process's CPU time (user + system, all threads: process.cpuUsage) since the previous stage line
// (the first one includes start-up). The machine is shared, so CPU seconds say more than wall time.
const write = process.stderr.write.bind(process.stderr);
let last = process.cpuUsage();
process.stderr.write = (chunk, ...rest) => {
  const s = String(chunk);
  if (/^\s+[a-z-]+\s+[0-9.]+ s/.test(s)) {
    const now = process.cpuUsage();
    const d = (now.user - last.user + now.system - last.system) / 1e6;
    last = now;
    return write(s.replace(/\n?$/, `  [cpu ${d.toFixed(2)} s]\n`), ...rest);
  }
  return write(chunk, ...rest);
};
