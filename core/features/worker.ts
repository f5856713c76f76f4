/**
 * The body of a dataset feature worker (see dataset.ts): builds a registry of the built-in feature
 * plugins plus the given plugin modules, then for each clip it is sent: hash the file's bytes (always:
 * the manifest's hash only says what the file held when the manifest was made, and features of other
 * bytes must never be served), read what the cache already holds, decode and extract only if something
 * is missing, store, reply with a small summary (and aggregates when asked), and let the clip go.
 * A job that asks for a clip's model examples instead (training data, core/run/data.ts) gets them back,
 * its buffer transferred, not copied.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { loadAudio } from "../audio/load.ts";
import { hashFile } from "../dataset/hash.ts";
import { CONFIG_FILES, importPlugins, loadConfig } from "../config.ts";
import { FileError } from "../errors.ts";
import { fileError } from "../fsutil.ts";
import { Registry } from "../registry.ts";
import type { NdArray } from "../ndarray.ts";
import type { FeaturePlugin, Plugin } from "../plugin.ts";
import { resolveParams } from "../params.ts";
import { aggregateFeatures } from "./aggregate.ts";
import { FeatureCache } from "./cache.ts";
import type { ClipJob, ClipOutcome, FeatureWorkerData } from "./dataset.ts";
import { extractFeatures } from "./extract.ts";
import { trackExamples } from "../run/features.ts";

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
    for (const plugin of await pluginsOf(file)) {
      const p = plugin as Plugin;
      if (!registry.has(p.kind, p.name)) registry.add(p, file);
    }
  }
  const features = data.features.map((f) => {
    const plugin = registry.feature(f.plugin);
    return { plugin, params: resolveParams(plugin, f.params) as Record<string, unknown>, as: f.as };
  });
  // The store is this command's output: a write that fails is the clip's failure, named in the report.
  const store = data.cacheDir === null ? undefined : new FeatureCache(data.cacheDir, { writeErrors: "throw" });
  // For examples the cache is a convenience, as on the main thread: a failing write warns once and computing goes on.
  const cache = data.cacheDir === null ? undefined : new FeatureCache(data.cacheDir);
  port.on("message", async (msg: { type: string; job: ClipJob }) => {
    if (msg.type !== "job") return;
    try {
      if (msg.job.examples) {
        const outcome = await clipExamples(msg.job, msg.job.examples, registry, cache);
        port.postMessage({ type: "done", outcome }, [outcome.examples!.data.buffer as ArrayBuffer]);
        return;
      }
      if (!store) throw new Error("feature worker: no cache folder to store features in");
      port.postMessage({ type: "done", outcome: await processClip(msg.job, features, store, data) });
    } catch (error) {
      port.postMessage({ type: "failed", reason: error instanceof Error ? error.message : String(error) });
    }
  });
  port.postMessage({ type: "ready" });
}

/**
 * The plugins of a module file, or of a `clave.config.*` file that defines some inline (the origin the
 * registry gives them).
 */
async function pluginsOf(file: string): Promise<unknown[]> {
  if (!(CONFIG_FILES as readonly string[]).includes(basename(file))) return importPlugins(file);
  const found = await loadConfig(dirname(file));
  return (found?.config.plugins ?? []).filter((entry) => typeof entry !== "string");
}

/** The identity of a file's content as the file system sees it, to notice a file replaced while read. */
async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (error) {
    throw fileError(path, error);
  }
}

/** A clip's model examples, as core/run/data.ts computes them on the main thread. */
async function clipExamples(job: ClipJob, spec: NonNullable<ClipJob["examples"]>, registry: Registry, cache: FeatureCache | undefined): Promise<ClipOutcome> {
  const signal = await loadAudio(job.path, { sr: spec.sr });
  const examples = await trackExamples(signal, job.id, spec, registry.feature(spec.plugin), { ...(cache ? { cache } : {}), source: job.path });
  return {
    id: job.id,
    path: job.path,
    hash: job.hash,
    cached: 0,
    computed: examples.x.shape[0],
    samples: signal.y.length,
    examples: { data: examples.x.data, shape: [...examples.x.shape], segments: examples.segments },
  };
}

async function processClip(
  job: ClipJob,
  features: { plugin: FeaturePlugin; params: Record<string, unknown>; as: string }[],
  cache: FeatureCache,
  data: FeatureWorkerData,
): Promise<ClipOutcome> {
  const before = await fileStamp(job.path);
  const hash = await hashFile(job.path);
  if (job.hash && job.hash !== hash) {
    throw new FileError(
      job.path,
      `its content does not match the manifest's hash (the manifest says ${JSON.stringify(job.hash)}, the file's sha256 is ${hash}): it changed since the manifest was made; restore it or rebuild the manifest`,
    );
  }
  await cache.sweep(hash);
  const arrays = new Map<string, NdArray>();
  let missing = false;
  for (const f of features) {
    const hit = await cache.read(hash, f.plugin.name, f.params, data.sr);
    if (hit) arrays.set(f.as, hit);
    else missing = true;
  }
  // The decoded length (GTZAN's `length` column) is kept beside the features, for runs that decode nothing.
  const lengthFile = cache.lengthPath(hash, data.sr);
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
    // Decoded from other bytes than were hashed: storing them under `hash` would poison the cache.
    if ((await fileStamp(job.path)) !== before) throw new FileError(job.path, "changed while it was being read; run again");
    samples = signal.y.length;
    await cache.store(lengthFile, JSON.stringify({ samples, sr: data.sr }));
    const results = await extractFeatures(signal, features, { cache, audioHash: hash, source: job.path });
    for (const r of results) {
      if (!r.cached) computed++;
      arrays.set(r.name, r.array);
    }
  }
  const aggregates = data.aggregate ? aggregateFeatures(arrays, data.aggregate) : undefined;
  return { id: job.id, path: job.path, hash, cached: features.length - computed, computed, aggregates, samples };
}
