/**
 * @fileoverview Test helper: awaits a promise (or calls a function) that must fail with one SnncError code.
 */
import { expect } from "chai";
import { SnncError } from "../../compiler/diagnostics.ts";

export async function expectError(p: Promise<unknown> | (() => unknown), code: string): Promise<SnncError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(SnncError);
    expect((e as SnncError).code, (e as Error).message).to.equal(code);
    return e as SnncError;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}
