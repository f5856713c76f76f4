/**
 * `clave features extract <audio...> --features mfcc,chroma_stft --out DIR`: librosa-exact features of
 * audio files as NumPy `.npy` arrays, laid out as librosa returns them (features x frames; 1-D onset
 * strength; tempo of shape (1,)), one STFT per file, through the feature cache.
 * `clave features dataset <manifest>`: the same for every track of a dataset, in worker threads, with
 * a progress bar; resumable (the cache); failures listed at the end.
 */
import { homedir } from "node:os";
import { basename, extname, isAbsolute, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { loadAudio } from "../core/audio/load.ts";
import { hashFile } from "../core/dataset/hash.ts";
import { ClaveError, UsageError } from "../core/errors.ts";
import { FeatureCache } from "../core/features/cache.ts";
import { DEFAULT_CLIP_TIMEOUT_S, type FeatureJobSpec } from "../core/features/dataset.ts";
import { extractFeatures, type FeatureRequest } from "../core/features/extract.ts";
import { fileError, writeFileAtomic } from "../core/fsutil.ts";
import { writeNpy } from "../core/npy.ts";
import { parseParamAssignments } from "../core/params.ts";
import type { FeaturePlugin } from "../core/plugin.ts";
import type { Registry } from "../core/registry.ts";
import { extract, featureJobSpecs, tableCsv } from "../core/features/store.ts";
import { collect, cliRegistry } from "./context.ts";
import { messageLine, printable } from "./table.ts";

/** The default feature cache: `$CLAVE_CACHE_DIR/features`, else `~/.cache/clave/features`. */
export function defaultCacheDir(): string {
  const base = process.env.CLAVE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "clave");
  return join(base, "features");
}

/**
 * `--features a,b` and `--param x.k=v` as feature specs (see `featureJobSpecs`): `--param NAME.key=value`
 * applies to the output named NAME, a plugin's name or a preset's part.
 */
export function featureSpecs(registry: Registry, names: string, assignments: readonly string[]): FeatureJobSpec[] {
  const list = names
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new UsageError("--features: name at least one feature (see `clave plugins --kind feature`)");
  return featureJobSpecs(registry, list, parseParamAssignments(assignments));
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--sr ${value}: expected a sampling rate in Hz`);
  return n;
}

function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--workers ${value}: expected a positive integer`);
  return n;
}

/** A file stem as a folder name: letters, digits, `.`, `_`, `-` only, never hidden, `.` or `..`. */
export function safeStem(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "")
    .slice(0, 100);
  return stem === "" ? "audio" : stem;
}

/** Is `path` inside folder `dir` (not `dir` itself, not above it)? */
function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/**
 * Output folders for several inputs: the file stems made safe (see `safeStem`) and unique (`x`, `x-2`,
 * ...; compared without case, for case-insensitive file systems), each checked to lie inside `out`.
 */
export function outputDirs(out: string, files: readonly string[]): string[] {
  if (files.length === 1) return [out];
  const used = new Set<string>();
  return files.map((f) => {
    const stem = safeStem(f);
    let name = stem;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${stem}-${n}`;
    used.add(name.toLowerCase());
    const dir = join(out, name);
    if (!isInside(out, dir)) throw new ClaveError(`${f}: output folder ${dir} would lie outside --out ${out}`);
    return dir;
  });
}

function parseClipTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--clip-timeout ${value}: expected a positive number of seconds`);
  return n;
}

const FEATURES_HELP = `
Features are feature plugins (clave plugins --kind feature) or presets:
  stack417  MFCC 13 + chroma 12 + spectral contrast 7 + onset strength 1 + tempogram 384, stacked (417 x frames)
  gtzan     the features behind GTZAN's features_30_sec.csv (chroma, rms, centroid, bandwidth, rolloff, zcr, tempo, mfcc 1-20)
Params use librosa's names: --param mfcc.n_mfcc=13 --param melspectrogram.db=true --param stack417.features='["mfcc","rms"]'`;

interface ExtractOptions {
  features: string;
  param: string[];
  out: string;
  sr: string;
  cache?: string | false;
}

interface DatasetOptions {
  features: string;
  param: string[];
  out?: string;
  sr: string;
  workers?: string;
  aggregate?: string;
  segmentSeconds?: string;
  clipTimeout?: string;
}

export function registerFeatures(program: Command): void {
  const features = program.command("features").description("librosa-exact audio features as .npy arrays, for files or whole datasets");

  features
    .command("extract")
    .description("extract features of audio files into DIR/<feature>.npy (DIR/<file stem>/<feature>.npy for several files)")
    .argument("<audio...>", "audio files")
    .requiredOption("--features <list>", "comma-separated feature plugins or presets")
    .option("--param <feature.key=value>", "a feature param (repeatable)", collect, [])
    .requiredOption("--out <dir>", "output folder")
    .option("--sr <hz>", "sampling rate to decode at", "22050")
    .option("--cache <dir>", "feature cache folder (default: $CLAVE_CACHE_DIR/features or ~/.cache/clave/features)")
    .option("--no-cache", "compute everything, store nothing in the cache")
    .addHelpText(
      "after",
      `${FEATURES_HELP}
With several files, each gets DIR/<stem>/: the file name without its extension, other characters than
letters, digits, . _ - replaced by _, made unique (x, x-2, ...). A file that fails is reported with its
path and the others go on (exit code 1). A cache that cannot be written is warned about once, then left out.`,
    )
    .action(async (files: string[], options: ExtractOptions) => {
      const registry = await cliRegistry();
      const specs = featureSpecs(registry, options.features, options.param);
      const sr = parseRate(options.sr);
      const cache = options.cache === false ? undefined : new FeatureCache(resolve(options.cache ?? defaultCacheDir()));
      const dirs = outputDirs(resolve(options.out), files);
      const requests: FeatureRequest[] = specs.map((s) => ({ plugin: registry.feature(s.plugin) as FeaturePlugin, params: s.params, as: s.as }));
      const failures: string[] = [];
      for (let i = 0; i < files.length; i++) {
        const file = files[i];
        try {
          const audioHash = cache ? await hashFile(file) : undefined;
          if (cache && audioHash) {
            await cache.sweep(audioHash);
            // With everything cached, the audio is not even decoded.
            const hits = await Promise.all(requests.map((r) => cache.read(audioHash, r.plugin.name, r.params, sr)));
            if (hits.every((h) => h !== undefined)) {
              for (let j = 0; j < requests.length; j++) {
                const path = join(dirs[i], `${requests[j].as}.npy`);
                await writeNpy(path, hits[j]!);
                process.stdout.write(`${file}: ${requests[j].as} [${hits[j]!.shape.join(", ")}] (cached) -> ${path}\n`);
              }
              continue;
            }
          }
          const signal = await loadAudio(file, { sr });
          const results = await extractFeatures(signal, requests, { cache, audioHash, source: file });
          for (const r of results) {
            const path = join(dirs[i], `${r.name}.npy`);
            await writeNpy(path, r.array);
            process.stdout.write(`${file}: ${r.name} [${r.array.shape.join(", ")}]${r.cached ? " (cached)" : ""} -> ${path}\n`);
          }
        } catch (error) {
          const failure = fileError(file, error);
          if (files.length === 1) throw failure;
          failures.push(failure.message);
        }
      }
      if (failures.length > 0) {
        process.stderr.write(`clave: ${failures.length} of ${files.length} files failed:\n${failures.map((f) => `  ${f}\n`).join("")}`);
        process.exitCode = 1;
      }
    });

  features
    .command("dataset")
    .description("extract features for every track of a manifest, in parallel worker threads (resumable)")
    .argument("<manifest>", "dataset manifest (CSV, see `clave dataset`)")
    .option("--features <list>", "comma-separated feature plugins or presets", "stack417")
    .option("--param <feature.key=value>", "a feature param (repeatable)", collect, [])
    .option("--out <dir>", "feature store (a feature cache folder; default: features/ next to the manifest)")
    .option("--sr <hz>", "sampling rate to decode at", "22050")
    .option("--workers <n>", "worker threads (default: every core)")
    .option("--aggregate <csv>", "also write per-clip mean/variance columns (GTZAN's names) to this CSV")
    .option("--segment-seconds <s>", "with --aggregate: one row per segment of this length (GTZAN's 3-second rows: 3)")
    .option("--clip-timeout <s>", `stop a track that takes longer than this many seconds and report it (default ${DEFAULT_CLIP_TIMEOUT_S})`)
    .addHelpText(
      "after",
      `${FEATURES_HELP}
Writes each array to the store (<out>/<hash[0:2]>/<hash>/<feature>-<params>.npy, hash = sha256 of the
audio file's bytes as they are now) and <out>/index.csv (id, label, split, hash, and the .npy path of
each feature, relative to <out>). --aggregate rows start with the manifest's track id (column id, to
join with the manifest and index.csv), then GTZAN's columns (filename: the file's name). Re-running
skips clips already done; tracks that fail (unreadable, not a regular file, content no longer matching
the manifest's hash, NaN/Inf features, over --clip-timeout) are listed at the end (exit code 1).`,
    )
    .action(async (manifestFile: string, options: DatasetOptions) => {
      const registry = await cliRegistry();
      const names = options.features.split(",").map((f) => f.trim()).filter((f) => f !== "");
      if (names.length === 0) throw new UsageError("--features: name at least one feature (see `clave plugins --kind feature`)");
      let segmentSeconds: number | undefined;
      if (options.segmentSeconds !== undefined) {
        segmentSeconds = Number(options.segmentSeconds);
        if (!(segmentSeconds > 0)) throw new UsageError(`--segment-seconds ${options.segmentSeconds}: expected a positive number`);
      }
      const clipTimeout = parseClipTimeout(options.clipTimeout);
      const workers = parseWorkers(options.workers);
      const result = await extract(manifestFile, names, {
        registry,
        params: parseParamAssignments(options.param),
        sr: parseRate(options.sr),
        ...(options.out !== undefined ? { out: options.out } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(options.aggregate ? { aggregate: true } : {}),
        ...(segmentSeconds !== undefined ? { segmentSeconds } : {}),
        ...(clipTimeout !== undefined ? { clipTimeout } : {}),
      });
      const writeErrors = [...result.writeErrors];
      if (options.aggregate && result.aggregates) {
        const file = resolve(options.aggregate);
        try {
          await writeFileAtomic(file, tableCsv(result.aggregates));
        } catch (error) {
          writeErrors.push(fileError(file, error, "write").message);
        }
      }
      process.stdout.write(
        `${result.computed + result.stored} of ${result.total} tracks done (${result.computed} computed, ${result.stored} already stored) with ${result.workers} workers -> ${printable(result.out)}\n`,
      );
      if (result.failures.length > 0) {
        process.stderr.write(`clave: ${result.failures.length} tracks failed:\n${result.failures.map((f) => `  ${printable(`${f.id} (${f.path}): ${f.reason}`)}\n`).join("")}`);
        process.exitCode = 1;
      }
      if (writeErrors.length > 0) {
        process.stderr.write(writeErrors.map((e) => messageLine(e)).join(""));
        process.exitCode = 1;
      }
    });
}
