/**
 * @fileoverview Redis connections of the distributed runs (BullMQ over ioredis). Input: a `--queue` URL
 * (redis://[user:pass@]host[:port][/db]). Output: ioredis options shared by every BullMQ object of a process,
 * and a probe that fails fast with a coded error when Redis is unreachable.
 *
 * Reconnection is bounded: a connection that was never up gives up after a few tries (SNNC801, about
 * two seconds); one that was up and dropped keeps retrying for `outageSeconds` (Redis restarted), then gives up
 * (SNNC802). Never an endless reconnect loop.
 */
import { Redis } from "ioredis";
import { fail } from "../diagnostics.ts";

export interface QueueUrl {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** The URL without its password, for messages. */
  readonly text: string;
}

export function parseQueueUrl(url: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw fail("SNNC800", `--queue ${JSON.stringify(url)} is not a URL`, {}, "give --queue redis://HOST:PORT");
  }
  if (u.protocol !== "redis:") throw fail("SNNC800", `--queue must be a redis:// URL, got ${u.protocol}`, {}, "give --queue redis://HOST:PORT");
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw fail("SNNC800", `--queue: database "${dbText}" is not a number`, {}, "give --queue redis://HOST:PORT/DB");
  const host = u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  return {
    host, port, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    text: `redis://${host}:${port}${db ? `/${db}` : ""}`,
  };
}

/** Tracks one process's connection health: when Redis was last seen and when it went away. */
export class Health {
  everUp = false;
  downSince: number | null = null;
  gaveUp = false;
  constructor(readonly url: QueueUrl, readonly outageSeconds: number) {}

  lostError(): Error {
    return this.everUp
      ? fail("SNNC802", `lost Redis at ${this.url.text} for more than ${this.outageSeconds} s`, {}, "check that redis-server is running, then run the command again")
      : unreachable(this.url, "no answer");
  }
}

export function unreachable(url: QueueUrl, why: string): Error {
  return fail("SNNC801", `cannot reach Redis at ${url.text} (${why})`, {},
    `start one (redis-server --port ${url.port}) or give --queue redis://HOST:PORT of a running Redis`);
}

/** The ioredis options snnc sets (BullMQ takes them as its `connection`). */
export interface ConnOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  maxRetriesPerRequest: number | null;
  connectTimeout: number;
  retryStrategy: (times: number) => number | null;
}

/** ioredis options with a bounded retry strategy; BullMQ needs maxRetriesPerRequest null. */
export function redisOptions(url: QueueUrl, health: Health): ConnOptions {
  return {
    host: url.host, port: url.port, db: url.db,
    ...(url.username ? { username: url.username } : {}),
    ...(url.password ? { password: url.password } : {}),
    maxRetriesPerRequest: null,
    connectTimeout: 2000,
    retryStrategy: (times: number) => {
      const now = Date.now();
      if (!health.everUp) return times > 3 ? null : 300;
      health.downSince ??= now;
      if (now - health.downSince > health.outageSeconds * 1000) {
        health.gaveUp = true;
        return null;
      }
      return Math.min(100 * times, 1000);
    },
  };
}

/**
 * A connection for snnc's own keys (blobs, run markers, worker registry): waits until Redis answers PING,
 * or throws SNNC801 within about two seconds.
 */
export async function connect(url: QueueUrl, health: Health): Promise<Redis> {
  const redis = new Redis({ ...redisOptions(url, health), lazyConnect: true, maxRetriesPerRequest: 1 });
  let lastError = "no answer";
  redis.on("error", (e: Error) => {
    lastError = (e as NodeJS.ErrnoException).code ?? e.message;
  });
  redis.on("ready", () => {
    health.everUp = true;
    health.downSince = null;
  });
  redis.on("close", () => {
    if (health.everUp) health.downSince ??= Date.now();
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    redis.disconnect();
    throw unreachable(url, lastError);
  }
  return redis;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
