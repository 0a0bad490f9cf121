/**
 * @fileoverview Target lookup: a name from targets/ (`loihi`, `spinnaker`, ...) or a path to a target JSON file
 * of the same schema, validated on load (a regular file of at most 4 MiB, JSON nested at most 16 deep, then
 * validate.ts).
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkJsonDepth } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import { readRegularFile } from "../util/safe-path.ts";
import { PACKAGE_ROOT } from "../version.ts";
import type { Target } from "./schema.ts";
import { validateTarget } from "./validate.ts";

/** A target file is a few kB; anything above this is not one. */
const TARGET_MAX_BYTES = 4 * 1024 * 1024;

export const TARGETS_DIR = join(PACKAGE_ROOT, "targets");

/** Names of the shipped targets. */
export function targetNames(): string[] {
  return readdirSync(TARGETS_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, "")).sort();
}

export function loadTarget(nameOrPath: string): Target {
  const isPath = nameOrPath.endsWith(".json") || nameOrPath.includes("/");
  const file = isPath ? resolve(nameOrPath) : join(TARGETS_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) {
    throw fail("SNNC301", isPath ? `target file ${nameOrPath} not found` : `unknown target "${nameOrPath}"`, { file: nameOrPath },
      `known targets: ${targetNames().join(", ")}; or give a path to a target .json file`);
  }
  let json: unknown;
  const text = new TextDecoder().decode(readRegularFile(file, file, TARGET_MAX_BYTES, "SNNC301"));
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail("SNNC301", `target file is not valid JSON (${(e as Error).message.slice(0, 200)})`, { file });
  }
  checkJsonDepth(json, { file }, "SNNC301", 16);
  return { ...validateTarget(json, file), path: file };
}
