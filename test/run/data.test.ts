/**
 * datasetArrays: the tracks' examples computed in the feature worker pool equal those computed on the
 * main thread (values, order, tracks, segments, problems), with and without the feature cache; a feature
 * plugin the workers cannot resolve is computed on the main thread.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildDataset, type Dataset } from "../../index.ts";
import { registryOrDefault } from "../../core/defaults.ts";
import { FeatureCache } from "../../core/features/cache.ts";
import type { FeaturePlugin } from "../../core/plugin.ts";
import { datasetArrays, type DatasetArrays } from "../../core/run/data.ts";
import { resolveFeatureSpec } from "../../core/run/features.ts";
import { tempDir } from "../helpers.ts";

const dir = tempDir("clave-data-");
let ds: Dataset;

function expectSame(a: DatasetArrays, b: DatasetArrays): void {
  expect(a.labels).toEqual(b.labels);
  expect(a.problems).toEqual(b.problems);
  for (const split of ["train", "validation", "test"] as const) {
    const [x, y] = [a[split], b[split]];
    expect(x === undefined).toBe(y === undefined);
    if (!x || !y) continue;
    expect(x.x.shape).toEqual(y.x.shape);
    expect(Buffer.from(x.x.data.buffer, x.x.data.byteOffset, x.x.data.byteLength).equals(Buffer.from(y.x.data.buffer, y.x.data.byteOffset, y.x.data.byteLength))).toBe(true);
    expect([...x.y]).toEqual([...y.y]);
    expect(x.tracks).toEqual(y.tracks);
    expect(x.segments).toEqual(y.segments);
  }
}

describe("datasetArrays through the worker pool", () => {
  test("equals the main thread's arrays, with and without the cache, a broken file reported the same", async () => {
    ds = await buildDataset({ source: "synthetic", params: { per_class: 3, seconds: 4, seed: 5 }, out: join(dir, "syn", "manifest.csv"), seed: 5, ratios: [0.4, 0.3, 0.3], onWarning: () => {} });
    const registry = await registryOrDefault();
    const spec = resolveFeatureSpec(registry, "mfcc", { n_mfcc: 13 }, { segment_s: 1.5, hop_s: 1 });
    const plugin = registry.feature(spec.plugin);
    // One track's file is not audio: both paths leave it out with the same reason.
    const broken = ds.manifest.rows.find((r) => r.split === "train")!;
    writeFileSync(join(dir, "syn", broken.path), "not audio");
    // Count this thread's extractions (the same plugin object: workers have their own module instances).
    const extract = plugin.extract.bind(plugin);
    let here = 0;
    const counted = Object.assign(plugin, { extract: (...a: Parameters<FeaturePlugin["extract"]>) => (here++, extract(...a)) });
    const main = await datasetArrays(ds.manifest, ds.file, spec, counted, { workers: 1 });
    expect(here).toBeGreaterThan(0);
    here = 0;
    const pooled = await datasetArrays(ds.manifest, ds.file, spec, counted, { workers: 2 });
    expect(here).toBe(0);
    expect(main.problems.length).toBe(1);
    expect(main.problems[0].reason).toStartWith(`${broken.id}: `);
    expect(main.train!.x.shape[0]).toBeGreaterThan(0);
    expectSame(pooled, main);

    const cacheDir = join(dir, "cache");
    const first = await datasetArrays(ds.manifest, ds.file, spec, plugin, { workers: 2, cache: new FeatureCache(cacheDir) });
    expectSame(first, main);
    // The workers wrote the segments' features into the cache; the main thread reads them back.
    expect(readdirSync(cacheDir).length).toBeGreaterThan(0);
    here = 0;
    const cached = await datasetArrays(ds.manifest, ds.file, spec, counted, { workers: 1, cache: new FeatureCache(cacheDir) });
    expect(here).toBe(0);
    expectSame(cached, main);
    Object.assign(plugin, { extract });
  }, 120_000);

  test("a feature plugin that is not built in is computed on the main thread", async () => {
    const registry = await registryOrDefault();
    const spec = resolveFeatureSpec(registry, "rms", {}, { segment_s: 2 });
    const builtin = registry.feature(spec.plugin);
    let calls = 0;
    // A copy under the same name: the workers would resolve the built-in, not this one.
    const mine: FeaturePlugin = {
      ...builtin,
      extract: (signal, params, ctx) => {
        calls++;
        return builtin.extract(signal, params, ctx);
      },
    };
    const out = await datasetArrays(ds.manifest, ds.file, spec, mine, { workers: 2 });
    expect(calls).toBe(out.train!.x.shape[0] + out.validation!.x.shape[0] + out.test!.x.shape[0]);
  }, 60_000);
});
