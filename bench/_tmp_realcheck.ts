import { compileModel } from "../compiler/compile.ts";
import { decodeBinary } from "../runtime/format/reader.ts";
import { request, EXAMPLES } from "../test/helpers/compile.ts";
for (const [m, t, over] of [["mlp", "loihi2", { method: "mt", mtLevels: 40 }], ["mlp", "spinnaker", { encoding: "poisson", readout: "spikes" }], ["mlp", "loihi", { reset: "zero", perChannel: true }], ["cnn", "spinnaker", { method: "ttrbr" }]] as const) {
  const t0 = performance.now();
  try {
    const o = await compileModel(request(EXAMPLES[m], t, { samples: 4, calibrationSamples: 32, verifySamples: 1, ...(over as object) }), { warn: () => {}, progress: () => {}, stage: () => {} });
    decodeBinary(o.binary);
    console.log(m, t, JSON.stringify(over), "ok", ((performance.now() - t0) / 1000).toFixed(0), "s");
  } catch (e) { console.log(m, t, "FAIL", (e as Error).message, (e as {code?: string}).code); }
}
