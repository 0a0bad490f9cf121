/**
 * @fileoverview Real components for the distributed tests: a redis-server on a free loopback port (no
 * persistence) and `snnc worker` child processes, all stopped by `stopAll()` (call it in after hooks).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

export const REDIS_SERVER = "/usr/bin/redis-server";
const SNNC = "compiler/cli/snnc.js";
const children = new Set<ChildProcess>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when `child`'s stream has printed a line matching `re` (rejects if it exits first). */
export function waitForLine(child: ChildProcess, stream: "stdout" | "stderr", re: RegExp, ms = 90000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re} (${stream}: ${buf.slice(-500)})`)), ms);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = buf.split("\n").find((l) => re.test(l));
      if (m !== undefined) {
        clearTimeout(timer);
        child[stream]?.off("data", onData);
        resolve(m);
      }
    };
    child[stream]?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before ${re}: ${buf.slice(-500)}`));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
}

export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const child = spawn(REDIS_SERVER, ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  await waitForLine(child, "stdout", /Ready to accept connections/);
  return { port: p, url: `redis://127.0.0.1:${p}`, process: child };
}

export interface WorkerProcess {
  readonly process: ChildProcess;
  /** Everything it printed on stderr so far. */
  log(): string;
}

/**
 * `snnc worker` as a child process, resolved once it serves the queue. Short locks by default (tests: a killed
 * worker's job moves on in about two seconds); benches give the defaults.
 */
export async function startWorker(url: string, locks: readonly string[] = ["--lock-duration", "1500", "--stalled-interval", "500"], ownSession = false): Promise<WorkerProcess> {
  // ownSession: a session (setsid) of its own, hence its own scheduler autogroup, as a worker on its own host
  // would have; without it, on a shared machine with autogroups all of our workers split one session's share.
  const child = spawn(process.execPath, [SNNC, "worker", "--queue", url, ...locks, "--outage", "20"], { stdio: ["ignore", "pipe", "pipe"], detached: ownSession });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let text = "";
  child.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  await waitForLine(child, "stderr", /^worker \w+ \(snnc/);
  return { process: child, log: () => text };
}

/** Stops a process and waits for its exit. */
export function stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c, "SIGKILL")));
}
