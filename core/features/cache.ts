/**
 * The feature cache: one `.npy` file (readable by numpy) per (audio content, feature, params), at
 *
 *     <dir>/<h[0:2]>/<h>/<feature>-<k>.npy
 *
 * with h the SHA-256 of the audio file's bytes (or of the decoded signal) and k a hash of the canonical
 * JSON of {feature, params, sr, version}. Re-running costs a hash and a read; changing one param
 * recomputes only the features whose key changed. Files are written atomically, so an interrupted run
 * leaves whole files or none (and the temporaries a killed run leaves are swept on the next visit); an
 * unreadable file, or one holding NaN or Inf, counts as a miss and is rewritten.
 *
 * `h` becomes a folder name, so it must be a SHA-256 in lower-case hex (anything else is refused, never
 * turned into a path). The cache is an accelerator by default: when it cannot be written (a full disk,
 * a folder that is a file) it warns once and the features are computed without it; a store that is
 * the output itself (`features dataset`) asks for `writeErrors: "throw"`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ContentHashError, type ClaveError } from "../errors.ts";
import { decodeNpy, encodeNpy } from "../npy.ts";
import { fileError, removeStaleTemporaries, writeFileAtomic } from "../fsutil.ts";
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

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Is `value` a SHA-256 in lower-case hex (what `hashFile` and `hashSignal` return)? */
export function isContentHash(value: string): boolean {
  return SHA256_HEX.test(value);
}

/** Is every value finite (no NaN, no ±Inf)? */
export function allFinite(data: ArrayLike<number | bigint>): boolean {
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) return false;
  }
  return true;
}

export interface FeatureCacheOptions {
  /**
   * What a failing write does: `warn` (default) reports it once through `onWarning` and stops writing,
   * the features being computed in memory; `throw` throws a FileError naming the path.
   */
  readonly writeErrors?: "warn" | "throw";
  /** Where the one warning goes (default: a line on stderr). */
  readonly onWarning?: (message: string) => void;
}

export class FeatureCache {
  /** The first write error, once writes have been given up (`writeErrors: "warn"`). */
  writeError: ClaveError | undefined;

  constructor(
    readonly dir: string,
    readonly options: FeatureCacheOptions = {},
  ) {}

  /** The folder of one audio content; `audioHash` must be a SHA-256 (it is a path component). */
  folder(audioHash: string): string {
    if (!isContentHash(audioHash)) throw new ContentHashError(audioHash, this.dir);
    return join(this.dir, audioHash.slice(0, 2), audioHash);
  }

  path(audioHash: string, feature: string, params: unknown, sr: number): string {
    return join(this.folder(audioHash), `${feature}-${paramsKey(feature, params, sr)}.npy`);
  }

  /** Where the decoded length of the audio at `sr` is kept (for runs that decode nothing). */
  lengthPath(audioHash: string, sr: number): string {
    return join(this.folder(audioHash), `length-${sr}.json`);
  }

  /** Remove the temporaries killed writers left in this audio's folder (see `removeStaleTemporaries`). */
  sweep(audioHash: string): Promise<string[]> {
    return removeStaleTemporaries(this.folder(audioHash));
  }

  /** Write `data` at `path` under the cache's write-error policy; false when the write was skipped or failed. */
  async store(path: string, data: string | Uint8Array): Promise<boolean> {
    if (this.writeError) return false;
    try {
      await writeFileAtomic(path, data);
      return true;
    } catch (error) {
      const failure = fileError(path, error, "write");
      if (this.options.writeErrors === "throw") throw failure;
      this.writeError = failure;
      const message = `clave: warning: the feature cache cannot be written (${failure.message}); features are computed without it`;
      if (this.options.onWarning) this.options.onWarning(message);
      else process.stderr.write(`${message}\n`);
      return false;
    }
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
      const array = decodeNpy(bytes, path);
      // Written before non-finite outputs were refused, or damaged: recompute it.
      return allFinite(array.data) ? array : undefined;
    } catch {
      return undefined;
    }
  }

  /** Store `array`; its path, or undefined when the cache gave up writing (see `writeErrors`). */
  async write(audioHash: string, feature: string, params: unknown, sr: number, array: NdArray): Promise<string | undefined> {
    const path = this.path(audioHash, feature, params, sr);
    return (await this.store(path, encodeNpy(array))) ? path : undefined;
  }
}
