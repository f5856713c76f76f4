/**
 * The manifest: a dataset as a CSV file with one row per track.
 *
 * Schema (columns in this order, then any extra columns the source adds):
 *
 *   id          unique track id; built-in sources prefix it with their name (`gtzan/blues.00000`,
 *               `fma/000002`, `synthetic/son_clave/0003`); the folder source uses the file's path
 *               under the root without its extension (`salsa/song1`)
 *   label       class label (genre, subgenre, style)
 *   artist      artist, empty when unknown; splits keep each artist on one side
 *   title       title, empty when unknown
 *   source      name of the source plugin that listed the track (`gtzan`, `fma`, `folder`, `synthetic`)
 *   path        audio file, relative to the dataset root, `/`-separated (absolute only when it cannot
 *               be made relative, e.g. on another Windows drive)
 *   hash        `sha256` of the file's bytes, 64 lower-case hex digits (empty if not computed)
 *   duration_s  duration in seconds, from the file's header (empty if unknown)
 *   sr          native sampling rate of the file in Hz (empty if unknown)
 *   split       `train`, `validation`, `test`, `excluded` (kept out on purpose, e.g. GTZAN's faulty
 *               excerpts), or empty (not split yet)
 *
 * Extra columns are strings, carried as the source gave them: `split_<name>` columns hold named,
 * published splits (`split_sturm` for GTZAN, `split_fma` for FMA) and `fold` holds k-fold indices.
 *
 * The dataset root is the folder the manifest file is in: relative paths are relative to it, so a
 * dataset folder with its manifest can be moved or shared as it is. Writing a manifest elsewhere
 * rewrites the paths relative to its new folder.
 */
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import * as aq from "arquero";
import { DatasetError, FileError, fsReason, ManifestError } from "../errors.ts";
import { openRegularFile, removeStaleTemporaries, writeFileAtomic } from "../fsutil.ts";
import { csvQuoteFault, formatCsv, parseCsvRecords, type CsvCell } from "./csv.ts";

export const MANIFEST_COLUMNS = ["id", "label", "artist", "title", "source", "path", "hash", "duration_s", "sr", "split"] as const;
export type ManifestColumn = (typeof MANIFEST_COLUMNS)[number];

/** The parts a study is split into. */
export const SPLITS = ["train", "validation", "test"] as const;
export type Split = (typeof SPLITS)[number];
/** Split value of tracks kept out of every part on purpose. */
export const EXCLUDED = "excluded";

export interface ManifestRow {
  id: string;
  label: string;
  artist: string;
  title: string;
  source: string;
  /** As stored: relative to the manifest's root (use `trackPath` for an absolute path). */
  path: string;
  hash: string;
  duration_s: number | null;
  sr: number | null;
  /** `train` | `validation` | `test` | `excluded` | `""`. */
  split: string;
  /** Extra columns, as strings. */
  extra: Record<string, string>;
}

export interface Manifest {
  /** Absolute folder the rows' relative paths are relative to: the manifest file's folder. */
  root: string;
  rows: ManifestRow[];
  /** Names of the extra columns, in order. */
  extraColumns: string[];
}

/** A path relative to `root`, `/`-separated; absolute when it cannot be made relative. */
export function relativePath(root: string, absolute: string): string {
  const rel = relative(root, absolute);
  if (isAbsolute(rel)) return absolute;
  return rel.split(sep).join("/");
}

/** The absolute path of a row's audio file. */
export function trackPath(manifest: Pick<Manifest, "root">, row: Pick<ManifestRow, "path">): string {
  return resolve(manifest.root, row.path);
}

/** A manifest's `hash` cell: a sha256 in lower-case hex, or empty. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

function parseNumber(text: string, file: string, row: number, id: string, column: string): number | null {
  if (text.trim() === "") return null;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ManifestError(file, `${column} ${JSON.stringify(text)} is not a number`, row, id);
  return value;
}

/** Refuse ids on several rows, naming each with its rows (counted from 1). */
function checkUniqueIds(rows: readonly ManifestRow[], rowNumbers: readonly number[], file: string): void {
  const byId = new Map<string, number[]>();
  rows.forEach((row, i) => byId.set(row.id, [...(byId.get(row.id) ?? []), rowNumbers[i]]));
  const repeated = [...byId].filter(([, at]) => at.length > 1);
  if (repeated.length === 0) return;
  const shown = repeated.slice(0, 10).map(([id, at]) => `${JSON.stringify(id)} (rows ${at.join(", ")})`);
  const more = repeated.length > shown.length ? ` and ${repeated.length - shown.length} more` : "";
  throw new ManifestError(file, `duplicate id${repeated.length > 1 ? "s" : ""}: ${shown.join(", ")}${more}; each track needs its own id`);
}

/**
 * Parse a manifest's CSV text. `file` names it in errors; `root` is the folder its paths are
 * relative to (default: the file's folder). Refused with a `ManifestError`: broken quoting, a row
 * without an id, ids on several rows, a hash that is not 64 lower-case hex digits, a number that is not one.
 */
export function parseManifest(text: string, file: string, root = dirname(resolve(file))): Manifest {
  const fault = csvQuoteFault(text);
  if (fault) throw new ManifestError(file, `line ${fault.line}: ${fault.problem}`);
  const records = parseCsvRecords(text);
  if (records.length === 0) throw new DatasetError(file, "empty file: expected a manifest header");
  const header = records[0].map((h) => h.trim());
  const missing = MANIFEST_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new DatasetError(file, `not a manifest: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }
  const index = new Map(header.map((name, i) => [name, i]));
  const extraColumns = header.filter((h) => h !== "" && !(MANIFEST_COLUMNS as readonly string[]).includes(h));
  const at = (record: string[], column: string) => record[index.get(column)!] ?? "";
  const rows: ManifestRow[] = [];
  const rowNumbers: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const record = records[r];
    if (record.every((v) => v === "")) continue;
    const id = at(record, "id");
    if (id === "") throw new ManifestError(file, "empty id", r);
    const hash = at(record, "hash");
    if (hash !== "" && !SHA256_HEX.test(hash)) {
      throw new ManifestError(file, `hash ${JSON.stringify(hash)} is not a sha256: expected 64 lower-case hex digits, or nothing`, r, id);
    }
    const extra: Record<string, string> = {};
    for (const column of extraColumns) extra[column] = at(record, column);
    rows.push({
      id,
      label: at(record, "label"),
      artist: at(record, "artist"),
      title: at(record, "title"),
      source: at(record, "source"),
      path: at(record, "path"),
      hash,
      duration_s: parseNumber(at(record, "duration_s"), file, r, id, "duration_s"),
      sr: parseNumber(at(record, "sr"), file, r, id, "sr"),
      split: at(record, "split"),
      extra,
    });
    rowNumbers.push(r);
  }
  checkUniqueIds(rows, rowNumbers, file);
  return { root: resolve(root), rows, extraColumns };
}

/** Read a manifest CSV. Its paths are relative to its folder unless `options.root` says otherwise. */
export async function readManifest(file: string, options: { root?: string } = {}): Promise<Manifest> {
  let text: string;
  try {
    const { handle } = await openRegularFile(file);
    try {
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new DatasetError(file, `cannot read the manifest: ${error instanceof FileError ? error.reason : fsReason(error)}`);
  }
  return parseManifest(text, file, options.root ?? dirname(resolve(file)));
}

/**
 * Labels that differ only in case (`Salsa`, `salsa`): each is a class of its own, which is seldom
 * what was meant. One message per group, naming the labels and how many tracks each has.
 */
export function labelCaseWarnings(rows: readonly Pick<ManifestRow, "label">[]): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  const groups = new Map<string, string[]>();
  for (const label of [...counts.keys()].sort()) {
    const key = label.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), label]);
  }
  return [...groups.values()]
    .filter((labels) => labels.length > 1)
    .map((labels) => `labels ${labels.map((l) => `${JSON.stringify(l)} (${counts.get(l)} tracks)`).join(", ")} differ only in case: they are ${labels.length} classes`);
}

function roundTo(value: number | null, digits: number): CsvCell {
  if (value === null) return "";
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The CSV text of a manifest whose file will live in the folder `root` (paths are made relative to it). */
export function formatManifest(manifest: Manifest, root = manifest.root): string {
  const header = [...MANIFEST_COLUMNS, ...manifest.extraColumns];
  const target = resolve(root);
  const rows = manifest.rows.map((row) => {
    const path = row.path === "" ? "" : target === manifest.root ? row.path : relativePath(target, trackPath(manifest, row));
    return [
      row.id,
      row.label,
      row.artist,
      row.title,
      row.source,
      path,
      row.hash,
      roundTo(row.duration_s, 6),
      row.sr ?? "",
      row.split,
      ...manifest.extraColumns.map((c) => row.extra[c] ?? ""),
    ];
  });
  return formatCsv(header, rows);
}

/**
 * Write a manifest atomically; paths are rewritten relative to the file's folder. Temporaries that
 * earlier writers killed mid-write left in that folder are removed first.
 */
export async function writeManifest(file: string, manifest: Manifest): Promise<void> {
  await removeStaleTemporaries(dirname(resolve(file)));
  await writeFileAtomic(file, formatManifest(manifest, dirname(resolve(file))));
}

/**
 * The manifest as an Arquero table: the schema's columns (`duration_s`, `sr` as numbers, null
 * when unknown), then the extra columns as strings.
 */
export function toTable(manifest: Pick<Manifest, "rows" | "extraColumns">): aq.ColumnTable {
  const columns: Record<string, unknown[]> = {};
  for (const column of MANIFEST_COLUMNS) columns[column] = manifest.rows.map((row) => row[column]);
  for (const column of manifest.extraColumns) columns[column] = manifest.rows.map((row) => row.extra[column] ?? "");
  return aq.table(columns);
}

/** Rows of one part (`train`, `validation`, `test`). */
export function rowsOfSplit(manifest: Pick<Manifest, "rows">, split: Split): ManifestRow[] {
  return manifest.rows.filter((row) => row.split === split);
}
