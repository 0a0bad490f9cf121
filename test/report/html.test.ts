/**
 * report.html (compiler/report/html.ts): a fast check that hostile strings from a model are escaped, and a
 * real compile of the MLP example on Loihi rendered and opened in headless Chromium (playwright-core driving
 * Debian's /usr/bin/chromium): no console or page errors, no request besides the file itself, every chart
 * present, visible and holding as many marks as the report has data.
 */
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { compileCached, EXAMPLES, request } from "../helpers/compile.ts";
import { PASS_NAMES } from "../../compiler/pass.ts";
import type { Report } from "../../compiler/report/build.ts";
import { renderHtml } from "../../compiler/report/html.ts";
import { RASTER_DOT_CAP } from "../../compiler/report/html/activity.ts";

const CHROMIUM = "/usr/bin/chromium";
const CHART_IDS = ["chart-mesh", "chart-spikes", "chart-energy", "chart-accuracy", "chart-layer-error", "chart-raster"] as const;
const EVIL = "<script>alert(1)</script>";
const EVIL_ATTR = `"><img src=x onerror=alert(2)>`;

/** A small hand-made report whose every user-controlled string is hostile. */
function hostileReport(): Report {
  const names = [EVIL, `conv${EVIL_ATTR}`, "fc & 'out'"];
  const grade = "estimate" as const;
  return {
    snncVersion: "0.0.0", target: "tiny", model: `models/${EVIL}/model.json`, method: "ecc", timesteps: 8,
    network: { neurons: 30, synapses: 200, layers: names.map((name, i) => ({ name, kind: i ? "if" : "input", shape: [1, 1, 10], neurons: 10, synapses: i ? 100 : 0, cores: 1 })) },
    mapping: {
      cores: 2, chips: 1, coreUtilisation: { mean: 0.5, max: 0.6, perResource: { [EVIL]: { mean: 0.5, max: 0.6 } } },
      avgHops: 0.5, estimatedAvgHops: 0.4, maxHops: 1, sequentialAvgHops: 1, maxLinkLoad: 3,
      routingEntries: { total: 4, maxPerChip: 4, beforeCompression: { total: 4, maxPerChip: 4 } },
      coreList: [
        { id: 0, chipX: 0, chipY: 0, index: 0, tileX: 0, tileY: 0, layers: [names[0] as string, names[1] as string], utilisation: 0.4, resources: { [EVIL]: 1 } },
        { id: 1, chipX: 0, chipY: 0, index: 1, tileX: 1, tileY: 0, layers: [names[2] as string], utilisation: 0.6, resources: { neurons: 10 } },
      ],
      grid: { chipsX: 2, chipsY: 1, tilesX: 2, tilesY: 1, coresPerTile: 1, coresPerChip: 2, torus: false },
    },
    run: {
      samples: 4, spikesPerInference: 12, synapticOpsPerInference: 120, neuronUpdatesPerInference: 300, hopsPerInference: 6,
      layers: names.map((name, i) => ({ name, spikesPerInference: 4 * i, rate: 0.04 * i, synapticOpsPerInference: 40 * i })),
    },
    energy: {
      snnJoulesPerInference: 2e-9, annJoulesPerInference: 1e-9, ratio: 2, model: `model ${EVIL}`,
      breakdown: [{ term: `ops ${EVIL}`, count: 120, joulesEach: 1e-11, joules: 1.2e-9, source: `source ${EVIL_ATTR}`, grade }],
      ann: { macs: 200, joulesPerMac: 4.6e-12, source: EVIL, grade: "silicon" },
      convention: { joules: 1e-10, firstLayerOps: 40, otherOps: 80, ratioToAnn: 0.1 },
      caveats: [`caveat ${EVIL}`],
    },
    latency: { timesteps: 8, steps: 10, readoutDepth: 2, secondsPerInference: 1e-4, secondsPerStep: 1e-5 },
    accuracy: null,
    verification: { bitExact: false, comparedSteps: 10, comparedSpikes: 5, samples: 1, firstMismatch: { sample: 0, timestep: 3, layer: EVIL, neuron: 2, core: 1, expected: 1, got: 0 } },
    targetInfo: { name: "tiny", title: `Tiny ${EVIL}`, family: "loihi", neuronModel: "loihi-cuba" },
    conversion: {
      options: { method: "ecc", [EVIL]: EVIL_ATTR },
      accuracyVsTimesteps: { samples: 0, ann: null, points: [] },
      diagnostics: { timesteps: 8, samples: 4, layers: [{ name: names[1] as string, neurons: 10, correlation: 0.9, relativeError: 0.2, localError: 0.1, rate: 0.1 }], worst: names[1] as string },
    },
    quantisation: names.map((name) => ({ name, scale: 64, thresholdMantissa: 64, projections: [{ origin: name, format: EVIL, maxAbsError: 0.01, relRmsError: 0.02, zeroed: 0, halfStep: 0.01 }], biasMaxAbsError: 0 })),
    importCheck: { checked: false, maxAbsDiff: 0, samples: 0, against: EVIL, note: EVIL },
    data: `data ${EVIL_ATTR}`,
    timings: [{ pass: EVIL, seconds: 0.1 }],
    raster: { steps: 10, layers: names.map((name) => ({ name, neurons: 10, spikes: [[1, 2], [3, 4]] as const })) },
  };
}

describe("report.html", () => {
  describe("escaping (no browser)", () => {
    it("escapes hostile layer names, paths and sources everywhere", () => {
      const html = renderHtml(hostileReport());
      expect(html).not.to.include(EVIL);
      expect(html).not.to.include("<img");
      expect(html).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html).to.include("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
      expect(html.match(/<script/g) ?? []).to.have.length(1, "only the page's own toggle script");
      for (const id of CHART_IDS) expect(html).to.include(`id="${id}"`);
    });

    it("says so when there is no labelled data, and shows the first mismatch", () => {
      const html = renderHtml(hostileReport());
      expect(html).to.include("not measured");
      expect(html).to.include("first mismatch: sample 0, step 3");
    });
  });

  describe("in headless Chromium", function () {
    this.timeout(180_000);
    let browser: Browser | null = null;
    let report: Report;
    let dir = "";

    before(async function () {
      if (!existsSync(CHROMIUM)) {
        console.warn(`      skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);
        this.skip();
      }
      // The mlp on loihi that other test files compile too (test/helpers/compile.ts shares it); every stage's
      // timing goes into the report as `snnc compile` puts it (cli/compile.ts).
      const compiled = await compileCached(request(EXAMPLES.mlp, "loihi"));
      report = { ...compiled.report, timings: compiled.pipeline.timings };
      dir = mkdtempSync(join(tmpdir(), "snnc-html-"));
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
      });
    });

    after(async () => {
      await browser?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("renders every chart with its marks, without errors or network requests", async () => {
      const file = join(dir, "report.html");
      writeFileSync(file, renderHtml(report));
      const url = pathToFileURL(file).href;
      const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console error: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
      page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
      page.on("request", (r) => requests.push(r.url()));
      await page.goto(url, { waitUntil: "load" });

      for (const id of CHART_IDS) {
        const svg = page.locator(`svg#${id}`);
        expect(await svg.count(), id).to.equal(1);
        expect(await svg.isVisible(), `${id} visible`).to.equal(true);
        const box = await svg.boundingBox();
        expect(box && box.width > 100 && box.height > 50, `${id} has a real size: ${JSON.stringify(box)}`).to.equal(true);
      }

      // Mesh: one rect per core, each drawn with a size.
      const cores = page.locator("#chart-mesh rect.core");
      expect(await cores.count()).to.equal(report.mapping.cores);
      const coreBox = await cores.first().boundingBox();
      expect(coreBox && coreBox.width > 2 && coreBox.height > 2).to.equal(true);
      // Spikes: one bar per layer in each panel.
      expect(await page.locator("#chart-spikes rect.bar-spikes").count()).to.equal(report.run.layers.length);
      expect(await page.locator("#chart-spikes rect.bar-rate").count()).to.equal(report.run.layers.length);
      // Energy: one bar per term, plus SNN total, SNN convention and ANN.
      expect(await page.locator("#chart-energy rect.bar-term").count()).to.equal(report.energy.breakdown.length);
      expect(await page.locator("#chart-energy rect.bar-total").count()).to.equal(3);
      // Accuracy: the curve has one vertex per point, each marked.
      const points = report.conversion.accuracyVsTimesteps.points;
      expect(points.length).to.be.greaterThan(2);
      // auto normalisation (ecc's default) names what it chose, one of the networks it tried and measured.
      const auto = report.conversion.normalisation;
      expect(auto?.tried.map((t) => t.label)).to.include(auto?.chosen);
      expect(auto?.samples).to.be.greaterThan(0);
      const d = (await page.locator("#chart-accuracy path.curve").getAttribute("d")) ?? "";
      expect(d.match(/[ML]/g) ?? []).to.have.length(points.length);
      expect(await page.locator("#chart-accuracy circle.point").count()).to.equal(points.length);
      // Layer error: one bar per diagnosed layer, the worst highlighted.
      expect(await page.locator("#chart-layer-error rect.bar-error").count()).to.equal(report.conversion.diagnostics.layers.length);
      expect(await page.locator("#chart-layer-error g.worst").count()).to.equal(report.conversion.diagnostics.worst ? 1 : 0);
      // Raster: one band per layer, one dot per recorded spike (up to the documented cap).
      const spikes = report.raster.layers.reduce((a, l) => a + l.spikes.length, 0);
      expect(spikes).to.be.greaterThan(0);
      expect(await page.locator("#chart-raster g.raster-band").count()).to.equal(report.raster.layers.length);
      expect(await page.locator("#chart-raster .spike").count()).to.equal(Math.min(spikes, RASTER_DOT_CAP));

      // The text names the target and the accuracy.
      const text = await page.locator("body").innerText();
      expect(text).to.include(report.targetInfo.title);
      const acc = report.accuracy;
      expect(acc).not.to.equal(null);
      expect(text).to.include(`${((acc?.ann ?? 0) * 100).toFixed(2)}% → ${((acc?.snn ?? 0) * 100).toFixed(2)}%`);

      // The toggle recolours the cores by layer.
      const fill = (el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }).getComputedStyle(el).fill;
      const before = await cores.first().evaluate(fill);
      await page.locator('input[name="mesh-colour"][value="layer"]').check();
      expect(await page.locator("svg#chart-mesh.by-layer").count()).to.equal(1);
      const after = await cores.first().evaluate(fill);
      expect(after).not.to.equal(before);

      expect(errors).to.deep.equal([]);
      expect(requests).to.deep.equal([url]);
      await page.close();
    });

    it("issue 18: labels inside the raster, an honest pipeline marker, every stage timed, compartments, sources, separate chip accuracy", async () => {
      // The chip point measured on more samples than the curve (1,000 vs the curve's 40 here).
      const acc = report.accuracy as NonNullable<Report["accuracy"]>;
      const r2: Report = { ...report, accuracy: { ...acc, samples: 1000 } };
      const file = join(dir, "report-issue18.html");
      writeFileSync(file, renderHtml(r2));
      const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      type Box = { x: number; width: number };
      // Raster: every label's box starts inside the SVG (none clipped at the left edge).
      const labelBoxes = await page.locator("#chart-raster text.row-label, #chart-raster text.sub-label").evaluateAll((els) =>
        els.map((e) => {
          const b = (e as unknown as { getBBox(): Box }).getBBox();
          return { x: b.x, width: b.width };
        }));
      expect(labelBoxes.length).to.equal(2 * report.raster.layers.length);
      for (const b of labelBoxes) expect(b.x, JSON.stringify(b)).to.be.at.least(0);
      // The marker sits where the pipeline fill ends and says the input is presented at all steps.
      const markers = (await page.locator("#chart-raster .marker-label").allTextContents()).join(" | ");
      expect(markers).not.to.include("input presented, T");
      expect(markers).to.include(`readout window, T = ${report.timesteps} steps`);
      const caption = await page.locator("body").innerText();
      expect(caption).to.include(`The input is presented at all ${report.raster.steps} steps`);
      // Pass timings: every stage of the pipeline (the report's own is not known while it is written).
      const timed = await page.locator("#timings tr td:first-child").allTextContents();
      for (const stage of PASS_NAMES.filter((p) => p !== "report")) expect(timed, stage).to.include(stage);
      // Mesh tooltips: compartments are called compartments, and the neuron count is given.
      const title = (await page.locator("#chart-mesh g.core-g title").first().textContent()) ?? "";
      const core0 = report.mapping.coreList[0];
      expect(title).to.match(/compartments \d/);
      expect(title).not.to.match(/(^|, )neurons \d/m);
      expect(title).to.include(`${core0?.neurons} neuron`);
      // Sources a reader can follow: no file that is not in the repository.
      expect(caption).not.to.include("hardware.md");
      // The chip point is drawn with its own ANN on its own 1,000 samples, labelled so.
      expect(await page.locator("#chart-accuracy line.chip-ann").count()).to.equal(1);
      expect(await page.locator("#chart-accuracy text.chip-label-acc").textContent()).to.match(/\(1\D?000 samples\)/);
      await page.close();
    });

    it("issue 18: SpiNNaker-style layer-number labels (\"1+9\") fit their core boxes", async () => {
      // A crossbar (hex-torus) chip whose cores each hold two layers with two-digit numbers.
      const names = Array.from({ length: 12 }, (_, i) => `layer${i}`);
      const g = { chipsX: 1, chipsY: 1, tilesX: 1, tilesY: 1, coresPerTile: 16, coresPerChip: 16, torus: true };
      const coreList = Array.from({ length: 16 }, (_, i) => ({
        id: i, chipX: 0, chipY: 0, index: i, tileX: 0, tileY: 0, layers: [names[i % 3] as string, names[9 + (i % 3)] as string],
        utilisation: 0.5, resources: { neurons: 100 }, neurons: 100,
      }));
      const r3: Report = { ...report, mapping: { ...report.mapping, cores: 16, chips: 1, grid: g, coreList } };
      const file = join(dir, "report-spinnaker.html");
      writeFileSync(file, renderHtml(r3));
      const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const fits = await page.locator("#chart-mesh g.core-g").evaluateAll((gs) => gs.map((el) => {
        const rect = el.querySelector("rect.core") as unknown as { getBBox(): { width: number } } | null;
        const text = el.querySelector("text.core-label") as unknown as { getBBox(): { width: number }; textContent: string } | null;
        return { label: text?.textContent ?? null, text: text ? text.getBBox().width : 0, box: rect ? rect.getBBox().width : 0 };
      }));
      expect(fits).to.have.length(16);
      for (const f of fits) expect(f.text, `${f.label} in a ${f.box}px box`).to.be.at.most(f.box - 1);
      await page.close();
    });
  });
});
