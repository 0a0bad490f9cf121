/**
 * @fileoverview Class names of a model, for `run`'s output: a `classes.json` (`{"classes": [...]}`) in the
 * model's folder or up to two folders above it (the examples ship examples/fashion-mnist/classes.json).
 * `compile` copies them into report.json (`classNames`), where `run <DIR>` finds them.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The class names found near `modelPath`, when there are exactly `classes` of them; else null. */
export function classNamesNear(modelPath: string, classes: number): string[] | null {
  let dir = dirname(resolve(modelPath));
  for (let i = 0; i < 3; i++) {
    const file = join(dir, "classes.json");
    if (existsSync(file)) {
      try {
        const names = (JSON.parse(readFileSync(file, "utf8")) as { classes?: unknown }).classes;
        if (Array.isArray(names) && names.length === classes && names.every((n) => typeof n === "string")) return names as string[];
      } catch {
        return null; // an unreadable classes.json only costs the names
      }
      return null;
    }
    dir = dirname(dir);
  }
  return null;
}

/** Class names stored by compile in DIR/report.json, or null (a bare .snnb, an older report). */
export function classNamesOf(dir: string | null, classes: number): string[] | null {
  if (dir === null) return null;
  try {
    const names = (JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as { classNames?: unknown }).classNames;
    return Array.isArray(names) && names.length === classes && names.every((n) => typeof n === "string") ? (names as string[]) : null;
  } catch {
    return null;
  }
}
