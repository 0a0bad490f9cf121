/**
 * @fileoverview Target lookup: a name from targets/ (`loihi`, `spinnaker`, ...) or a path to a target JSON file
 * of the same schema, validated on load.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fail } from "../diagnostics.ts";
import { PACKAGE_ROOT } from "../version.ts";
import type { Target } from "./schema.ts";
import { validateTarget } from "./validate.ts";

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
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw fail("SNNC301", `target file is not valid JSON (${(e as Error).message})`, { file });
  }
  return { ...validateTarget(json, file), path: file };
}
