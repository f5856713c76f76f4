/**
 * The feature runner. One `FeatureContext` per clip (a memo map) so that every feature of the clip
 * shares one STFT, one mel spectrogram, one onset envelope; each output is checked against the shape
 * its plugin declares; with a cache, only what is missing is computed.
 */
import { ClaveError, FeatureError } from "../errors.ts";
import { sizeOf, type NdArray } from "../ndarray.ts";
import { resolveParams } from "../params.ts";
import type { FeatureContext, FeaturePlugin, Signal } from "../plugin.ts";
import type { FeatureCache } from "./cache.ts";
import { canonicalJson } from "./cache.ts";
import { lendScratch, returnScratch } from "./scratch.ts";
import { checkSignal } from "./shared.ts";

/** A FeatureContext that also records which memo keys it computed, in order (for tests and profiling). */
export interface RecordingFeatureContext extends FeatureContext {
  readonly computed: readonly string[];
}

/** A fresh per-clip context: `memo(key, compute)` runs `compute` once per key. */
export function createFeatureContext(): RecordingFeatureContext {
  const values = new Map<string, unknown>();
  const computed: string[] = [];
  return {
    computed,
    memo<T>(key: string, compute: () => T): T {
      if (values.has(key)) return values.get(key) as T;
      const value = compute();
      values.set(key, value);
      computed.push(key);
      return value;
    },
  };
}

/** One feature to extract: a plugin and the params given for it (defaults fill the rest). */
export interface FeatureRequest {
  readonly plugin: FeaturePlugin;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Name of the output (file name, table column prefix); defaults to the plugin's name. */
  readonly as?: string;
}

export interface FeatureResult {
  readonly name: string;
  readonly plugin: string;
  /** The params used, defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly array: NdArray;
  readonly cached: boolean;
}

/** Does `shape` match the declared shape (where -1 stands for any length)? */
export function shapeMatches(shape: readonly number[], declared: readonly number[]): boolean {
  return shape.length === declared.length && declared.every((d, i) => d === -1 || d === shape[i]);
}

function checkShape(plugin: FeaturePlugin, params: unknown, signal: Signal, array: NdArray): NdArray {
  const declared = plugin.shape(params as never, signal.y.length, signal.sr);
  if (!shapeMatches(array.shape, declared)) {
    throw new FeatureError(plugin.name, undefined, `returned shape [${array.shape.join(", ")}] but declares [${declared.join(", ")}]`);
  }
  if (array.data.length !== sizeOf(array.shape)) {
    throw new FeatureError(plugin.name, undefined, `returned ${array.data.length} values for shape [${array.shape.join(", ")}]`);
  }
  checkFinite(plugin.name, array);
  return array;
}

/**
 * Refuse an output holding NaN or Inf (a plugin's bug, or audio so loud its power overflows float32),
 * before anything caches, stores or trains on it.
 */
function checkFinite(feature: string, array: NdArray): void {
  const { data } = array;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      const where = array.shape.length > 1 ? ` at [${unravel(i, array.shape).join(", ")}]` : ` at index ${i}`;
      throw new FeatureError(feature, undefined, `output is not finite: ${v}${where} (audio too loud for float32, or a bug in the plugin)`);
    }
  }
}

function unravel(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return out;
}

/**
 * Extract one feature within a clip's context: params validated against the plugin's schema, the
 * signal checked (NaN/Inf refused, as librosa does), the result checked against `shape()` and for
 * NaN/Inf (refused too). The result is memoised in `ctx`, so a feature asked for twice (directly and
 * inside `stack`) runs once.
 */
export function runFeature(
  plugin: FeaturePlugin,
  rawParams: Readonly<Record<string, unknown>> | undefined,
  signal: Signal,
  ctx: FeatureContext,
): Promise<NdArray> {
  const params = resolveParams(plugin, rawParams ?? {});
  return ctx.memo(`feature:${plugin.name}:${canonicalJson(params)}`, async () => {
    checkSignal(signal, plugin.name, ctx);
    const array = await plugin.extract(signal, params as never, ctx);
    return checkShape(plugin, params, signal, array);
  });
}

export interface ExtractOptions {
  /** Reuse this context (its memo) instead of a fresh one. */
  readonly ctx?: FeatureContext;
  /** Read and write features here, keyed by `audioHash`. */
  readonly cache?: FeatureCache;
  /** Content hash of the audio (see `hashFile`, `hashSignal`); required with `cache`. */
  readonly audioHash?: string;
  /** The audio file, named in errors. */
  readonly source?: string;
}

function withSource(error: unknown, feature: string, source: string | undefined): unknown {
  if (!source) return error;
  if (error instanceof FeatureError && error.source === undefined) {
    return new FeatureError(error.feature, source, error.reason, { cause: error });
  }
  if (error instanceof ClaveError) return error;
  return new FeatureError(feature, source, error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Extract `requests` from one signal. With a cache, features already stored for (audio hash, plugin,
 * params, sr) are read back and only the others are computed (sharing one context), then stored.
 * Results are in request order.
 */
export async function extractFeatures(
  signal: Signal,
  requests: readonly FeatureRequest[],
  options: ExtractOptions = {},
): Promise<FeatureResult[]> {
  if (options.cache && !options.audioHash) throw new TypeError("extractFeatures: a cache needs the audio's content hash (audioHash)");
  const ctx = options.ctx ?? createFeatureContext();
  const results: FeatureResult[] = [];
  // A context made here ends here, so its large intermediates can go back to the thread's pool.
  if (!options.ctx) lendScratch(ctx);
  try {
    await extractInto(ctx, signal, requests, options, results);
  } finally {
    if (!options.ctx) returnScratch(ctx, results.map((r) => r.array));
  }
  return results;
}

async function extractInto(
  ctx: FeatureContext,
  signal: Signal,
  requests: readonly FeatureRequest[],
  { cache, audioHash, source }: ExtractOptions,
  results: FeatureResult[],
): Promise<void> {
  for (const request of requests) {
    const { plugin } = request;
    const name = request.as ?? plugin.name;
    try {
      const params = resolveParams(plugin, request.params ?? {}) as Record<string, unknown>;
      const hit = cache ? await cache.read(audioHash!, plugin.name, params, signal.sr) : undefined;
      if (hit && shapeMatches(hit.shape, plugin.shape(params as never, signal.y.length, signal.sr))) {
        results.push({ name, plugin: plugin.name, params, array: hit, cached: true });
        continue;
      }
      const array = await runFeature(plugin, params, signal, ctx);
      if (cache) await cache.write(audioHash!, plugin.name, params, signal.sr, array);
      results.push({ name, plugin: plugin.name, params, array, cached: false });
    } catch (error) {
      throw withSource(error, plugin.name, source);
    }
  }
}
