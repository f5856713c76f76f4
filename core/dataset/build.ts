/**
 * Source → manifest. Lists the source's tracks, checks each file (exists, sha256, header read for
 * duration and rate), renders the audio of sources that have no files (synthetic) into 16-bit WAV
 * beside the manifest, splits, and writes the manifest atomically. A track that fails is reported
 * and left out; the others go on, and every problem is returned at the end.
 */
import { dirname, join, resolve } from "node:path";
import { audioInfo } from "../audio/index.ts";
import { DatasetError } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import type { SourceContext, SourcePlugin, Track, TrackProblem } from "../plugin.ts";
import { resolveParams } from "../params.ts";
import { progress } from "../progress.ts";
import { fileFault } from "./files.ts";
import { hashBytes, hashFile } from "./hash.ts";
import { labelCaseWarnings, MANIFEST_COLUMNS, relativePath, writeManifest, type Manifest, type ManifestRow } from "./manifest.ts";
import { applySplit, emptySplitWarnings, splitRatiosOf, type ApplySplitOptions, type SplitStrategy } from "./split.ts";
import { encodeWav16 } from "./wav.ts";

export interface BuildOptions extends ApplySplitOptions {
  /** The manifest file to write; its folder is the dataset root. */
  out: string;
  /** How to split (default `auto`: the source's published split if it has one, else stratified). */
  split?: SplitStrategy;
  /** Hash every file (default true). */
  hash?: boolean;
  /** Read each file's header for duration and rate, and leave out files that cannot be read (default true). */
  probe?: boolean;
  /** Files checked at once (default 4). */
  concurrency?: number;
  /** Rate for sources that render audio (default: the source's `sr` param, else 22050). */
  sr?: number;
  /** Write the manifest (default true). */
  write?: boolean;
  /** Label of the progress bar (default `build <source>`); bars show only on a terminal. */
  label?: string;
  abort?: AbortSignal;
}

export interface BuildResult {
  manifest: Manifest;
  /** Every track the source could not list and every file left out, with the reason. */
  problems: TrackProblem[];
  /** Tracks the source listed. */
  listed: number;
  /** Audio files rendered (sources without files). */
  rendered: number;
  /**
   * What the manifest holds that is likely not what was meant: a class with no track in a part of the
   * split (saying how many tracks it needs), labels that differ only in case.
   */
  warnings: string[];
  /** What the source told the user while listing (counts, reports it wrote). */
  notes: string[];
}

async function collectTracks(listing: Promise<Track[]> | AsyncIterable<Track>): Promise<Track[]> {
  if (Symbol.asyncIterator in Object(listing)) {
    const out: Track[] = [];
    for await (const t of listing as AsyncIterable<Track>) out.push(t);
    return out;
  }
  return await (listing as Promise<Track[]>);
}

/** Run `fn` over `items`, at most `n` at a time. */
export async function forEachLimit<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
}

/** Where a rendered track's WAV goes, under the dataset root: its id without the source prefix. */
export function renderedPath(sourceName: string, id: string): string {
  const rel = id.startsWith(`${sourceName}/`) ? id.slice(sourceName.length + 1) : id;
  const safe = rel
    .split("/")
    .filter((part) => part !== "" && part !== "." && part !== "..")
    .map((part) => part.replace(/[^A-Za-z0-9._-]/g, "_"))
    .join("/");
  return `${safe || "track"}.wav`;
}

function asString(value: string | number | boolean | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

const reasonOf = (error: unknown) => (error as { reason?: string }).reason ?? (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/** Build a dataset's manifest from a source; `values` are checked against its params schema, defaults filled. */
export async function buildManifest(source: SourcePlugin, values: Readonly<Record<string, unknown>>, options: BuildOptions): Promise<BuildResult> {
  const params = resolveParams(source, values) as Record<string, unknown>;
  const problems: TrackProblem[] = [];
  const notes: string[] = [];
  const outFile = resolve(options.out);
  const outDir = dirname(outFile);
  const ctx: SourceContext = { problem: (p) => void problems.push(p), abort: options.abort, root: outDir, note: (m) => void notes.push(m) };
  const listed = await collectTracks(source.list(params as never, ctx));
  const sourceRoot = resolve(source.root?.(params as never) ?? ".");
  const rate = options.sr ?? (typeof params.sr === "number" ? params.sr : 22050);

  const seen = new Set<string>();
  const tracks = listed.filter((t) => {
    if (seen.has(t.id)) {
      problems.push({ path: t.path ? resolve(sourceRoot, t.path) : t.id, reason: `duplicate id ${t.id}: listed again, left out` });
      return false;
    }
    seen.add(t.id);
    return true;
  });
  const extraColumns: string[] = [];
  const columnOf = (key: string) => ((MANIFEST_COLUMNS as readonly string[]).includes(key) ? `source_${key}` : key);
  for (const t of tracks) for (const key of Object.keys(t.extra ?? {})) if (!extraColumns.includes(columnOf(key))) extraColumns.push(columnOf(key));

  const strategy = options.split ?? "auto";
  if (!["auto", "stratified", "none"].includes(strategy) && !extraColumns.includes(`split_${strategy}`)) {
    const named = extraColumns.filter((c) => c.startsWith("split_")).map((c) => c.slice(6));
    throw new DatasetError(`source ${source.name}`, `no published split named ${JSON.stringify(strategy)} (it has: ${named.join(", ") || "none"}; or use auto, stratified, none)`);
  }

  const rows: (ManifestRow | undefined)[] = new Array(tracks.length);
  const listingProblems = problems.length;
  let rendered = 0;
  const bar = progress(tracks.length, options.label ?? `build ${source.name}`);
  await forEachLimit(tracks, options.concurrency ?? 4, async (track, i) => {
    if (options.abort?.aborted) return;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(track.extra ?? {})) extra[columnOf(k)] = asString(v);
    const base = {
      id: track.id,
      label: track.label,
      artist: track.artist ?? "",
      title: track.title ?? "",
      source: source.name,
      split: "",
      extra,
    };
    try {
      if (track.path) {
        const file = resolve(sourceRoot, track.path);
        const fault = await fileFault(file);
        if (fault) {
          problems.push({ path: file, reason: `${fault.kind === "missing" ? "missing file" : fault.reason} (track ${track.id}): left out` });
          return;
        }
        let duration = track.duration_s ?? null;
        let sr: number | null = null;
        if (options.probe !== false) {
          const info = await audioInfo(file);
          duration = info.duration ?? duration;
          sr = info.sr;
          if (info.frames === 0 || duration === 0) throw Object.assign(new Error("no audio samples"), { reason: "contains no audio samples" });
        }
        const hash = options.hash === false ? "" : await hashFile(file);
        rows[i] = { ...base, path: relativePath(outDir, file), hash, duration_s: duration, sr };
      } else if (source.open) {
        const signal = await source.open(track, params as never, { sr: rate });
        const bytes = encodeWav16(signal.y, signal.sr);
        const rel = renderedPath(source.name, track.id);
        await writeFileAtomic(join(outDir, rel), bytes);
        rendered++;
        rows[i] = { ...base, path: rel, hash: hashBytes(bytes), duration_s: signal.y.length / signal.sr, sr: signal.sr };
      } else {
        problems.push({ path: track.id, reason: `track ${track.id} has no file and source ${source.name} cannot open it: left out` });
      }
    } catch (error) {
      const where = track.path ? resolve(sourceRoot, track.path) : track.id;
      problems.push({ path: where, reason: `cannot read (track ${track.id}): ${reasonOf(error)}: left out` });
    } finally {
      bar.tick(1, track.id);
    }
  });
  bar.stop();
  // Files are checked concurrently: report their problems in a stable order.
  const fileProblems = problems.splice(listingProblems).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  problems.push(...fileProblems);

  let manifest: Manifest = { root: outDir, rows: rows.filter((r): r is ManifestRow => r !== undefined), extraColumns };
  manifest = applySplit(manifest, strategy, options);
  if (options.write !== false) await writeManifest(outFile, manifest);
  const warnings = [...emptySplitWarnings(manifest, splitRatiosOf(manifest, strategy, options)), ...labelCaseWarnings(manifest.rows)];
  return { manifest, problems, listed: listed.length, rendered, warnings, notes };
}
