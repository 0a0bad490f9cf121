/**
 * @fileoverview The backend interface: a target family's encoder of a RoutedSnn into network.snnb.
 */
import type { RoutedSnn } from "../compiler/ir/mapped.ts";
import type { Target } from "../compiler/target/schema.ts";
import type { SectionBytes } from "../runtime/format/writer.ts";
import type { Metadata } from "./common.ts";

export interface Backend {
  /** The target `family` this backend encodes. */
  readonly family: Target["family"];
  /** `extra`: sections both families write the same way, appended after META (CMPT, backends/compute.ts). */
  encode(net: RoutedSnn, target: Target, meta: Metadata, extra?: readonly SectionBytes[]): Uint8Array;
}
