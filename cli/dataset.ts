/**
 * `clave dataset build|validate|stats|split`: manifests from sources, their faults, their balance,
 * and leak-free splits.
 */
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { buildManifest } from "../core/dataset/build.ts";
import { labelCaseWarnings, readManifest, writeManifest, type Manifest } from "../core/dataset/manifest.ts";
import { applySplit, emptySplitWarnings, findLeaks, namedSplits, splitRatiosOf, type GroupBy } from "../core/dataset/split.ts";
import { datasetStats } from "../core/dataset/stats.ts";
import { validateManifest } from "../core/dataset/validate.ts";
import { UsageError } from "../core/errors.ts";
import { parseParamAssignments, resolveParams } from "../core/params.ts";
import { readEvidence, TO_REVIEW } from "../core/playlist/evidence.ts";
import { reviewDataset } from "../core/playlist/review.ts";
import { cliRegistry, collect } from "./context.ts";
import { formatTable, messageLine, printable, type Cell } from "./table.ts";

const GROUPS: readonly GroupBy[] = ["auto", "artist", "track"];

function parseNumber(flag: string, value: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`${flag} ${value}: expected ${expected}`);
  return n;
}

/** `80,10,10`, `0.8,0.1,0.1` or `80/10/10` → three fractions. */
export function parseRatios(value: string | undefined): [number, number, number] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(/[,/:]/).map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts[0] + parts[1] + parts[2] <= 0) {
    throw new UsageError(`--ratios ${value}: expected three non-negative numbers for train, validation, test (e.g. 80,10,10)`);
  }
  return parts as [number, number, number];
}

function parseGroup(value: string | undefined): GroupBy | undefined {
  if (value === undefined) return undefined;
  if (!GROUPS.includes(value as GroupBy)) throw new UsageError(`--group ${value}: expected one of ${GROUPS.join(", ")}`);
  return value as GroupBy;
}

interface SplitFlags {
  split?: string;
  ratios?: string;
  seed?: string;
  group?: string;
  kfold?: string;
  includeExcluded?: boolean;
}

function splitOptions(o: SplitFlags) {
  return {
    ratios: parseRatios(o.ratios),
    seed: parseNumber("--seed", o.seed, (n) => Number.isInteger(n) && n >= 0, "a non-negative integer"),
    group: parseGroup(o.group),
    kfold: parseNumber("--kfold", o.kfold, (n) => Number.isInteger(n) && n >= 2, "an integer k >= 2"),
    includeExcluded: o.includeExcluded,
  };
}

const round = (v: number | null, digits = 2) => (v === null ? null : Number(v.toFixed(digits)));

/** The stats table as printed. */
export function formatStats(manifest: Pick<Manifest, "rows">): string {
  const rows = datasetStats(manifest).map(
    (s): Record<string, Cell> => ({
      label: s.label,
      tracks: s.tracks,
      share: `${(100 * s.share).toFixed(1)}%`,
      train: s.train,
      validation: s.validation,
      test: s.test,
      excluded: s.excluded,
      unsplit: s.unsplit,
      artists: s.artists,
      min_s: round(s.min_s),
      mean_s: round(s.mean_s),
      max_s: round(s.max_s),
      hours: round(s.total_h, 3),
    }),
  );
  return formatTable(rows);
}

/** Print warnings to stderr, each as `clave: warning: ...`. */
export function warn(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(messageLine(`warning: ${w}`));
}

/** `readManifest`, with what looks unintended in it (labels differing only in case) warned about. */
export async function readManifestWarned(file: string, options: { root?: string } = {}): Promise<Manifest> {
  const manifest = await readManifest(file, options);
  warn(labelCaseWarnings(manifest.rows));
  return manifest;
}

function addSplitFlags(command: Command): Command {
  return command
    .option("--split <how>", "auto (the published split if the data has one, else stratified), stratified, none, or a published split's name (sturm, fma)")
    .option("--ratios <train,validation,test>", "fractions for stratified splits (default 80,10,10)")
    .option("--seed <n>", "seed of stratified splits and folds (default 0); build also gives it to a source with a seed param (synthetic)")
    .option("--group <by>", `keep together: ${GROUPS.join(", ")} (auto: by artist when artists are known)`)
    .option("--kfold <k>", "also write a `fold` column: k stratified folds, grouped the same way");
}

export function registerDataset(program: Command): void {
  const dataset = program.command("dataset").description("build dataset manifests from sources; validate, describe and split them");

  addSplitFlags(
    dataset
      .command("build")
      .description("list a source's tracks, check their files and write a manifest CSV (with splits)")
      .requiredOption("--source <name>", "source plugin: gtzan, fma, folder, synthetic, or one of yours (clave plugins --kind source)")
      .option("--path <dir>", "the dataset's folder (the source's `path` param)")
      .option("--out <manifest.csv>", "manifest to write (default <path>/manifest.csv, or data/<source>/manifest.csv)")
      .option("--param <key=value>", "a source param (repeatable), e.g. --param subset=medium", collect, [])
      .option("--per-class <n>", "synthetic: clips per style")
      .option("--seconds <s>", "synthetic: seconds per clip")
      .option("--no-hash", "do not hash the files")
      .option("--no-probe", "do not read the files' headers (durations unknown, unreadable files kept)")
      .option("--strict", "exit 1 when any track was left out")
      .option("--json", "print the problems and counts as JSON"),
  )
    .addHelpText(
      "after",
      `
Examples:
  clave dataset build --source gtzan --path data/gtzan                  # Sturm's fault-filtered split
  clave dataset build --source fma --path data/fma --param subset=small # FMA's artist-filtered split
  clave dataset build --source folder --path data/salsa --split stratified --seed 1
  clave dataset build --source synthetic --per-class 20 --seconds 5 --seed 0 --out data/synthetic/manifest.csv
  clave dataset build --source spotify --param labels=labels.json --out data/salsa/manifest.csv
  clave dataset build --source tracklist --param path=lists/ --out data/salsa/manifest.csv
Tracks that cannot be listed or read are reported and left out; the others are written. The spotify
and tracklist sources download audio with yt-dlp into audio/ beside the manifest and write
evidence.json, review.html and review.csv there: see clave dataset review.`,
    )
    .action(async (o: SplitFlags & {
      source: string;
      path?: string;
      out?: string;
      param: string[];
      perClass?: string;
      seconds?: string;
      hash: boolean;
      probe: boolean;
      strict?: boolean;
      json?: boolean;
    }) => {
      const registry = await cliRegistry();
      const source = registry.source(o.source);
      const values: Record<string, unknown> = parseParamAssignments(o.param, source.name)[source.name] ?? {};
      const known = Object.keys(source.params.shape);
      const flag = (name: string, key: string, value: unknown) => {
        if (value === undefined) return;
        if (!known.includes(key)) throw new UsageError(`${name}: source ${source.name} has no ${key} param (it has: ${known.join(", ") || "none"})`);
        values[key] = value;
      };
      flag("--path", "path", o.path);
      flag("--per-class", "per_class", parseNumber("--per-class", o.perClass, (n) => Number.isInteger(n) && n > 0, "a positive integer"));
      flag("--seconds", "seconds", parseNumber("--seconds", o.seconds, (n) => n > 0, "a positive number of seconds"));
      const split = splitOptions(o);
      if (split.seed !== undefined && known.includes("seed") && values.seed === undefined) values.seed = split.seed;
      const params = resolveParams(source, values);
      const out = resolve(o.out ?? (typeof params.path === "string" ? join(params.path, "manifest.csv") : join("data", source.name, "manifest.csv")));
      const result = await buildManifest(source, params, { out, split: o.split, ...split, hash: o.hash, probe: o.probe });
      const { rows } = result.manifest;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ out, tracks: rows.length, listed: result.listed, rendered: result.rendered, problems: result.problems, warnings: result.warnings, notes: result.notes }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatStats(result.manifest)}\n`);
        process.stdout.write(`wrote ${printable(out)}: ${rows.length} tracks from source ${source.name}${result.rendered ? ` (${result.rendered} rendered)` : ""}\n`);
      }
      for (const note of result.notes) process.stderr.write(messageLine(note));
      for (const p of result.problems) process.stderr.write(messageLine(`${p.path}: ${p.reason}`));
      warn(result.warnings);
      if (result.problems.length > 0) {
        process.stderr.write(messageLine(`${result.problems.length} problem(s); ${rows.length} of ${result.listed} listed tracks written`));
        if (o.strict) process.exitCode = 1;
      }
    });

  dataset
    .command("validate")
    .description("check a manifest: missing files, hash mismatches, undecodable audio, duplicates, odd durations, leaks")
    .argument("<manifest>", "manifest CSV")
    .option("--no-decode", "read headers only (faster; undecodable streams may pass)")
    .option("--no-hash", "do not recompute the files' sha256")
    .option("--expected-duration <s>", "expected duration in seconds (default: the median)")
    .option("--tolerance <fraction>", "relative tolerance on durations (default 0.1)")
    .option("--root <dir>", "folder the manifest's paths are relative to (default: the manifest's folder)")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
Exits 1 when it finds any issue, 0 when none. Examples:
  clave dataset validate data/gtzan/manifest.csv
  clave dataset validate data/fma/manifest.csv --no-decode --expected-duration 30`,
    )
    .action(async (file: string, o: { decode: boolean; hash: boolean; expectedDuration?: string; tolerance?: string; root?: string; json?: boolean }) => {
      const manifest = await readManifestWarned(file, { root: o.root });
      const report = await validateManifest(manifest, {
        decode: o.decode,
        hash: o.hash,
        expectedDuration: parseNumber("--expected-duration", o.expectedDuration, (n) => n > 0, "a positive number of seconds"),
        tolerance: parseNumber("--tolerance", o.tolerance, (n) => n >= 0, "a non-negative fraction"),
      });
      if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        if (report.issues.length > 0) process.stdout.write(`${formatTable(report.issues.map((i) => ({ kind: i.kind, id: i.id, detail: i.detail })))}\n`);
        process.stdout.write(`${report.issues.length} issue(s) in ${report.checked} tracks of ${printable(file)}\n`);
      }
      if (report.issues.length > 0) process.exitCode = 1;
    });

  dataset
    .command("stats")
    .description("class balance per split and durations, one row per label")
    .argument("<manifest>", "manifest CSV")
    .option("--json", "print JSON (one object per label, then the total as label \"(all)\")")
    .addHelpText("after", "\nExample:\n  clave dataset stats data/synthetic/manifest.csv")
    .action(async (file: string, o: { json?: boolean }) => {
      const manifest = await readManifestWarned(file);
      if (o.json) process.stdout.write(`${JSON.stringify(datasetStats(manifest), null, 2)}\n`);
      else process.stdout.write(`${formatStats(manifest)}\n`);
      warn(emptySplitWarnings(manifest));
    });

  addSplitFlags(
    dataset
      .command("split")
      .description("(re)split a manifest: stratified by track or artist, k-fold, or a published split")
      .argument("<manifest>", "manifest CSV (rewritten in place unless --out)")
      .option("--out <manifest.csv>", "write the split manifest here instead")
      .option("--include-excluded", "also split tracks marked excluded")
      .option("--json", "print the stats as JSON"),
  )
    .addHelpText(
      "after",
      `
Examples:
  clave dataset split data/salsa/manifest.csv --ratios 70,15,15 --seed 3
  clave dataset split data/gtzan/manifest.csv --split sturm
  clave dataset split data/fma/manifest.csv --split stratified --group artist --kfold 5`,
    )
    .action(async (file: string, o: SplitFlags & { out?: string; json?: boolean }) => {
      const original = await readManifestWarned(file);
      const named = namedSplits(original);
      if (o.split !== undefined && !["auto", "stratified", "none", ...named].includes(o.split)) {
        throw new UsageError(`--split ${o.split}: expected auto, stratified, none${named.map((n) => `, ${n}`).join("")} (the published splits ${file} carries)`);
      }
      const options = splitOptions(o);
      const manifest = applySplit(original, o.split ?? "auto", options);
      const leaks = [...findLeaks(manifest.rows), ...(manifest.extraColumns.includes("fold") ? findLeaks(manifest.rows, "fold") : [])];
      const out = o.out ?? file;
      await writeManifest(out, manifest);
      if (o.json) process.stdout.write(`${JSON.stringify({ out, stats: datasetStats(manifest), leaks }, null, 2)}\n`);
      else process.stdout.write(`${formatStats(manifest)}\nwrote ${printable(out)}\n`);
      warn(emptySplitWarnings(manifest, splitRatiosOf(original, o.split ?? "auto", options)));
      for (const leak of leaks) process.stderr.write(messageLine(`${leak.kind} ${leak.key} is in ${leak.parts.join(" and ")} (${leak.ids.join(", ")})`));
      if (leaks.length > 0) process.exitCode = 1;
    });

  registerReview(dataset);
}

/** `ID=VALUE` of a repeatable flag. */
function pairs(flag: string, values: readonly string[], what: string): { id: string; value: string }[] {
  return values.map((v) => {
    const eq = v.indexOf("=");
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`${flag} ${v}: expected ID=${what}`);
    return { id: v.slice(0, eq), value: v.slice(eq + 1) };
  });
}

function registerReview(dataset: Command): void {
  addSplitFlags(
    dataset
      .command("review")
      .description("review a dataset assembled from playlists: list doubtful matches, accept, reject, pick another candidate, search again")
      .argument("<manifest>", "manifest CSV built by the spotify or tracklist source (its evidence.json beside it)")
      .option("--accept <id>", "keep this match (a track below min_score: download its best candidate) (repeatable)", collect, [])
      .option("--reject <id>", "reject this match: its file is removed and it leaves the manifest (repeatable)", collect, [])
      .option("--pick <id=N>", "download candidate N (as numbered in review.html) instead (repeatable)", collect, [])
      .option("--search <id=words>", "search again with these words, e.g. \"spotify/4uLU...=Hector Lavoe - El Cantante live 1978\" (repeatable)", collect, [])
      .option("--assign <id=label>", "give a track listed under several labels this one (repeatable)", collect, [])
      .option("--json", "print the changes (or the tracks to review) as JSON"),
  )
    .addHelpText(
      "after",
      `
Without a decision it lists the tracks to review; review.html (beside the manifest) has an audio
player for each, with its candidates and their scores. Decisions update the manifest (rows added or
removed, then split again, keeping each artist on one side), evidence.json and the report. Examples:
  clave dataset review data/salsa/manifest.csv
  clave dataset review data/salsa/manifest.csv --accept spotify/4uLU6hMCjMI75M1A2tKUQC --pick spotify/7qiZfU4dY1lWllzX7mPBI3=2
  clave dataset review data/salsa/manifest.csv --reject tracklist/0f3a9c2b11d4e5f6 --assign spotify/1301WleyT98MSxVHPZCA6M=son`,
    )
    .action(async (file: string, o: SplitFlags & { accept: string[]; reject: string[]; pick: string[]; search: string[]; assign: string[]; json?: boolean }) => {
      const decided = o.accept.length + o.reject.length + o.pick.length + o.search.length + o.assign.length > 0;
      if (!decided) {
        const evidence = await readEvidence(dirname(resolve(file)));
        if (!evidence) throw new UsageError(`${file}: no evidence.json beside it; only datasets built by the spotify or tracklist source can be reviewed`);
        const tracks = evidence.tracks.filter((t) => TO_REVIEW.has(t.state));
        if (o.json) {
          process.stdout.write(`${JSON.stringify(tracks, null, 2)}\n`);
          return;
        }
        const rows = tracks.map((t): Record<string, Cell> => {
          const best = t.candidates[t.chosen ?? -1] ?? t.candidates.reduce<(typeof t.candidates)[number] | undefined>((b, c) => (!b || c.score > b.score ? c : b), undefined);
          return { id: t.id, label: t.label ?? t.labels.join("|"), state: t.state, score: t.score, track: `${t.artists[0] ?? ""} - ${t.title}`, candidate: best?.title ?? "", candidates: t.candidates.length, note: t.note };
        });
        if (rows.length > 0) process.stdout.write(`${formatTable(rows)}\n`);
        process.stdout.write(`${tracks.length} of ${evidence.tracks.length} tracks to review; listen in ${printable(join(dirname(resolve(file)), "review.html"))}\n`);
        return;
      }
      const split = splitOptions(o);
      const result = await reviewDataset(
        file,
        {
          accept: o.accept,
          reject: o.reject,
          pick: pairs("--pick", o.pick, "N").map((p) => ({ id: p.id, candidate: parseNumber("--pick", p.value, (n) => Number.isInteger(n) && n >= 1, "a candidate number from 1")! })),
          search: pairs("--search", o.search, "WORDS").map((p) => ({ id: p.id, query: p.value })),
          assign: pairs("--assign", o.assign, "LABEL").map((p) => ({ id: p.id, label: p.value })),
        },
        { split: o.split, ...split },
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ changes: result.changes, problems: result.problems, resplit: result.resplit, stats: datasetStats(result.manifest) }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatTable(result.changes.map((c) => ({ id: c.id, from: c.from, to: c.to, note: c.note })))}\n`);
        process.stdout.write(`${formatStats(result.manifest)}\n`);
        process.stdout.write(`wrote ${printable(file)}${result.resplit ? " (split again)" : ""}; report: ${printable(result.report.html)}\n`);
      }
      for (const p of result.problems) process.stderr.write(messageLine(`${p.path}: ${p.reason}`));
      if (result.resplit) warn(emptySplitWarnings(result.manifest, splitRatiosOf(result.manifest, o.split ?? "auto", split)));
      for (const leak of findLeaks(result.manifest.rows)) process.stderr.write(messageLine(`${leak.kind} ${leak.key} is in ${leak.parts.join(" and ")} (${leak.ids.join(", ")})`));
      if (result.problems.length > 0) process.exitCode = 1;
    });
}
