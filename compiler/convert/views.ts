/**
 * @fileoverview Views: how a population's neurons sit inside a tensor of the ANN after the free, data-moving
 * layers (Flatten, Reshape, ZeroPadding2D, Concatenate). No neuron is created for those layers; a consumer
 * (Dense, Conv, pooling) reads its input tensor as a set of views and gets one projection per view.
 *
 * A view places source neuron (y, x, c) of population `pop` at flat index
 *     flatBase + ((y + dy) * L.w + (x + dx)) * L.c + (c + dc)
 * of the consumer's input tensor, where L = `layout` is the 3-D tensor it was last spatial in. `shape` is
 * the tensor's logical (possibly reshaped) shape. Positions no view covers are zeros (padding).
 */
import { fail } from "../diagnostics.ts";
import type { Shape } from "../ir/ann.ts";
import { shapeSize } from "../ir/ann.ts";

export type Shape3 = readonly [number, number, number];

export interface View {
  readonly pop: number;
  /** Shape of the source population. */
  readonly popShape: Shape3;
  readonly layout: Shape3;
  readonly dy: number;
  readonly dx: number;
  readonly dc: number;
  readonly flatBase: number;
  /** Logical shape of the tensor the view is part of. */
  readonly shape: Shape;
}

export function to3d(shape: Shape): Shape3 {
  if (shape.length === 3) return [shape[0] ?? 1, shape[1] ?? 1, shape[2] ?? 1];
  if (shape.length === 1) return [1, 1, shape[0] ?? 1];
  if (shape.length === 2) return [1, shape[0] ?? 1, shape[1] ?? 1];
  return [1, 1, shapeSize(shape)];
}

export function identityView(pop: number, shape: Shape): View {
  const s = to3d(shape);
  return { pop, popShape: s, layout: s, dy: 0, dx: 0, dc: 0, flatBase: 0, shape };
}

/** True when the view is the whole population, unmoved, in a tensor of the same 3-D shape. */
export function isWhole(v: View): boolean {
  const [h, w, c] = v.popShape;
  const [H, W, C] = v.layout;
  return v.dy === 0 && v.dx === 0 && v.dc === 0 && v.flatBase === 0 && h === H && w === W && c === C && shapeSize(v.shape) === h * w * c;
}

/** The view is spatial when its logical shape is its 3-D layout (no flatten/reshape since the last pad). */
export function isSpatial(v: View): boolean {
  const s = to3d(v.shape);
  return v.flatBase === 0 && s[0] === v.layout[0] && s[1] === v.layout[1] && s[2] === v.layout[2];
}

export function flatIndexOf(v: View, y: number, x: number, c: number): number {
  return v.flatBase + ((y + v.dy) * v.layout[1] + (x + v.dx)) * v.layout[2] + (c + v.dc);
}

export function reshapeViews(views: readonly View[], shape: Shape): View[] {
  return views.map((v) => ({ ...v, shape }));
}

export function padViews(views: readonly View[], pad: readonly [readonly [number, number], readonly [number, number]], layer: string): View[] {
  const [[t, b], [l, r]] = pad;
  return views.map((v) => {
    if (!isSpatial(v)) throw fail("SNNC201", "ZeroPadding2D of a flattened or reshaped tensor", { layer });
    const layout: Shape3 = [v.layout[0] + t + b, v.layout[1] + l + r, v.layout[2]];
    return { ...v, layout, dy: v.dy + t, dx: v.dx + l, shape: layout };
  });
}

/** Concatenation along `axis` of the per-sample shape (already resolved to a positive index). */
export function concatViews(parts: readonly (readonly View[])[], partShapes: readonly Shape[], axis: number, outShape: Shape, layer: string): View[] {
  const rank = outShape.length;
  if (axis === rank - 1 && rank === 3) {
    // Channel concat of spatial tensors: shift channels, share one layout.
    const [H, W] = [outShape[0] ?? 1, outShape[1] ?? 1];
    const C = outShape[2] ?? 1;
    let offset = 0;
    const out: View[] = [];
    parts.forEach((views, k) => {
      for (const v of views) {
        if (!isSpatial(v) || v.layout[0] !== H || v.layout[1] !== W) {
          throw fail("SNNC201", "Concatenate of tensors whose spatial layout differs", { layer });
        }
        out.push({ ...v, layout: [H, W, C], dc: v.dc + offset, shape: outShape });
      }
      offset += partShapes[k]?.[2] ?? 0;
    });
    return out;
  }
  if (rank === 1) {
    let offset = 0;
    const out: View[] = [];
    parts.forEach((views, k) => {
      for (const v of views) out.push({ ...v, flatBase: v.flatBase + offset, shape: outShape });
      offset += shapeSize(partShapes[k] ?? []);
    });
    return out;
  }
  throw fail("SNNC201", `Concatenate along axis ${axis} of a rank-${rank} tensor is not supported in conversion`, { layer },
    "concatenate channels (last axis) of images, or flat vectors");
}
