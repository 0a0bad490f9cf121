/**
 * @fileoverview readNpy on a Node Buffer: small Buffers are views into Node's shared pool, so the reader must
 * copy the payload rather than reinterpret `.buffer` (regression: it returned the pool's first bytes).
 */
import { expect } from "chai";
import { readNpy, writeNpy } from "../../compiler/data/npy.ts";

describe("readNpy", () => {
  it("reads a .npy held in a pooled Node Buffer", () => {
    const values = Float32Array.from([1.5, -2, 3.25, 4, 0.5, 6]);
    const bytes = writeNpy([2, 3], values);
    // Buffer.from(string) of a small size is carved out of the shared pool at a nonzero offset.
    Buffer.from("padding so the next buffer starts at an offset");
    const pooled = Buffer.from(bytes);
    const arr = readNpy(pooled);
    expect(arr.shape).to.deep.equal([2, 3]);
    expect(Array.from(arr.data as Float32Array)).to.deep.equal(Array.from(values));
  });
});
