/**
 * The feature cache: one `.npy` file (readable by numpy) per (audio content, feature, params), at
 *
 *     <dir>/<h[0:2]>/<h>/<feature>-<k>.npy
 *
 * with h the SHA-256 of the audio file's bytes (or of the decoded signal) and k a hash of the canonical
 * JSON of {feature, params, sr, version}. Re-running costs a hash and a read; changing one param
 * recomputes only the features whose key changed. Files are written atomically, so an interrupted run
 * leaves whole files or none; an unreadable file counts as a miss and is rewritten.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeNpy, encodeNpy } from "../npy.ts";
import { writeFileAtomic } from "../fsutil.ts";
import type { NdArray } from "../ndarray.ts";
import type { Signal } from "../plugin.ts";

/** Bump when an extractor changes its output, so old cache entries stop matching. */
export const FEATURES_VERSION = 1;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return JSON.stringify(String(value));
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 of a file's bytes, streamed (the manifest's `hash` column holds the same). */
export { hashFile } from "../dataset/hash.ts";

/** SHA-256 of a decoded signal (its float32 samples and rate), for signals that are not files. */
export function hashSignal(signal: Signal): string {
  const hash = createHash("sha256");
  hash.update(`sr=${signal.sr};`);
  hash.update(new Uint8Array(signal.y.buffer, signal.y.byteOffset, signal.y.byteLength));
  return hash.digest("hex");
}

/** The part of a cache file name that encodes the feature's params and the sampling rate. */
export function paramsKey(feature: string, params: unknown, sr: number): string {
  return sha256(canonicalJson({ feature, params, sr, version: FEATURES_VERSION })).slice(0, 16);
}

export class FeatureCache {
  constructor(readonly dir: string) {}

  path(audioHash: string, feature: string, params: unknown, sr: number): string {
    return join(this.dir, audioHash.slice(0, 2), audioHash, `${feature}-${paramsKey(feature, params, sr)}.npy`);
  }

  /** The stored array, or undefined when absent or unreadable. */
  async read(audioHash: string, feature: string, params: unknown, sr: number): Promise<NdArray | undefined> {
    const path = this.path(audioHash, feature, params, sr);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined;
    }
    try {
      return decodeNpy(bytes, path);
    } catch {
      return undefined;
    }
  }

  async write(audioHash: string, feature: string, params: unknown, sr: number, array: NdArray): Promise<string> {
    const path = this.path(audioHash, feature, params, sr);
    await writeFileAtomic(path, encodeNpy(array));
    return path;
  }
}
