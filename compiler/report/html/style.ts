/**
 * @fileoverview The inline stylesheet and script of report.html. The page loads nothing: system fonts, no
 * images, a Content-Security-Policy that forbids every fetch; the script only toggles the mesh colouring.
 */

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export const CSS = `
:root{--ink:#1d2733;--muted:#66717e;--line:#e3e7ec;--bg:#f4f6f8;--card:#fff;--accent:#3b6ea8;--warn:#d1652a;--ok:#2f7d4f}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 20px 40px}
header{padding:12px 2px 6px}
.kicker{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
h1{font-size:24px;line-height:1.25;margin:2px 0 2px;word-break:break-all}
.target{font-size:16px;margin:0 0 8px}
.target .muted{font-size:13px}
.meta{display:flex;flex-wrap:wrap;gap:6px 8px;margin:0;padding:0;list-style:none;font-size:12.5px}
.meta li{background:#fff;border:1px solid var(--line);border-radius:14px;padding:1px 10px}
.meta b{font-weight:600;color:var(--muted);margin-right:4px}
nav{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12.5px;margin:10px 2px 0}
nav a{color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px 18px;margin:16px 0}
h2{font-size:17px;margin:0 0 2px}
h3{font-size:14px;margin:16px 0 6px}
.lead{color:var(--muted);font-size:12.5px;margin:0 0 6px}
.caption{color:var(--muted);font-size:12.5px;margin:8px 0 0}
.muted{color:var(--muted)}
.strong{font-weight:600}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px 28px}
.two>div{min-width:0}
.toolbar{display:flex;gap:14px;align-items:center;font-size:12.5px;color:var(--muted);margin:6px 0 0}
.toolbar label{display:inline-flex;gap:5px;align-items:center;color:var(--ink);cursor:pointer}
ul.caveats{margin:6px 0 0;padding-left:20px;font-size:13px}
ul.caveats li{margin:3px 0}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:20px}
/* tables */
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-weight:600;color:var(--muted);font-size:11.5px;border-bottom:1.5px solid #cfd6de;vertical-align:bottom}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:hover{background:#f8fafc}
table.summary{margin-top:4px}
table.summary th{width:280px;color:var(--muted);font-weight:500}
table.summary td{font-size:13.5px}
table.kv td:first-child{width:340px;color:var(--muted)}
td.indent{padding-left:24px}
td.source{color:var(--muted);font-size:12px}
td.fmt{min-width:220px}
thead th.num{white-space:normal}
.badge{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;font-weight:600;color:#fff}
.badge.ok{background:var(--ok)}
.badge.bad{background:#c0392b}
.grade{display:inline-block;padding:0 8px;border-radius:9px;font-size:11px;background:var(--g);color:#fff;white-space:nowrap}
.meter{display:inline-block;width:90px;height:7px;background:#edf0f3;border-radius:4px;vertical-align:middle;margin-right:6px;overflow:hidden}
.meter>span{display:block;height:100%;background:var(--accent)}
/* charts */
svg.chart{display:block;max-width:100%;height:auto;margin:12px 0 0;fill:var(--ink);font-size:11px;overflow:visible}
svg.chart text{font-size:11px}
.axis line{stroke:#9aa5b1;stroke-width:1}
.axis line.grid{stroke:#e6eaee}
.axis text{fill:var(--muted);font-size:10.5px}
.axis .axis-label{fill:var(--muted);font-size:11px}
.panel-title,.legend-title{font-weight:600}
.legend text{fill:var(--ink)}
.legend line{stroke:#9aa5b1}
.legend .muted,.muted tspan,text.muted{fill:var(--muted)}
text.strong{font-weight:600}
.band{fill:#f7f9fb}
.worst-band{fill:#fdf1e8}
.worst-tag{fill:var(--warn);font-weight:600}
.value{fill:#3d4753;font-size:10.5px}
.sub-label,.marker-label,.chip-label{fill:var(--muted);font-size:10px}
.empty{fill:var(--muted);font-size:13px}
.ref-label{font-size:10.5px;fill:var(--ink)}
.marker{stroke:#7d8996;stroke-dasharray:4 3}
.band-bg{fill:#f7f9fb;stroke:#e9edf1}
.chip{fill:#fbfcfd;stroke:#7d8996;stroke-width:1.3}
.chip.unused{fill:none;stroke:#cdd4db;stroke-dasharray:4 3}
.tile{fill:#eef1f5}
.slot{fill:#fff;stroke:#d7dde4;stroke-width:.8}
.core{stroke:rgba(0,0,0,.28);stroke-width:.6}
.core-g:hover .core{stroke:#000;stroke-width:1.8}
.core-label{font-size:9px;pointer-events:none;font-weight:600}
.alt{display:none;pointer-events:none}
#chart-mesh.by-layer .core{fill:var(--layer)}
#chart-mesh.by-layer .core-label{fill:var(--ink-layer)}
#chart-mesh.by-layer .alt{display:inline}
.bar:hover,.point:hover,.chip-point:hover{opacity:.8}
@media print{body{background:#fff}section{break-inside:avoid;border:none;padding:0}}
`;

/** Mesh colouring toggle (utilisation / layer); the charts themselves need no script. */
export const SCRIPT = `
for (const input of document.querySelectorAll('input[name="mesh-colour"]')) {
  input.addEventListener("change", () => {
    const svg = document.getElementById("chart-mesh");
    if (svg) svg.classList.toggle("by-layer", input.value === "layer" && input.checked);
  });
}
`;
