/** The librosa reference arrays in ../shared/reference/librosa and a tolerance check against them. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readNpySync, toFloat64 } from "../../core/npy.ts";
import type { NdArray } from "../../core/ndarray.ts";
import type { Signal } from "../../core/plugin.ts";

import { REFERENCE } from "../helpers.ts";

export const REFERENCE_DIR = REFERENCE;
export const CLIPS = ["synth", "real"] as const;
export type Clip = (typeof CLIPS)[number];

export function referenceArray(clip: Clip, name: string): NdArray {
  return readNpySync(join(REFERENCE_DIR, clip, `${name}.npy`));
}

export function referenceSignal(clip: Clip): Signal {
  return { y: referenceArray(clip, "y").data as Float32Array, sr: 22050 };
}

export function referenceExists(): boolean {
  return existsSync(join(REFERENCE_DIR, "synth", "y.npy"));
}

export interface Deviation {
  /** max |a - ref| / max |ref| */
  readonly relative: number;
  /** Elements with |a - ref| > tolerance · max |ref|. */
  readonly outside: number;
  readonly maxRef: number;
}

/** How far `actual` is from the reference array, relative to the reference's max |value|. */
export function deviation(actual: NdArray, reference: NdArray, tolerance = 1e-4): Deviation {
  const a = toFloat64(actual);
  const r = toFloat64(reference);
  if (a.length !== r.length) throw new Error(`length ${a.length} vs reference ${r.length}`);
  let maxRef = 0;
  for (const v of r) maxRef = Math.max(maxRef, Math.abs(v));
  let err = 0;
  let outside = 0;
  for (let i = 0; i < r.length; i++) {
    const e = Math.abs(a[i] - r[i]);
    if (!(e <= tolerance * maxRef)) outside++;
    if (!(e <= err)) err = e;
  }
  return { relative: maxRef > 0 ? err / maxRef : err, outside, maxRef };
}
