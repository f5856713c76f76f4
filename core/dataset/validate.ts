/**
 * `clave dataset validate`: what is wrong with a dataset, as a list of issues, one per fault:
 *
 *   missing        the row's file does not exist
 *   not_a_file     the row's path is a folder, a FIFO, a device or a socket (never opened: reading
 *                  one could block or never end)
 *   hash_mismatch  the file's sha256 is not the manifest's (the file changed since the build)
 *   undecodable    the audio cannot be decoded, or holds no samples
 *   duplicate      the same audio under another id (same bytes, or the same decoded samples) —
 *                  the detail says when the copies carry different labels
 *   duplicate_id   an id on more than one row
 *   duration       a duration far from the expected one: |d − e| > max(tolerance · e, 0.5 s), e the
 *                  given expected duration or else the median of the manifest's durations
 *   leak           a track, an artist or an audio content in more than one split (or fold)
 */
import { audioInfo, loadAudio } from "../audio/index.ts";
import { fsReason } from "../errors.ts";
import { progress } from "../progress.ts";
import { fileFault } from "./files.ts";
import { hashBytes, hashFile } from "./hash.ts";
import { trackPath, type Manifest } from "./manifest.ts";
import { findLeaks } from "./split.ts";

export type IssueKind = "missing" | "not_a_file" | "hash_mismatch" | "undecodable" | "duplicate" | "duplicate_id" | "duration" | "leak";

export interface ValidationIssue {
  kind: IssueKind;
  /** The row concerned (for a leak, the first row involved). */
  id: string;
  /** Its file, as stored in the manifest. */
  path: string;
  detail: string;
}

export interface ValidateOptions {
  /** Decode every file in full (default true); without, only headers are read. */
  decode?: boolean;
  /** Recompute every file's sha256 and compare (default true). */
  hash?: boolean;
  /** Expected duration in seconds (default: the median duration of the manifest). */
  expectedDuration?: number;
  /** Relative tolerance on durations (default 0.1). */
  tolerance?: number;
  /** Files checked at once (default 4). */
  concurrency?: number;
  label?: string;
}

export interface ValidationReport {
  issues: ValidationIssue[];
  /** Rows checked. */
  checked: number;
  /** The duration durations were compared with (null when none is known). */
  expectedDuration: number | null;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const reasonOf = (error: unknown) => (error as { reason?: string }).reason ?? (error as NodeJS.ErrnoException).code ?? (error as Error).message;
const KIND_ORDER: IssueKind[] = ["missing", "not_a_file", "hash_mismatch", "undecodable", "duplicate_id", "duplicate", "duration", "leak"];

/** Check every row of a manifest; the report lists each fault found (an empty list: none). */
export async function validateManifest(manifest: Manifest, options: ValidateOptions = {}): Promise<ValidationReport> {
  const rows = manifest.rows;
  const issues: ValidationIssue[] = [];
  const add = (kind: IssueKind, i: number, detail: string) => issues.push({ kind, id: rows[i].id, path: rows[i].path, detail });
  const fileHash: string[] = rows.map((r) => r.hash);
  const contentHash: (string | null)[] = rows.map(() => null);
  const duration: (number | null)[] = rows.map((r) => r.duration_s);
  const readable: boolean[] = rows.map(() => true);

  const bar = progress(rows.length, options.label ?? "validate");
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i];
      const file = trackPath(manifest, row);
      try {
        const fault = row.path === "" ? { kind: "missing" as const, reason: "no path in the manifest" } : await fileFault(file);
        if (fault) {
          add(fault.kind, i, row.path === "" ? fault.reason : `${file}: ${fault.reason}`);
          readable[i] = false;
          continue;
        }
        if (options.hash !== false) {
          let actual: string;
          try {
            actual = await hashFile(file);
          } catch (error) {
            add("undecodable", i, `cannot read ${file}: ${fsReason(error)}`);
            readable[i] = false;
            continue;
          }
          if (row.hash !== "" && actual !== row.hash) add("hash_mismatch", i, `sha256 is ${actual.slice(0, 12)}…, the manifest says ${row.hash.slice(0, 12)}…`);
          fileHash[i] = actual;
        }
        try {
          if (options.decode !== false) {
            const { y, sr } = await loadAudio(file, { sr: null });
            duration[i] = y.length / sr;
            contentHash[i] = hashBytes(new Uint8Array(y.buffer, y.byteOffset, y.byteLength));
          } else {
            const info = await audioInfo(file);
            duration[i] = info.duration ?? duration[i];
            if (info.frames === 0) throw Object.assign(new Error("no samples"), { reason: "contains no audio samples" });
          }
        } catch (error) {
          add("undecodable", i, reasonOf(error));
          readable[i] = false;
        }
      } finally {
        bar.tick(1, row.id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, rows.length)) }, worker));
  bar.stop();

  // Ids on several rows.
  const byId = new Map<string, number[]>();
  rows.forEach((r, i) => byId.set(r.id, [...(byId.get(r.id) ?? []), i]));
  for (const members of byId.values()) for (const i of members.slice(1)) add("duplicate_id", i, `id also on row ${members[0] + 1}`);

  // The same audio under several ids: same bytes, else the same decoded samples.
  const reported = new Set<number>();
  const duplicates = (keys: (string | null)[], what: string) => {
    const groups = new Map<string, number[]>();
    keys.forEach((k, i) => {
      if (k) groups.set(k, [...(groups.get(k) ?? []), i]);
    });
    for (const members of groups.values()) {
      const distinct = members.filter((i) => rows[i].id !== rows[members[0]].id || i === members[0]);
      for (const i of distinct.slice(1)) {
        if (reported.has(i)) continue;
        reported.add(i);
        const first = rows[distinct[0]];
        const labels = first.label === rows[i].label ? "" : ` under another label (${rows[i].label} here, ${first.label} there)`;
        add("duplicate", i, `${what} as ${first.id}${labels}`);
      }
    }
  };
  duplicates(fileHash, "same file content");
  duplicates(contentHash, "same decoded audio");

  // Durations far from the expected one.
  const known = duration.filter((d, i): d is number => d !== null && readable[i]);
  const expected = options.expectedDuration ?? median(known);
  const tolerance = options.tolerance ?? 0.1;
  if (expected !== null) {
    duration.forEach((d, i) => {
      if (d === null || !readable[i]) return;
      if (Math.abs(d - expected) > Math.max(tolerance * expected, 0.5)) add("duration", i, `${d.toFixed(2)} s, expected about ${expected.toFixed(2)} s`);
    });
  }

  // Anything on two sides of a split or of k folds.
  const withHashes = rows.map((r, i) => ({ ...r, hash: fileHash[i] }));
  for (const column of ["split", ...(manifest.extraColumns.includes("fold") ? ["fold"] : [])]) {
    for (const leak of findLeaks(withHashes, column)) {
      const i = rows.findIndex((r) => r.id === leak.ids[0]);
      const what = leak.kind === "content" ? "the same audio" : `${leak.kind} ${JSON.stringify(leak.kind === "track" ? leak.key : rows[i].artist || leak.key)}`;
      add("leak", i, `${what} in ${column} ${leak.parts.join(" and ")} (${leak.ids.join(", ")})`);
    }
  }

  issues.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { issues, checked: rows.length, expectedDuration: expected };
}
