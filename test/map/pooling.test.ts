/**
 * The pooling decision (compiler/map/pooling.ts): fold average pooling into the next layer unless only the
 * unfolded network fits a core's fan-in; a layer that fits neither way keeps the default (partition then
 * names it, SNNC402) instead of a misleading switch.
 */
import { expect } from "chai";
import { DEFAULT_CONVERT_OPTIONS } from "../../compiler/convert/methods.ts";
import { lowerAnn } from "../../compiler/convert/lower.ts";
import { importModel } from "../../compiler/import/index.ts";
import type { AnnGraph } from "../../compiler/ir/ann.ts";
import { choosePooling, oneNeuronFanIn } from "../../compiler/map/pooling.ts";
import { loadTarget } from "../../compiler/target/load.ts";
import { EXAMPLES } from "../helpers/compile.ts";

describe("pooling choice", () => {
  let cnn: AnnGraph;
  before(async () => {
    cnn = await importModel(EXAMPLES.cnn);
  });
  const mt = { ...DEFAULT_CONVERT_OPTIONS, method: "mt" as const };

  it("one-neuron fan-in: the dense layer after folded 2×2 pooling reads 4× the inputs", () => {
    const folded = oneNeuronFanIn(lowerAnn(cnn, { maxPoolAsAverage: true, foldPooling: true }, () => {}));
    const spiking = oneNeuronFanIn(lowerAnn(cnn, { maxPoolAsAverage: true, foldPooling: false }, () => {}));
    expect(spiking.get("fc1")).to.equal(7 * 7 * 32);
    expect(folded.get("fc1")).to.equal(4 * 7 * 7 * 32);
    expect(folded.has("pool2")).to.equal(false);
  });

  it("loihi2 (4096 fan-in axons): mt keeps pooling spiking, with SNNC-W203 naming fc1", () => {
    const c = choosePooling(cnn, loadTarget("loihi2"), mt);
    expect(c.pooling).to.equal("spiking");
    expect(c.warning?.code).to.equal("SNNC-W203");
    expect(c.warning?.loc?.layer).to.equal("fc1");
  });

  it("folds where the folded layer fits; keeps an explicit choice; no switch when neither way fits", () => {
    expect(choosePooling(cnn, loadTarget("spinnaker"), mt)).to.deep.equal({ pooling: "fold", warning: null });
    expect(choosePooling(cnn, loadTarget("loihi2"), { ...mt, pooling: "fold" })).to.deep.equal({ pooling: "fold", warning: null });
    expect(choosePooling(cnn, loadTarget("loihi2"), { ...mt, method: "ecc" })).to.deep.equal({ pooling: "spiking", warning: null });
    // tiny: 512 fan-in axons; fc1 reads 1568 inputs even unfolded, so switching would not help.
    expect(choosePooling(cnn, loadTarget("tiny"), mt)).to.deep.equal({ pooling: "fold", warning: null });
  });
});
