/**
 * Feature tables as datasets: a CSV (or an Arquero table) with one row per example, a label column and
 * numeric feature columns — Kaggle's GTZAN `features_30_sec.csv` / `features_3_sec.csv`, FMA's
 * `features.csv` and `echonest.csv`, clave's own aggregates (`clave features dataset --aggregate`).
 *
 * Reading. A CSV is streamed twice (column types, then values), so FMA's 950 MB `features.csv` never
 * sits in memory as text. A header of several rows followed by a `track_id` row (FMA's `features.csv`,
 * `echonest.csv`, `tracks.csv`) names each column by its header cells joined with `.`
 * (`chroma_cens.kurtosis.01`, `audio_features.acousticness`, `track.genre_top`; a first level that
 * every column shares, `echonest`, is dropped). A column is numeric when every non-empty cell is a
 * finite number (empty, `nan`, `NA`, `null` cells are missing); any other column is text.
 *
 * Keys. Rows get an `id` (the manifest id of their track, when the table has none): `fma/000002` for
 * FMA's tables (from `track_id`), `gtzan/blues.00000` for GTZAN file names (`blues.00000.3.wav` too,
 * so the 3-second rows of a track share it). Several tables are joined on a key column (`id` by
 * default): the first table's rows in order, each with the one row of every other table that has its
 * key (a key twice in a later table is refused); rows missing from a later table are left out.
 * Metadata tables (`meta`: FMA's `tracks.csv`) join the same way and give labels, splits, groups and
 * filters, never features.
 *
 * Columns that are never features: the label, group, split and key columns, `id`, `track_id`,
 * `filename`, `length` (GTZAN's sample count), `segment`, `fold`, and text columns. Numeric columns
 * with missing values are left out (and named) unless asked for by `columns`, where they are refused.
 *
 * Splits. A `split` column (train/validation/test, or FMA's training/validation/test) is used as given;
 * rows with any other value are left out. Otherwise `assignParts` (split.ts) makes a stratified split
 * where the rows of a group (a track's segments, an artist's tracks) stay on one side; k folds alike.
 */
import { createHash } from "node:crypto";
import { basename, resolve } from "node:path";
import * as aq from "arquero";
import { DatasetError, UsageError } from "../errors.ts";
import { fileError, openRegularFile } from "../fsutil.ts";
import { ndarray, type NdArray } from "../ndarray.ts";
import { EXCLUDED, SPLITS, type Split } from "./manifest.ts";
import { assignParts, normaliseSplitName } from "./split.ts";

/** A table given by path (CSV) or in memory. */
export type TableInput = string | aq.ColumnTable;

/** A column as read: numbers (NaN where missing) or text (null where empty). */
export type TableColumn = { readonly name: string; readonly values: Float64Array } | { readonly name: string; readonly text: (string | null)[] };

/** A table as read, before any join: its columns in order. */
export interface RawTable {
  /** The file's absolute path, or `(table N)` for an in-memory table. */
  readonly name: string;
  /** sha256 of the file's bytes (null for an in-memory table). */
  readonly sha256: string | null;
  readonly nRows: number;
  readonly columns: readonly TableColumn[];
}

const MISSING = new Set(["", "nan", "NaN", "NA", "N/A", "null", "NULL", "None"]);

// ------------------------------------------------------------------------------------ CSV streaming

/**
 * Call `onRecord` with each record of a CSV file (RFC 4180: quoted fields may hold commas, quotes
 * doubled, line breaks), streamed in chunks; returns the file's sha256. A quoted field never closed
 * is refused, naming the line where it starts.
 */
export async function forEachCsvRecord(file: string, onRecord: (fields: string[], index: number) => void): Promise<string> {
  const { handle } = await openRegularFile(file);
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8");
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let afterQuote = false;
  let record = 0;
  let line = 1;
  let quoteLine = 0;
  let first = true;
  let pendingCR = false;
  const endRecord = () => {
    fields.push(field);
    field = "";
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === "")) onRecord(fields, record++);
    fields = [];
  };
  const feed = (text: string) => {
    let i = 0;
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (pendingCR) {
        pendingCR = false;
        if (c === 10) {
          i++;
          continue;
        }
      }
      if (quoted) {
        // Copy the run up to the next quote in one slice.
        const q = text.indexOf('"', i);
        if (q < 0) {
          const chunk = text.slice(i);
          for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
          field += chunk;
          return;
        }
        const chunk = text.slice(i, q);
        for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
        field += chunk;
        quoted = false;
        afterQuote = true;
        i = q + 1;
        continue;
      }
      if (c === 34 /* " */) {
        // A quote right after a closing quote is an escaped quote; at a field's start it opens one.
        if (afterQuote) field += '"';
        quoted = true;
        afterQuote = false;
        quoteLine = line;
        i++;
        continue;
      }
      afterQuote = false;
      if (c === 44 /* , */) {
        fields.push(field);
        field = "";
        i++;
      } else if (c === 10 || c === 13) {
        endRecord();
        line++;
        if (c === 13) pendingCR = true;
        i++;
      } else {
        // Copy the run of plain characters in one slice.
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 44 || d === 10 || d === 13 || d === 34) break;
          j++;
        }
        field += text.slice(i, j);
        i = j;
      }
    }
  };
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Uint8Array);
      feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    }
    feed(decoder.decode());
  } catch (error) {
    throw fileError(file, error, "read");
  } finally {
    await handle.close();
  }
  if (quoted) throw new DatasetError(file, `a quoted field opened on line ${quoteLine} is never closed`);
  if (field !== "" || fields.length > 0) endRecord();
  return hash.digest("hex");
}

function isMissing(text: string): boolean {
  return MISSING.has(text.trim());
}

/** The number a cell holds, NaN when missing or not a finite number. */
function cellNumber(text: string): number {
  const t = text.trim();
  if (MISSING.has(t)) return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}

/** Where the header ends: FMA's layout has header rows, then a row `track_id,,,...`. */
function headerLayout(records: readonly string[][]): { rows: number; multi: boolean } {
  for (let k = 1; k < Math.min(records.length, 6); k++) {
    const r = records[k];
    if (r[0]?.trim() === "track_id" && r.slice(1).every((c) => c.trim() === "")) return { rows: k + 1, multi: true };
  }
  return { rows: 1, multi: false };
}

function multiHeaderNames(header: readonly string[][], width: number): string[] {
  const parts = Array.from({ length: width }, (_, j) => header.map((row) => (row[j] ?? "").trim()).filter((c) => c !== ""));
  const rest = parts.slice(1);
  // echonest.csv: every column under `echonest`, which says nothing.
  const sharedFirst = rest.length > 0 && rest.every((p) => p.length >= 3 && p[0] === rest[0][0]);
  return parts.map((p, j) => (j === 0 ? "track_id" : (sharedFirst ? p.slice(1) : p).join(".")));
}

/** A CSV file as a table: numeric and text columns, `id` added for FMA and GTZAN tables. */
export async function readTableFile(path: string): Promise<RawTable> {
  const file = resolve(path);
  /** The first records, until the header's layout is known. */
  const head: string[][] = [];
  let header: { rows: number; multi: boolean; names: string[]; numeric: boolean[]; seen: boolean[] } | null = null;
  let nRows = 0;
  const decide = () => {
    const layout = headerLayout(head);
    const width = head[0].length;
    const names = layout.multi ? multiHeaderNames(head.slice(0, layout.rows - 1), width) : head[0].map((c) => c.trim());
    const h = { ...layout, names, numeric: new Array<boolean>(width).fill(true), seen: new Array<boolean>(width).fill(false) };
    header = h;
    for (let k = layout.rows; k < head.length; k++) scan(h, head[k], k);
  };
  const scan = (h: NonNullable<typeof header>, fields: string[], index: number) => {
    if (fields.length !== h.names.length) {
      throw new DatasetError(file, `record ${index + 1} has ${fields.length} fields where the header has ${h.names.length}`);
    }
    nRows++;
    for (let j = 0; j < fields.length; j++) {
      if (!h.numeric[j] || isMissing(fields[j])) continue;
      h.seen[j] = true;
      if (Number.isNaN(cellNumber(fields[j]))) h.numeric[j] = false;
    }
  };
  // Pass 1: the header, the number of rows, which columns are numeric.
  const sha256 = await forEachCsvRecord(file, (fields, index) => {
    if (header) return scan(header, fields, index);
    head.push(fields);
    if (head.length === 6) decide();
  });
  if (!header) {
    if (head.length === 0) throw new DatasetError(file, "empty: expected a header row and data rows");
    decide();
  }
  const { rows: headerRows, multi, names, numeric, seen: hasValue } = header!;
  if (nRows === 0) throw new DatasetError(file, "no data rows after the header");
  const seen = new Map<string, number>();
  names.forEach((name, j) => {
    if (name === "") throw new DatasetError(file, `column ${j + 1} has no name`);
    if (seen.has(name)) throw new DatasetError(file, `column ${JSON.stringify(name)} appears twice (columns ${seen.get(name)! + 1} and ${j + 1})`);
    seen.set(name, j);
  });
  // A column of only missing cells is text: nothing says it holds numbers.
  const isNumeric = numeric.map((n, j) => n && hasValue[j]);
  const values = names.map((_, j) => (isNumeric[j] ? new Float64Array(nRows) : null));
  const text = names.map((_, j) => (isNumeric[j] ? null : new Array<string | null>(nRows)));
  let row = 0;
  // Pass 2: the values.
  const again = await forEachCsvRecord(file, (fields, index) => {
    if (index < headerRows) return;
    for (let j = 0; j < fields.length; j++) {
      const v = values[j];
      if (v) v[row] = cellNumber(fields[j]);
      else text[j]![row] = isMissing(fields[j]) ? null : fields[j];
    }
    row++;
  });
  if (again !== sha256 || row !== nRows) throw new DatasetError(file, "changed while it was being read; run again");
  const columns: TableColumn[] = names.map((name, j) => (values[j] ? { name, values: values[j]! } : { name, text: text[j]! }));
  return { name: file, sha256, nRows, columns: withIds(columns, nRows, multi) };
}

/** GTZAN file names: `blues.00000.wav`, Kaggle's 3-second rows `blues.00000.3.wav`. */
const GTZAN_NAME = /^([a-z]+\.\d{5})(?:\.\d+)?\.(?:wav|au)$/i;

/** Add `id` (the manifest id of each row's track) to FMA and GTZAN tables that have none. */
function withIds(columns: TableColumn[], nRows: number, fmaLayout: boolean): TableColumn[] {
  if (columns.some((c) => c.name === "id")) return columns;
  const trackId = columns.find((c) => c.name === "track_id");
  if (fmaLayout && trackId && "values" in trackId) {
    const ids = Array.from(trackId.values, (v) => (Number.isInteger(v) && v >= 0 ? `fma/${String(v).padStart(6, "0")}` : null));
    return [{ name: "id", text: ids }, ...columns];
  }
  const filename = columns.find((c) => c.name === "filename");
  if (filename && "text" in filename && filename.text.length === nRows) {
    const ids = filename.text.map((f) => {
      const m = f === null ? null : GTZAN_NAME.exec(basename(f));
      return m ? `gtzan/${m[1]}` : null;
    });
    if (ids.every((id) => id !== null)) return [{ name: "id", text: ids }, ...columns];
  }
  return columns;
}

/** An Arquero table as a table: number columns numeric, every other column text. */
export function fromArquero(table: aq.ColumnTable, name: string): RawTable {
  const nRows = table.numRows();
  const columns: TableColumn[] = table.columnNames().map((column) => {
    const array = table.array(column) as ArrayLike<unknown>;
    let isNumber = nRows > 0;
    for (let i = 0; i < nRows && isNumber; i++) {
      const v = array[i];
      if (!(typeof v === "number" || v === null || v === undefined)) isNumber = false;
    }
    if (isNumber) return { name: column, values: Float64Array.from({ length: nRows }, (_, i) => (typeof array[i] === "number" && Number.isFinite(array[i]) ? (array[i] as number) : NaN)) };
    return { name: column, text: Array.from({ length: nRows }, (_, i) => (array[i] === null || array[i] === undefined ? null : String(array[i]))) };
  });
  return { name, sha256: null, nRows, columns: withIds(columns, nRows, false) };
}

// ------------------------------------------------------------------------------------------ datasets

export interface TableOptions {
  /**
   * Tables joined for their labels, splits, groups and filters only (FMA's `tracks.csv`): none of
   * their columns is a feature, numeric or not.
   */
  readonly meta?: TableInput | readonly TableInput[];
  /** The label column (default `label`). */
  readonly label?: string;
  /**
   * Rows kept on one side of a split or fold: `track` (default: the track key, `id`, else
   * `track_id`, else `filename`), `artist` (a column `artist`, `artist.name`, `artist_name`...),
   * `none` (every row alone), or a column's name.
   */
  readonly group?: string;
  /** The column holding train/validation/test (default `split` when a table has one); null: ignore it. */
  readonly split?: string | null;
  /** The key column tables are joined on (default `id`). */
  readonly join?: string;
  /** Feature columns: names, or prefixes ending in `*` (`audio_features.*`); default every numeric column. */
  readonly columns?: readonly string[];
  /** Columns (or `prefix*`) left out of the features. */
  readonly drop?: readonly string[];
  /** Keep only rows whose column holds one of the values (`{ "set.subset": ["small"] }`). */
  readonly where?: Readonly<Record<string, string | readonly string[]>>;
}

/** What a table dataset records about itself (in the run's config). */
export interface TableSpec {
  readonly sources: readonly { readonly name: string; readonly sha256: string | null; readonly rows: number }[];
  readonly label: string;
  readonly group: string;
  readonly split: string | null;
  readonly join: string | null;
  readonly where: Readonly<Record<string, readonly string[]>>;
  readonly columns: readonly string[];
}

/** A table ready to learn from: the features as a matrix, labels as indices, each row's track and group. */
export interface TableDataset {
  readonly spec: TableSpec;
  /** Class names, sorted; `y` indexes them. */
  readonly labels: string[];
  readonly y: Int32Array;
  /** Features, `[rows, columns]`. */
  readonly x: NdArray<Float32Array>;
  /** Feature column names, in `x`'s order. */
  readonly columns: readonly string[];
  /** The source table (index into `spec.sources`) of each feature column: its modality. */
  readonly modality: readonly number[];
  /** Track key of each row (track-level metrics average a track's rows). */
  readonly tracks: readonly string[];
  /** Group key of each row (a group never crosses a split). */
  readonly groups: readonly string[];
  /** Each row's part when a split column was used, else null. */
  readonly split: readonly Split[] | null;
  /** What was left out and why (rows without a label, columns with missing values...). */
  readonly notes: readonly string[];
}

/** Columns that identify or describe a row; never features. */
const NOT_FEATURES = new Set(["id", "track_id", "filename", "length", "segment", "fold", "split"]);
const ARTIST_COLUMNS = ["artist", "artist.name", "artist_name", "artist.id", "artist_id", "metadata.artist_name"];
const TRACK_COLUMNS = ["id", "track_id", "filename"];

function matches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

function columnText(column: TableColumn, row: number): string | null {
  if ("text" in column) return column.text[row];
  const v = column.values[row];
  return Number.isNaN(v) ? null : String(v);
}

/** Read each input (a CSV path or an Arquero table). */
export async function readTables(inputs: TableInput | readonly TableInput[]): Promise<RawTable[]> {
  if (Array.isArray(inputs) && inputs.length === 0) throw new UsageError("no table given");
  const list = Array.isArray(inputs) ? (inputs as readonly TableInput[]) : [inputs as TableInput];
  const out: RawTable[] = [];
  for (const [i, input] of list.entries()) out.push(typeof input === "string" ? await readTableFile(input) : fromArquero(input, `(table ${i + 1})`));
  return out;
}

/**
 * The tables joined on their key, filtered, with features, labels, tracks, groups and (when given)
 * the split of each row. Tables from `featureTables` on are metadata (`meta`): joined, never features.
 * Bad options (a label column no table has) are refused naming the tables.
 */
export function tableDataset(tables: readonly RawTable[], options: TableOptions = {}, featureTables = tables.length): TableDataset {
  const notes: string[] = [];
  const names = tables.map((t) => t.name).join(", ");
  const labelName = options.label ?? "label";
  const joinName = tables.length > 1 ? (options.join ?? "id") : (options.join ?? null);
  // Row r of the joined table is row rowsOf[t][r] of table t.
  let rowsOf: Int32Array[] = [Int32Array.from({ length: tables[0].nRows }, (_, i) => i)];
  if (joinName !== null && tables.length > 1) {
    const keyColumn = (t: RawTable) => {
      const c = t.columns.find((col) => col.name === joinName);
      if (!c) throw new DatasetError(t.name, `no ${JSON.stringify(joinName)} column to join on (columns: ${t.columns.slice(0, 12).map((x) => x.name).join(", ")}${t.columns.length > 12 ? ", ..." : ""})`);
      return c;
    };
    const first = keyColumn(tables[0]);
    const lookups = tables.slice(1).map((t) => {
      const c = keyColumn(t);
      const map = new Map<string, number>();
      for (let r = 0; r < t.nRows; r++) {
        const k = columnText(c, r);
        if (k === null) continue;
        if (map.has(k)) throw new DatasetError(t.name, `key ${JSON.stringify(k)} of column ${joinName} is on rows ${map.get(k)! + 1} and ${r + 1}: a joined table needs one row per key`);
        map.set(k, r);
      }
      return map;
    });
    const kept: number[] = [];
    const others: number[][] = lookups.map(() => []);
    let unmatched = 0;
    for (let r = 0; r < tables[0].nRows; r++) {
      const k = columnText(first, r);
      const hits = k === null ? [] : lookups.map((m) => m.get(k));
      if (k === null || hits.some((h) => h === undefined)) {
        unmatched++;
        continue;
      }
      kept.push(r);
      hits.forEach((h, t) => others[t].push(h!));
    }
    if (unmatched > 0) notes.push(`${unmatched} of ${tables[0].nRows} rows of ${tables[0].name} have no ${joinName} in every other table: left out`);
    rowsOf = [Int32Array.from(kept), ...others.map((o) => Int32Array.from(o))];
  }
  const nJoined = rowsOf[0].length;
  /** A column of the joined table, by name: the first table that has it. */
  const find = (name: string): { table: number; column: TableColumn } | null => {
    for (const [t, table] of tables.entries()) {
      const column = table.columns.find((c) => c.name === name);
      if (column) return { table: t, column };
    }
    return null;
  };
  const textAt = (ref: { table: number; column: TableColumn }, r: number) => columnText(ref.column, rowsOf[ref.table][r]);

  // Rows kept: those passing `where`, with a label (and a known split when one is used).
  const label = find(labelName);
  if (!label) throw new DatasetError(names, `no label column ${JSON.stringify(labelName)} (give the label column with --label)`);
  const where: Record<string, readonly string[]> = {};
  const whereRefs = Object.entries(options.where ?? {}).map(([name, value]) => {
    const ref = find(name);
    if (!ref) throw new DatasetError(names, `no column ${JSON.stringify(name)} to filter on`);
    where[name] = typeof value === "string" ? [value] : [...value];
    return { ref, accepted: new Set(where[name]) };
  });
  const splitName = options.split === null ? null : (options.split ?? (find("split") ? "split" : null));
  const splitRef = splitName === null ? null : find(splitName);
  if (splitName !== null && !splitRef) throw new DatasetError(names, `no split column ${JSON.stringify(splitName)}`);
  let filtered = 0;
  let unlabelled = 0;
  let outside = 0;
  const rows: number[] = [];
  const splits: Split[] = [];
  for (let r = 0; r < nJoined; r++) {
    if (whereRefs.some((w) => !w.accepted.has(textAt(w.ref, r) ?? ""))) {
      filtered++;
      continue;
    }
    if ((textAt(label, r) ?? "").trim() === "") {
      unlabelled++;
      continue;
    }
    if (splitRef) {
      const part = normaliseSplitName(textAt(splitRef, r) ?? "");
      if (part === EXCLUDED) {
        outside++;
        continue;
      }
      splits.push(part);
    }
    rows.push(r);
  }
  if (unlabelled > 0) notes.push(`${unlabelled} rows without a ${labelName}: left out`);
  if (outside > 0) notes.push(`${outside} rows whose ${splitName} is not train/validation/test: left out`);
  if (rows.length === 0) throw new DatasetError(names, `no rows left${filtered > 0 ? ` (${filtered} filtered out by where)` : ""}${unlabelled > 0 ? ` (${unlabelled} without a label)` : ""}`);

  // Track and group keys.
  const trackRef = TRACK_COLUMNS.map(find).find((r) => r !== null) ?? null;
  const tracks = rows.map((r, i) => (trackRef ? (textAt(trackRef, r) ?? `row:${i}`) : `row:${i}`));
  const groupOption = options.group ?? "track";
  let groupName: string;
  let groups: string[];
  if (groupOption === "track") {
    groupName = trackRef?.column.name ?? "(row)";
    groups = tracks;
  } else if (groupOption === "none") {
    groupName = "none";
    groups = rows.map((_, i) => `row:${i}`);
  } else {
    const candidates = groupOption === "artist" ? ARTIST_COLUMNS : [groupOption];
    const ref = candidates.map(find).find((c) => c !== null);
    if (!ref) throw new DatasetError(names, groupOption === "artist" ? `no artist column (${ARTIST_COLUMNS.join(", ")}); give one with --group <column>` : `no group column ${JSON.stringify(groupOption)}`);
    groupName = ref.column.name;
    // Rows without a group value are groups of their own.
    groups = rows.map((r, i) => textAt(ref, r) ?? `row:${i}`);
  }

  // Labels.
  const labelText = rows.map((r) => textAt(label, r)!.trim());
  const labels = [...new Set(labelText)].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const y = Int32Array.from(labelText, (l) => labelIndex.get(l)!);

  // Feature columns.
  const reserved = new Set([...NOT_FEATURES, labelName, ...(splitName ? [splitName] : []), ...(joinName ? [joinName] : []), groupName, ...Object.keys(where)]);
  const chosen: { table: number; column: { name: string; values: Float64Array } }[] = [];
  const withMissing: string[] = [];
  const taken = new Set<string>();
  for (const [t, table] of tables.slice(0, featureTables).entries()) {
    for (const column of table.columns) {
      if (!("values" in column) || taken.has(column.name)) continue;
      taken.add(column.name);
      const asked = options.columns !== undefined && matches(column.name, options.columns);
      if (options.columns !== undefined ? !asked : reserved.has(column.name)) continue;
      if (options.drop && matches(column.name, options.drop)) continue;
      const source = rowsOf[t];
      let missing = -1;
      for (let i = 0; i < rows.length && missing < 0; i++) if (Number.isNaN(column.values[source[rows[i]]])) missing = i;
      if (missing >= 0) {
        if (asked) throw new DatasetError(table.name, `column ${column.name} has a missing value (row ${rowsOf[t][rows[missing]] + 1} of the table): a feature must have a value on every row`);
        withMissing.push(column.name);
        continue;
      }
      chosen.push({ table: t, column });
    }
  }
  if (options.columns !== undefined) {
    for (const pattern of options.columns) {
      if (!chosen.some((c) => matches(c.column.name, [pattern]))) {
        const text = tables.some((tb) => tb.columns.some((c) => matches(c.name, [pattern]) && "text" in c));
        throw new DatasetError(names, `${text ? "column" : "no numeric column"} ${JSON.stringify(pattern)}${text ? " holds text, not numbers" : ""}`);
      }
    }
  }
  if (withMissing.length > 0) {
    const shown = withMissing.slice(0, 8).join(", ");
    notes.push(`${withMissing.length} numeric columns with missing values left out: ${shown}${withMissing.length > 8 ? ", ..." : ""}`);
  }
  if (chosen.length === 0) throw new DatasetError(names, `no numeric feature column (the label, key and id columns are not features)`);
  const nCols = chosen.length;
  const x = new Float32Array(rows.length * nCols);
  chosen.forEach((c, j) => {
    const source = rowsOf[c.table];
    for (let i = 0; i < rows.length; i++) x[i * nCols + j] = c.column.values[source[rows[i]]];
  });
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const c = chosen[i % nCols];
      throw new DatasetError(tables[c.table].name, `column ${c.column.name}: ${c.column.values[rowsOf[c.table][rows[Math.floor(i / nCols)]]]} does not fit a 32-bit float`);
    }
  }
  const columns = chosen.map((c) => c.column.name);
  return {
    spec: {
      sources: tables.map((t) => ({ name: t.name, sha256: t.sha256, rows: t.nRows })),
      label: labelName,
      group: groupName,
      split: splitRef ? splitName : null,
      join: tables.length > 1 ? joinName : null,
      where,
      columns,
    },
    labels,
    y,
    x: ndarray(x, [rows.length, nCols]),
    columns,
    modality: chosen.map((c) => c.table),
    tracks,
    groups,
    split: splitRef ? splits : null,
    notes,
  };
}

/** Read and prepare in one call: the feature tables, then the `meta` tables. */
export async function loadTableDataset(inputs: TableInput | readonly TableInput[], options: TableOptions = {}): Promise<TableDataset> {
  const tables = await readTables(inputs);
  const meta = options.meta === undefined ? [] : await readTables(options.meta);
  return tableDataset([...tables, ...meta], options, tables.length);
}

/** Each row's part: the split column's when given, else a stratified split keeping groups whole. */
export function tableSplit(data: TableDataset, options: { ratios?: readonly [number, number, number]; seed?: number } = {}): Split[] {
  if (data.split) return [...data.split];
  const parts = assignParts(groupRows(data), options.ratios ?? TABLE_RATIOS, options.seed ?? 0, "artist");
  return parts.map((p) => SPLITS[p]);
}

/** Train/validation/test ratios of a table without a split column: 80/0/20 (classical models need no validation part). */
export const TABLE_RATIOS: readonly [number, number, number] = [0.8, 0, 0.2];

/** k stratified folds keeping groups whole: a fold index per row. */
export function tableFolds(data: TableDataset, k: number, seed = 0): number[] {
  if (!Number.isInteger(k) || k < 2) throw new UsageError(`folds: need an integer k >= 2, got ${k}`);
  const counts = new Map<string, number>();
  for (const g of data.groups) counts.set(g, 1);
  if (counts.size < k) throw new DatasetError(data.spec.sources[0].name, `${counts.size} groups (${data.spec.group}) cannot fill ${k} folds`);
  return assignParts(groupRows(data), new Array<number>(k).fill(1), seed, "artist");
}

/** Rows for split.ts: the group as the `artist` (so that `assignParts` keeps it whole), the label. */
function groupRows(data: TableDataset): { id: string; label: string; artist: string }[] {
  return data.groups.map((g, i) => ({ id: String(i), label: data.labels[data.y[i]], artist: g }));
}
