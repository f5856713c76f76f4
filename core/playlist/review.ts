/**
 * `clave dataset review`: a reviewer's decisions on an assembled dataset, applied to its evidence and
 * its manifest. Accept a match (a pending one is downloaded first), reject it (its file is removed and
 * it leaves the manifest), pick another candidate (downloaded, then it replaces the file), search again
 * with other words, or assign a label to a track listed under two. The manifest's rows follow: new
 * files are hashed and probed, and when the rows changed the manifest is split again (leak-free, by
 * artist, as `clave dataset split` splits).
 */
import { basename, relative } from "node:path";
import { rm } from "node:fs/promises";
import { audioInfo } from "../audio/index.ts";
import { DatasetError, UsageError, YtDlpError } from "../errors.ts";
import { hashFile } from "../dataset/hash.ts";
import { readManifest, relativePath, writeManifest, type Manifest, type ManifestRow } from "../dataset/manifest.ts";
import { applySplit, type ApplySplitOptions, type SplitStrategy } from "../dataset/split.ts";
import type { TrackProblem } from "../plugin.ts";
import { AudioFinder, manifestTracks } from "./assemble.ts";
import { EVIDENCE_FILE, IN_MANIFEST, audioPath, readEvidence, writeEvidence, type Evidence, type ReviewState, type TrackEvidence } from "./evidence.ts";
import { writeReviewReport } from "./report.ts";

export interface ReviewDecisions {
  readonly accept?: readonly string[];
  readonly reject?: readonly string[];
  /** Candidate numbers count from 1, as the report shows them. */
  readonly pick?: readonly { readonly id: string; readonly candidate: number }[];
  readonly search?: readonly { readonly id: string; readonly query: string }[];
  readonly assign?: readonly { readonly id: string; readonly label: string }[];
}

export interface ReviewOptions extends ApplySplitOptions {
  /** How to split when the rows changed (default `auto`). */
  readonly split?: SplitStrategy;
  readonly abort?: AbortSignal;
}

export interface ReviewChange {
  readonly id: string;
  readonly from: ReviewState;
  readonly to: ReviewState;
  readonly note: string;
}

export interface ReviewResult {
  readonly manifest: Manifest;
  readonly evidence: Evidence;
  readonly changes: ReviewChange[];
  /** Decisions that could not be carried out (a download that failed): the others went on. */
  readonly problems: TrackProblem[];
  /** Whether the manifest was split again. */
  readonly resplit: boolean;
  readonly report: { html: string; csv: string };
}

const MANIFEST_EXTRAS = ["source_url", "match_score", "review"] as const;

type Decision =
  | { kind: "accept" }
  | { kind: "reject" }
  | { kind: "pick"; candidate: number }
  | { kind: "search"; query: string }
  | { kind: "assign"; label: string };

/**
 * Each named track with its one decision. Usage errors, found before anything is changed: an unknown
 * name, two decisions on one track, a candidate number out of range, a label that is not one, a
 * decision on an ambiguous track other than an assignment, nothing to accept.
 */
function decisionsByTrack(evidence: Evidence, decisions: ReviewDecisions, file: string): Map<TrackEvidence, Decision> {
  const byName = new Map<string, TrackEvidence>();
  for (const t of evidence.tracks) {
    byName.set(t.id, t);
    if (!byName.has(t.stem)) byName.set(t.stem, t);
  }
  const out = new Map<TrackEvidence, Decision>();
  const labels = evidence.counts.map((c) => c.label);
  const add = (name: string, decision: Decision) => {
    const t = byName.get(name.trim());
    if (!t) throw new UsageError(`--${decision.kind} ${name}: no track with that id in ${file}`);
    if (out.has(t)) throw new UsageError(`${t.id}: two decisions (${out.get(t)!.kind} and ${decision.kind}); give one`);
    if (decision.kind === "pick" && !(Number.isInteger(decision.candidate) && decision.candidate >= 1 && decision.candidate <= t.candidates.length)) {
      throw new UsageError(`--pick ${name}=${decision.candidate}: ${t.id} has ${t.candidates.length} candidate(s), numbered from 1`);
    }
    if (decision.kind === "assign" && !labels.includes(decision.label)) {
      throw new UsageError(`--assign ${name}=${decision.label}: not one of the labels (${labels.join(", ")})`);
    }
    if (decision.kind === "search" && decision.query.trim() === "") throw new UsageError(`--search ${name}=: give the words to search for`);
    if (t.label === null && decision.kind !== "assign" && decision.kind !== "reject") {
      throw new UsageError(`--${decision.kind} ${t.id}: it is listed under ${t.labels.join(" and ")}; give it a label with --assign ${t.id}=LABEL`);
    }
    if (decision.kind === "accept" && !(t.file && IN_MANIFEST.has(t.state)) && t.candidates.length === 0) {
      throw new UsageError(`--accept ${t.id}: there is no candidate to accept; search again with --search "${t.id}=ARTIST - TITLE"`);
    }
    out.set(t, decision);
  };
  for (const id of decisions.accept ?? []) add(id, { kind: "accept" });
  for (const id of decisions.reject ?? []) add(id, { kind: "reject" });
  for (const p of decisions.pick ?? []) add(p.id, { kind: "pick", candidate: p.candidate });
  for (const s of decisions.search ?? []) add(s.id, { kind: "search", query: s.query.trim() });
  for (const a of decisions.assign ?? []) add(a.id, { kind: "assign", label: a.label });
  return out;
}

async function apply(t: TrackEvidence, decision: Decision, finder: AudioFinder): Promise<void> {
  switch (decision.kind) {
    case "reject": {
      const path = audioPath(finder.root, t);
      if (path) await rm(path, { force: true });
      t.file = "";
      t.measured_s = null;
      t.state = "rejected";
      t.note = "rejected by the reviewer";
      return;
    }
    case "accept": {
      if (!(t.file && IN_MANIFEST.has(t.state))) {
        // The best candidate, even below min_score: the reviewer listened to it.
        const best = t.candidates.reduce((b, c, i) => (c.score > t.candidates[b].score ? i : b), 0);
        await finder.fetch(t, t.chosen ?? best);
      }
      t.state = "accepted";
      t.note = "accepted by the reviewer";
      return;
    }
    case "pick":
      await finder.fetch(t, decision.candidate - 1);
      t.state = "picked";
      t.note = `candidate ${decision.candidate} picked by the reviewer`;
      return;
    case "search":
      t.query = decision.query;
      await finder.search(t);
      await finder.find(t);
      return;
    case "assign":
      t.label = decision.label;
      await finder.find(t);
      return;
  }
}

/** The manifest row of a track in the manifest: the existing one updated, or a new one from its file. */
async function rowOf(t: TrackEvidence, existing: ManifestRow | undefined, manifest: Manifest, source: string): Promise<ManifestRow> {
  const track = manifestTracks({ tracks: [t] }, manifest.root)[0];
  const path = relativePath(manifest.root, track.path!);
  const extra: Record<string, string> = { ...(existing?.extra ?? {}) };
  for (const [key, value] of Object.entries(track.extra ?? {})) extra[key] = value === null || value === undefined ? "" : String(value);
  if (existing && existing.path === path) return { ...existing, label: track.label, extra };
  const info = await audioInfo(track.path!);
  return {
    id: t.id,
    label: track.label,
    artist: track.artist ?? "",
    title: track.title ?? "",
    source,
    path,
    hash: await hashFile(track.path!),
    duration_s: info.duration,
    sr: info.sr,
    split: "",
    extra,
  };
}

/** Apply `decisions` to the dataset whose manifest is `file`; write its manifest, evidence and report. */
export async function reviewDataset(file: string, decisions: ReviewDecisions, options: ReviewOptions = {}): Promise<ReviewResult> {
  const manifest = await readManifest(file);
  const evidence = await readEvidence(manifest.root);
  if (!evidence) {
    throw new DatasetError(file, `no ${EVIDENCE_FILE} beside it: only datasets built by the spotify or tracklist source can be reviewed`);
  }
  const chosen = decisionsByTrack(evidence, decisions, relative(process.cwd(), file) || file);
  const finder = new AudioFinder(manifest.root, evidence.settings, options.abort);
  const changes: ReviewChange[] = [];
  const problems: TrackProblem[] = [];
  for (const [t, decision] of chosen) {
    const from = t.state;
    try {
      await apply(t, decision, finder);
    } catch (error) {
      if (!(error instanceof YtDlpError)) throw error;
      t.state = "failed";
      t.note = error.message;
      problems.push({ path: t.id, reason: `${decision.kind}: ${error.message}` });
    }
    changes.push({ id: t.id, from, to: t.state, note: t.note });
  }

  const rowsById = new Map(manifest.rows.map((r) => [r.id, r]));
  const evidenceIds = new Set(evidence.tracks.map((t) => t.id));
  const rows: ManifestRow[] = manifest.rows.filter((r) => !evidenceIds.has(r.id));
  for (const t of evidence.tracks) {
    if (!IN_MANIFEST.has(t.state) || t.file === "" || t.label === null) continue;
    rows.push(await rowOf(t, rowsById.get(t.id), manifest, evidence.source));
  }
  const extraColumns = [...manifest.extraColumns, ...MANIFEST_EXTRAS.filter((c) => !manifest.extraColumns.includes(c))];
  const before = manifest.rows.map((r) => `${r.id}\u0000${r.label}\u0000${r.hash}`).sort().join("\n");
  const after = rows.map((r) => `${r.id}\u0000${r.label}\u0000${r.hash}`).sort().join("\n");
  const resplit = before !== after;
  let updated: Manifest = { root: manifest.root, rows, extraColumns };
  if (resplit) updated = applySplit(updated, options.split ?? "auto", options);
  await writeManifest(file, updated);
  await writeEvidence(manifest.root, evidence);
  const report = await writeReviewReport(manifest.root, evidence, basename(file));
  return { manifest: updated, evidence, changes, problems, resplit, report };
}
