/**
 * @fileoverview report.html (placeholder until the charts land): the markdown report in a page.
 */
import type { Report } from "./build.ts";
import { renderMarkdown } from "./markdown.ts";

export function renderHtml(r: Report): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<!doctype html><html><head><meta charset="utf-8"><title>snnc report</title></head><body><pre>${esc(renderMarkdown(r))}</pre></body></html>\n`;
}
