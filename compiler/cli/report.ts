/**
 * @fileoverview `snnc report <DIR> [--format json|md|html]`: prints a compile's report (rendered from
 * report.json, so Markdown and HTML always match the figures).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "yargs";
import { checkJsonDepth, truncateText } from "../../runtime/limits.ts";
import { fail } from "../diagnostics.ts";
import type { Report } from "../report/build.ts";
import { readRegularFile } from "../util/safe-path.ts";
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
    const bytes = readRegularFile(path, path, 512 * 1024 * 1024, "SNNC701");
    try {
      report = JSON.parse(new TextDecoder().decode(bytes)) as Report;
    } catch (e) {
      throw fail("SNNC701", `report.json is not valid JSON (${(e as Error).message})`, { file: path });
    }
    checkJsonDepth(report, { file: path }, "SNNC701", 32);
    let text: string;
    try {
      text = a.format === "json" ? JSON.stringify(report, null, 2)
        : a.format === "html" ? (await import("../report/html.ts")).renderHtml(report)
        : (await import("../report/markdown.ts")).renderMarkdown(report);
    } catch (e) {
      // report.json is a file the user can edit: a field the renderer needs missing or of the wrong type.
      throw fail("SNNC701", `report.json does not have the structure snnc writes (${truncateText(String((e as Error)?.message ?? e))})`, { file: path },
        "compile again to rewrite it: snnc compile <model> --target <target> -o DIR");
    }
    return { json: report, text };
  },
};
