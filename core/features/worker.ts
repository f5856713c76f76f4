/**
 * The body of a dataset feature worker (see dataset.ts): builds a registry of the built-in feature
 * plugins plus the given plugin modules, then for each clip it is sent: hash the file (unless the
 * manifest gave the hash), read what the cache already holds, decode and extract only if something is
 * missing, store, reply with a small summary (and aggregates when asked), and let the clip go.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { writeFileAtomic } from "../fsutil.ts";
import { loadAudio } from "../audio/load.ts";
import { hashFile } from "../dataset/hash.ts";
import { importPlugins } from "../config.ts";
import { Registry } from "../registry.ts";
import type { NdArray } from "../ndarray.ts";
import type { FeaturePlugin, Plugin } from "../plugin.ts";
import { resolveParams } from "../params.ts";
import { aggregateFeatures } from "./aggregate.ts";
import { FeatureCache } from "./cache.ts";
import type { ClipJob, ClipOutcome, FeatureWorkerData } from "./dataset.ts";
import { extractFeatures } from "./extract.ts";

/** Start serving jobs on `parentPort`. Called in the worker by the bootstrap with clave's library entry. */
export async function runFeatureWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("runFeatureWorker: not in a worker thread");
  const data = workerData as FeatureWorkerData;
  // The built-in features: the library entry's `builtinPlugins`, or (sources) plugins/features/stack.ts,
  // which lists them without pulling in the model plugins and tfjs.
  const builtins = (await import(data.builtinsUrl)) as { builtinPlugins?: readonly Plugin[]; stackableBuiltins?: readonly Plugin[]; default?: Plugin };
  const list = builtins.builtinPlugins ?? [...(builtins.stackableBuiltins ?? []), ...(builtins.default ? [builtins.default] : [])];
  const registry = new Registry(list.map((plugin) => ({ plugin, origin: "builtin" })));
  for (const file of data.pluginFiles) {
    for (const plugin of await importPlugins(file)) {
      const p = plugin as Plugin;
      if (!registry.has(p.kind, p.name)) registry.add(p, file);
    }
  }
  const features = data.features.map((f) => {
    const plugin = registry.feature(f.plugin);
    return { plugin, params: resolveParams(plugin, f.params) as Record<string, unknown>, as: f.as };
  });
  const cache = new FeatureCache(data.cacheDir);
  port.on("message", async (msg: { type: string; job: ClipJob }) => {
    if (msg.type !== "job") return;
    try {
      port.postMessage({ type: "done", outcome: await processClip(msg.job, features, cache, data) });
    } catch (error) {
      port.postMessage({ type: "failed", reason: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ type: "ready" });
}

async function processClip(
  job: ClipJob,
  features: { plugin: FeaturePlugin; params: Record<string, unknown>; as: string }[],
  cache: FeatureCache,
  data: FeatureWorkerData,
): Promise<ClipOutcome> {
  const hash = job.hash || (await hashFile(job.path));
  const arrays = new Map<string, NdArray>();
  let missing = false;
  for (const f of features) {
    const hit = await cache.read(hash, f.plugin.name, f.params, data.sr);
    if (hit) arrays.set(f.as, hit);
    else missing = true;
  }
  // The decoded length (GTZAN's `length` column) is kept beside the features, for runs that decode nothing.
  const lengthFile = join(data.cacheDir, hash.slice(0, 2), hash, `length-${data.sr}.json`);
  let samples = 0;
  let computed = 0;
  if (!missing) {
    try {
      samples = (JSON.parse(await readFile(lengthFile, "utf8")) as { samples: number }).samples;
    } catch {
      samples = 0;
    }
  } else {
    const signal = await loadAudio(job.path, { sr: data.sr });
    samples = signal.y.length;
    await writeFileAtomic(lengthFile, JSON.stringify({ samples, sr: data.sr }));
    const results = await extractFeatures(signal, features, { cache, audioHash: hash, source: job.path });
    for (const r of results) {
      if (!r.cached) computed++;
      arrays.set(r.name, r.array);
    }
  }
  const aggregates = data.aggregate ? aggregateFeatures(arrays, data.aggregate) : undefined;
  return { id: job.id, path: job.path, hash, cached: features.length - computed, computed, aggregates, samples };
}
