/** The feature cache: hits cost no computation, a changed param recomputes only its feature, numpy reads the files. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { builtinPlugins } from "../../plugins/index.ts";
import { defineFeature, type FeaturePlugin } from "../../core/plugin.ts";
import { ndarray } from "../../core/ndarray.ts";
import { FeatureCache, canonicalJson, hashSignal, paramsKey } from "../../core/features/cache.ts";
import { extractFeatures } from "../../core/features/extract.ts";
import { python, tempDir } from "../helpers.ts";

const feature = (name: string) => builtinPlugins.find((p) => p.kind === "feature" && p.name === name) as FeaturePlugin;

/** A feature that counts its calls. */
function counting(name: string) {
  const calls = { n: 0 };
  const plugin = defineFeature({
    name,
    description: "Mean of the signal times a factor, counting calls.",
    params: z.object({ factor: z.number().default(1).describe("multiplier") }),
    shape: () => [1],
    extract: (s, p) => {
      calls.n++;
      return ndarray(Float64Array.of(s.y.reduce((a, b) => a + b, 0) * p.factor), [1]);
    },
  });
  return { plugin, calls };
}

describe("feature cache", () => {
  const signal = { y: Float32Array.from({ length: 22050 }, (_, i) => Math.sin(i / 9)), sr: 22050 };

  test("miss, then hit without computing, then a changed param recomputes only that feature", async () => {
    const cache = new FeatureCache(tempDir());
    const audioHash = hashSignal(signal);
    const a = counting("count_a"), b = counting("count_b");
    const requests = [{ plugin: a.plugin }, { plugin: b.plugin }];
    const first = await extractFeatures(signal, requests, { cache, audioHash });
    expect(first.map((r) => r.cached)).toEqual([false, false]);
    const again = await extractFeatures(signal, requests, { cache, audioHash });
    expect(again.map((r) => r.cached)).toEqual([true, true]);
    expect([a.calls.n, b.calls.n]).toEqual([1, 1]);
    expect(Array.from(again[0].array.data as Float64Array)).toEqual(Array.from(first[0].array.data as Float64Array));
    const changed = await extractFeatures(signal, [{ plugin: a.plugin, params: { factor: 2 } }, { plugin: b.plugin }], { cache, audioHash });
    expect(changed.map((r) => r.cached)).toEqual([false, true]);
    expect([a.calls.n, b.calls.n]).toEqual([2, 1]);
    // explicit defaults are the same key as omitted ones
    const explicit = await extractFeatures(signal, [{ plugin: b.plugin, params: { factor: 1 } }], { cache, audioHash });
    expect(explicit[0].cached).toBe(true);
  });

  test("layout <dir>/<h[0:2]>/<h>/<feature>-<params>.npy; other audio, other rate: other keys", () => {
    const cache = new FeatureCache("/c");
    const h = "ab".padEnd(64, "0");
    expect(cache.path(h, "mfcc", { n_mfcc: 13 }, 22050)).toBe(`/c/ab/${h}/mfcc-${paramsKey("mfcc", { n_mfcc: 13 }, 22050)}.npy`);
    expect(paramsKey("mfcc", { n_mfcc: 13 }, 22050)).not.toBe(paramsKey("mfcc", { n_mfcc: 13 }, 44100));
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(hashSignal(signal)).not.toBe(hashSignal({ ...signal, sr: 44100 }));
  });

  test("a damaged cache file is a miss and is rewritten; no temporary files are left", async () => {
    const dir = tempDir();
    const cache = new FeatureCache(dir);
    const audioHash = hashSignal(signal);
    const a = counting("count_c");
    await extractFeatures(signal, [{ plugin: a.plugin }], { cache, audioHash });
    const path = cache.path(audioHash, "count_c", { factor: 1 }, 22050);
    writeFileSync(path, "garbage");
    const r = await extractFeatures(signal, [{ plugin: a.plugin }], { cache, audioHash });
    expect(r[0].cached).toBe(false);
    expect(a.calls.n).toBe(2);
    expect((await cache.read(audioHash, "count_c", { factor: 1 }, 22050))?.shape).toEqual([1]);
    expect(readdirSync(join(dir, audioHash.slice(0, 2), audioHash)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("numpy reads the cached arrays as they were computed", async () => {
    const cache = new FeatureCache(tempDir());
    const audioHash = hashSignal(signal);
    const [mfcc, beats] = await extractFeatures(signal, [{ plugin: feature("mfcc"), params: { n_mfcc: 13 } }, { plugin: feature("onset_strength") }], { cache, audioHash });
    const p1 = cache.path(audioHash, "mfcc", mfcc.params, 22050);
    const p2 = cache.path(audioHash, "onset_strength", beats.params, 22050);
    expect(existsSync(p1)).toBe(true);
    const out = JSON.parse(python(`import json, numpy as np\na=np.load(${JSON.stringify(p1)}); b=np.load(${JSON.stringify(p2)})\nprint(json.dumps([list(a.shape), str(a.dtype), float(a[3,7]), list(b.shape), str(b.dtype)]))`));
    expect(out).toEqual([[13, 44], "float32", (mfcc.array.data as Float32Array)[3 * 44 + 7], [44], "float32"]);
  });
});
