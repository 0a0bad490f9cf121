/**
 * @fileoverview Content-addressed blobs in Redis: the placement binary, the reference model, the images of a
 * run. A blob is stored once under its sha256 (SET NX) and every reader checks the hash of what it got, so a
 * worker never runs on bytes other than the client's. Workers keep a few recent blobs in memory.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { fail } from "../diagnostics.ts";

const PREFIX = "snnc:blob:";
/** Blobs expire a day after their last upload. */
const TTL_SECONDS = 24 * 3600;

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Stores `bytes` once; returns its sha256. */
export async function putBlob(redis: Redis, bytes: Uint8Array): Promise<string> {
  const hash = sha256(bytes);
  const key = PREFIX + hash;
  const stored = await redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), "EX", TTL_SECONDS, "NX");
  if (stored === null) await redis.expire(key, TTL_SECONDS);
  return hash;
}

export class BlobCache {
  private readonly cache = new Map<string, Uint8Array>();
  constructor(private readonly redis: Redis, private readonly keep = 6) {}

  async get(hash: string): Promise<Uint8Array> {
    const hit = this.cache.get(hash);
    if (hit) return hit;
    const buf = await this.redis.getBuffer(PREFIX + hash);
    if (buf === null) throw fail("SNNC803", `blob ${hash.slice(0, 12)}… is not in Redis (expired, or Redis restarted)`, {}, "run the command again");
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const got = sha256(bytes);
    if (got !== hash) throw fail("SNNC803", `blob ${hash.slice(0, 12)}… has sha256 ${got.slice(0, 12)}…`, {}, "the stored copy is corrupt; run the command again");
    this.cache.set(hash, bytes);
    while (this.cache.size > this.keep) this.cache.delete(this.cache.keys().next().value as string);
    return bytes;
  }
}
