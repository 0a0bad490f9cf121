/**
 * @fileoverview `snnc report <DIR> [--format json|md|html]`: prints a compile's report (rendered from
 * report.json, so Markdown and HTML always match the figures).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "yargs";
import { fail } from "../diagnostics.ts";
import type { Report } from "../report/build.ts";
import type { CommandSpec } from "./main.ts";
import { examples } from "./options.ts";

export interface ReportArgs {
  dir: string;
  format: string;
}

export const reportCommand: CommandSpec<ReportArgs> = {
  command: "report <dir>",
  describe: "print the report of a compile (json, md or html)",
  builder: (y: Argv) => y
    .positional("dir", { type: "string", demandOption: true, describe: "output directory of snnc compile" })
    .option("format", { alias: "f", type: "string", choices: ["json", "md", "html"], default: "md", describe: "json: report.json as is; md: Markdown; html: the self-contained page (charts, mesh, raster)" })
    .epilogue(examples([
      ["snnc report build/cnn-loihi", "Markdown on stdout"],
      ["snnc report build/cnn-loihi -f html > r.html", "the HTML page"],
    ])) as unknown as Argv<ReportArgs>,
  run: async (a) => {
    const path = join(a.dir, "report.json");
    if (!existsSync(path)) throw fail("SNNC701", `no report.json in ${a.dir}`, { file: a.dir }, "compile first: snnc compile <model> --target <target> -o DIR");
    let report: Report;
    try {
      report = JSON.parse(readFileSync(path, "utf8")) as Report;
    } catch (e) {
      throw fail("SNNC701", `report.json is not valid JSON (${(e as Error).message})`, { file: path });
    }
    const text = a.format === "json" ? JSON.stringify(report, null, 2)
      : a.format === "html" ? (await import("../report/html.ts")).renderHtml(report)
      : (await import("../report/markdown.ts")).renderMarkdown(report);
    return { json: report, text };
  },
};
