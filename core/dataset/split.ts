/**
 * Leak-free splits. A track's segments, and an artist's tracks, never sit on two sides of a split:
 * splitting segments instead of tracks inflates published GTZAN accuracies by 5–10 points.
 *
 * Stratified, grouped assignment (train/validation/test, or k folds): tracks are gathered into
 * groups — one per artist when artists are known, else one per track, and copies of the same audio
 * (same hash) always in one group — the groups are put in a seeded random order, then largest
 * first, and each group goes to the part p maximising
 *
 *     score(p) = Σ_label n_g[label] · (quota_p[label] − assigned_p[label]),
 *     quota_p[label] = ratio_p · N[label]   (at least 1 when the label has a track for every part)
 *
 * (the part whose per-label quota this group fills best; equal scores go to the part furthest from
 * its quota relative to it, then to the earlier part). Parts with ratio 0 get nothing. The result
 * depends only on the rows' ids, labels, artists, hashes and the seed.
 */
import { DatasetError } from "../errors.ts";
import { shuffled } from "../random.ts";
import { EXCLUDED, SPLITS, type Manifest, type ManifestRow, type Split } from "./manifest.ts";

export type GroupBy = "auto" | "artist" | "track";

export interface SplitOptions {
  /** Fractions of train, validation and test (normalised to sum 1). Default 0.8, 0.1, 0.1. */
  ratios?: readonly [number, number, number];
  /** Seed of the group order. Default 0. */
  seed?: number;
  /** Keep an artist's tracks together (`artist`), or not (`track`); `auto`: by artist when any is known. */
  group?: GroupBy;
}

export const DEFAULT_RATIOS: readonly [number, number, number] = [0.8, 0.1, 0.1];

type Row = Pick<ManifestRow, "id" | "label" | "artist"> & { readonly hash?: string };

/**
 * The group each row belongs to. Rows sharing an artist (when grouping by artist) or the same
 * audio content (same non-empty hash) are one group — duplicates stay together too; every other
 * row is a group of its own. Keys are `artist:<name>` or `track:<id>` of a member.
 */
export function groupKeys(rows: readonly Row[], group: GroupBy = "auto"): string[] {
  const byArtist = group === "artist" || (group === "auto" && rows.some((r) => r.artist.trim() !== ""));
  const parent = rows.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const union = (a: number, b: number) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const first = new Map<string, number>();
  rows.forEach((row, i) => {
    const links = [row.hash ? `hash:${row.hash}` : ""];
    if (byArtist && row.artist.trim() !== "") links.push(`artist:${row.artist.trim().toLowerCase()}`);
    for (const link of links) {
      if (link === "") continue;
      const j = first.get(link);
      if (j === undefined) first.set(link, i);
      else union(i, j);
    }
  });
  const keyOf = (i: number) => {
    const artist = rows[i].artist.trim().toLowerCase();
    return byArtist && artist !== "" ? `artist:${artist}` : `track:${rows[i].id}`;
  };
  return rows.map((_, i) => keyOf(find(i)));
}

/** Assign each row a part index in `0..ratios.length-1` (stratified by label, grouped, seeded). */
export function assignParts(rows: readonly Row[], ratios: readonly number[], seed: number, group: GroupBy): number[] {
  const total = ratios.reduce((a, b) => a + b, 0);
  if (!(total > 0) || ratios.some((r) => !(r >= 0))) throw new RangeError(`split ratios must be non-negative and not all zero, got ${ratios.join(", ")}`);
  const share = ratios.map((r) => r / total);
  const keys = groupKeys(rows, group);
  const groups = new Map<string, { members: number[]; labels: Map<string, number> }>();
  const labelTotals = new Map<string, number>();
  rows.forEach((row, i) => {
    let g = groups.get(keys[i]);
    if (!g) groups.set(keys[i], (g = { members: [], labels: new Map() }));
    g.members.push(i);
    g.labels.set(row.label, (g.labels.get(row.label) ?? 0) + 1);
    labelTotals.set(row.label, (labelTotals.get(row.label) ?? 0) + 1);
  });
  // Sorted before shuffling, so the order of the input rows does not matter; then largest first.
  const order = shuffled([...groups.keys()].sort(), seed >>> 0).sort(
    (a, b) => groups.get(b)!.members.length - groups.get(a)!.members.length,
  );
  // Quota of each part for each label; a part that should get some tracks gets at least one when
  // the label has enough tracks for every part.
  const active = share.filter((r) => r > 0).length;
  const quota = (p: number, label: string) => {
    const n = labelTotals.get(label)!;
    return share[p] > 0 && n >= active ? Math.max(share[p] * n, 1) : share[p] * n;
  };
  const assigned = share.map(() => new Map<string, number>());
  const parts = new Array<number>(rows.length).fill(0);
  for (const key of order) {
    const g = groups.get(key)!;
    let best = -1;
    let bestScore = -Infinity;
    let bestRelative = -Infinity;
    for (let p = 0; p < share.length; p++) {
      if (share[p] === 0) continue;
      let score = 0;
      let target = 0;
      for (const [label, n] of g.labels) {
        score += n * (quota(p, label) - (assigned[p].get(label) ?? 0));
        target += n * quota(p, label);
      }
      // Equal scores: the part furthest from its quota, relatively, takes the group.
      const relative = target > 0 ? score / target : -Infinity;
      if (score > bestScore + 1e-9 || (Math.abs(score - bestScore) <= 1e-9 && relative > bestRelative + 1e-12)) {
        best = p;
        bestScore = score;
        bestRelative = relative;
      }
    }
    for (const [label, n] of g.labels) assigned[best].set(label, (assigned[best].get(label) ?? 0) + n);
    for (const i of g.members) parts[i] = best;
  }
  return parts;
}

/** Stratified train/validation/test split by track or by artist; one entry per row. */
export function stratifiedSplit(rows: readonly Row[], options: SplitOptions = {}): Split[] {
  const parts = assignParts(rows, options.ratios ?? DEFAULT_RATIOS, options.seed ?? 0, options.group ?? "auto");
  return parts.map((p) => SPLITS[p]);
}

/** Stratified k-fold assignment by track or by artist: a fold index in `0..k-1` per row. */
export function kfold(rows: readonly Row[], k: number, options: Omit<SplitOptions, "ratios"> = {}): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k-fold needs an integer k >= 2, got ${k}`);
  return assignParts(rows, new Array<number>(k).fill(1), options.seed ?? 0, options.group ?? "auto");
}

/** The names of the published splits a manifest carries (`split_sturm` → `sturm`). */
export function namedSplits(manifest: Pick<Manifest, "extraColumns">): string[] {
  return manifest.extraColumns.filter((c) => c.startsWith("split_") && c.length > 6).map((c) => c.slice(6));
}

/** A split value as published (`training`, `valid`, `val`, `testing`...) in clave's words. */
export function normaliseSplitName(value: string): Split | typeof EXCLUDED {
  const v = value.trim().toLowerCase();
  if (v === "train" || v === "training") return "train";
  if (v === "validation" || v === "valid" || v === "val") return "validation";
  if (v === "test" || v === "testing") return "test";
  return EXCLUDED;
}

/** How `applySplit` splits: `auto`, `stratified`, `none`, or the name of a published split. */
export type SplitStrategy = "auto" | "stratified" | "none" | (string & {});

export interface ApplySplitOptions extends SplitOptions {
  /** Also split rows marked `excluded` (default false: they stay out). */
  includeExcluded?: boolean;
  /** Also write a `fold` column with k stratified, grouped folds. */
  kfold?: number;
}

/** What `applySplit` does for `strategy` on this manifest: `auto` resolved. */
function chosenStrategy(manifest: Pick<Manifest, "extraColumns">, strategy: SplitStrategy): SplitStrategy {
  const named = namedSplits(manifest);
  return strategy === "auto" ? (named.length === 1 ? named[0] : "stratified") : strategy;
}

/** The ratios `applySplit` splits with for `strategy`: null when it is not a stratified split. */
export function splitRatiosOf(
  manifest: Pick<Manifest, "extraColumns">,
  strategy: SplitStrategy = "auto",
  options: Pick<SplitOptions, "ratios"> = {},
): readonly [number, number, number] | null {
  return chosenStrategy(manifest, strategy) === "stratified" ? (options.ratios ?? DEFAULT_RATIOS) : null;
}

const neededCache = new Map<string, number | null>();

/**
 * The fewest tracks of a class (or artists, when grouped by artist) for which a stratified split with
 * `ratios` gives every part with a ratio above 0 at least one of them; null above 1000.
 */
export function tracksNeeded(ratios: readonly number[]): number | null {
  const key = ratios.join(",");
  if (neededCache.has(key)) return neededCache.get(key)!;
  const parts = ratios.map((r, p) => (r > 0 ? p : -1)).filter((p) => p >= 0);
  let needed: number | null = null;
  // The assignment of one class's tracks grows with n: the first n that fills every part is the answer.
  for (let n = parts.length; n <= 1000 && needed === null; n++) {
    const rows = Array.from({ length: n }, (_, i) => ({ id: String(i), label: "c", artist: "" }));
    const assigned = new Set(assignParts(rows, ratios, 0, "track"));
    if (parts.every((p) => assigned.has(p))) needed = n;
  }
  neededCache.set(key, needed);
  return needed;
}

function ratioText(ratios: readonly number[]): string {
  const total = ratios.reduce((a, b) => a + b, 0);
  return ratios.map((r) => Number(((100 * r) / total).toFixed(1))).join("/");
}

/**
 * A warning for each class that has no track in a part of a split manifest — `clave train` would
 * find no test examples of it, or none at all. `ratios`: those of the stratified split that made it
 * (parts with ratio 0 are empty on purpose); null or absent: the parts the manifest uses, and the
 * advice is for the default 80/10/10 split.
 */
export function emptySplitWarnings(manifest: Pick<Manifest, "rows">, ratios?: readonly number[] | null): string[] {
  const inParts = manifest.rows.filter((r) => (SPLITS as readonly string[]).includes(r.split));
  if (inParts.length === 0) return [];
  const parts = ratios
    ? SPLITS.filter((_, p) => (ratios[p] ?? 0) > 0)
    : SPLITS.filter((p) => p !== "validation" || inParts.some((r) => r.split === "validation"));
  const advised = ratios ?? DEFAULT_RATIOS;
  const needed = tracksNeeded(advised);
  const warnings: string[] = [];
  for (const label of [...new Set(inParts.map((r) => r.label))].sort()) {
    const rows = inParts.filter((r) => r.label === label);
    const count = (p: Split) => rows.filter((r) => r.split === p).length;
    const empty = parts.filter((p) => count(p) === 0);
    if (empty.length === 0) continue;
    const counts = SPLITS.map((p) => `${count(p)} ${p}`).join(", ");
    const artists = rows.some((r) => r.artist.trim() !== "") ? ` (of ${needed} artists, when grouped by artist)` : "";
    const advice = needed === null ? "" : `; with ratios ${ratioText(advised)} a class needs at least ${needed} tracks${artists}, or change --ratios`;
    warnings.push(`class ${JSON.stringify(label)} has no ${empty.join(" or ")} track (${rows.length} tracks: ${counts})${advice}`);
  }
  return warnings;
}

/**
 * A copy of the manifest with its `split` column set.
 *   - `auto`: the manifest's published split when it carries exactly one (`split_sturm`, `split_fma`),
 *     else `stratified`
 *   - `stratified`: `stratifiedSplit` over the rows not marked `excluded`
 *   - `none`: every split emptied (except `excluded`)
 *   - a name: the values of the `split_<name>` column (anything but train/validation/test → `excluded`)
 */
export function applySplit(manifest: Manifest, strategy: SplitStrategy = "auto", options: ApplySplitOptions = {}): Manifest {
  const named = namedSplits(manifest);
  const chosen = chosenStrategy(manifest, strategy);
  const keep = (row: ManifestRow) => options.includeExcluded || row.split !== EXCLUDED;
  let rows: ManifestRow[];
  if (chosen === "stratified") {
    const active = manifest.rows.filter(keep);
    const splits = stratifiedSplit(active, options);
    const of = new Map(active.map((row, i) => [row, splits[i]]));
    rows = manifest.rows.map((row) => ({ ...row, split: of.get(row) ?? EXCLUDED }));
  } else if (chosen === "none") {
    rows = manifest.rows.map((row) => ({ ...row, split: keep(row) ? "" : EXCLUDED }));
  } else {
    const column = `split_${chosen}`;
    if (!manifest.extraColumns.includes(column)) {
      throw new DatasetError(
        manifest.root,
        `no published split named ${JSON.stringify(chosen)} in this manifest (it has: ${named.join(", ") || "none"}; or use auto, stratified, none)`,
      );
    }
    rows = manifest.rows.map((row) => ({ ...row, split: normaliseSplitName(row.extra[column] ?? "") }));
  }
  let extraColumns = manifest.extraColumns;
  if (options.kfold !== undefined) {
    const active = rows.filter((row) => row.split !== EXCLUDED);
    const folds = kfold(active, options.kfold, options);
    const of = new Map(active.map((row, i) => [row, String(folds[i])]));
    rows = rows.map((row) => ({ ...row, extra: { ...row.extra, fold: of.get(row) ?? "" } }));
    if (!extraColumns.includes("fold")) extraColumns = [...extraColumns, "fold"];
  }
  return { ...manifest, rows, extraColumns };
}

/** The split of each segment: its track's (segments carry the id of the track they were cut from). */
export function splitOfSegments(segments: readonly { readonly trackId: string }[], rows: readonly Pick<ManifestRow, "id" | "split">[]): string[] {
  const byId = new Map(rows.map((r) => [r.id, r.split]));
  return segments.map((segment, i) => {
    const split = byId.get(segment.trackId);
    if (split === undefined) throw new DatasetError("segments", `segment ${i}: track ${JSON.stringify(segment.trackId)} is not in the manifest`);
    return split;
  });
}

/** Something found on two sides of a split. */
export interface Leak {
  kind: "track" | "artist" | "content";
  /** The track id, artist name or content hash. */
  key: string;
  /** The parts it appears in. */
  parts: string[];
  /** The ids of the rows involved. */
  ids: string[];
}

/**
 * Tracks (same id), artists (same name, case-insensitive) and audio contents (same hash) found in
 * more than one part. `column` is `split` (default) or an extra column such as `fold`; rows whose
 * value is empty or `excluded` are not in any part.
 */
export function findLeaks(rows: readonly ManifestRow[], column = "split"): Leak[] {
  const partOf = (row: ManifestRow) => (column === "split" ? row.split : (row.extra[column] ?? ""));
  const leaks: Leak[] = [];
  const check = (kind: Leak["kind"], keyOf: (row: ManifestRow) => string) => {
    const seen = new Map<string, { parts: Set<string>; ids: string[] }>();
    for (const row of rows) {
      const part = partOf(row);
      const key = keyOf(row);
      if (part === "" || part === EXCLUDED || key === "") continue;
      let entry = seen.get(key);
      if (!entry) seen.set(key, (entry = { parts: new Set(), ids: [] }));
      entry.parts.add(part);
      entry.ids.push(row.id);
    }
    for (const [key, entry] of seen) if (entry.parts.size > 1) leaks.push({ kind, key, parts: [...entry.parts].sort(), ids: entry.ids });
  };
  check("track", (row) => row.id);
  check("artist", (row) => row.artist.trim().toLowerCase());
  check("content", (row) => row.hash);
  return leaks;
}
