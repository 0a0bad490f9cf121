/**
 * Error-search normalisation (convert/search.ts): the IF rate model and the threshold it picks.
 */
import { expect } from "chai";
import { bestThreshold, conversionError } from "../../compiler/convert/search.ts";

describe("error-search normalisation", () => {
  it("the rate model is exact for activations on the spike grid and clips above the threshold", () => {
    const a = Float32Array.of(0.25, 0.5, 1);
    expect(conversionError(a, 1, 4, 0.5)).to.equal(0);
    // 2.0 clipped to 1: error 1; 0.3 → round(1.2) = 1 spike of 0.25: error 0.05².
    expect(conversionError(Float32Array.of(2), 1, 4, 0.5)).to.equal(1);
    expect(conversionError(Float32Array.of(0.3), 1, 4, 0.5)).to.be.closeTo(0.0025, 1e-8);
    // Without the half-threshold start the count rounds down: 0.3 → 1 spike (0.25), 0.2 → 0.
    expect(conversionError(Float32Array.of(0.2), 1, 4, 0)).to.be.closeTo(0.04, 1e-8);
  });

  it("a rare outlier does not set the threshold; a dense top does", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => (i + 1) / 10_000);
    // One value at 4 among 10,000 in (0, 1]: λ = 4 costs 10⁴·(4/32)²/12 ≈ 13 in rounding, λ = 1 costs 9 in
    // clipping plus 0.8 in rounding; the least error lies between (≈ 2.2).
    const withOutlier = Float32Array.from([...values, 4]).sort();
    const t = bestThreshold(withOutlier, 4, 32, 0.5);
    expect(t).to.be.below(3);
    expect(t).to.be.above(1.5);
    const flat = Float32Array.from(values).sort();
    expect(bestThreshold(flat, 1, 32, 0.5)).to.be.above(0.95);
  });
});
