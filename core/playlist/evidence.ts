/**
 * The evidence of a dataset assembled from playlists, kept beside its manifest as `evidence.json`:
 * per track, the query, every candidate with its scores, the one chosen, the downloaded file and its
 * measured duration, and the review state. A build run again reuses it (searches and downloads are not
 * repeated, review decisions stay); `clave dataset review` reads and updates it.
 *
 * Review states:
 *   auto       the best candidate scored at least `sure_score`: downloaded, in the manifest
 *   doubtful   scored between `min_score` and `sure_score`, or the file's duration is off: downloaded,
 *              in the manifest, to be reviewed
 *   accepted   doubtful or pending, accepted by the reviewer: in the manifest
 *   picked     the reviewer chose another candidate: in the manifest
 *   pending    no candidate reached `min_score`: nothing downloaded, to be reviewed
 *   not_found  the search found no candidate
 *   failed     the search or the download failed (network, yt-dlp): a build run again retries it
 *   rejected   the reviewer rejected it: out of the manifest
 *   ambiguous  listed under two labels and assigned to none: out of the manifest
 */
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { DatasetError, fsReason } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import type { ScoredCandidate } from "./match.ts";
import type { LabelCounts } from "./tracks.ts";

export const EVIDENCE_FILE = "evidence.json";
export const REVIEW_HTML = "review.html";
export const REVIEW_CSV = "review.csv";
/** Folder of the downloaded audio, under the dataset root. */
export const AUDIO_DIR = "audio";

export const REVIEW_STATES = ["auto", "doubtful", "accepted", "picked", "pending", "not_found", "failed", "rejected", "ambiguous"] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];
/** States whose track is in the manifest. */
export const IN_MANIFEST: ReadonlySet<ReviewState> = new Set(["auto", "doubtful", "accepted", "picked"]);
/** States the review report shows. */
export const TO_REVIEW: ReadonlySet<ReviewState> = new Set(["doubtful", "pending", "not_found", "failed", "ambiguous"]);
/** States a reviewer set: a build run again keeps them. */
export const DECIDED: ReadonlySet<ReviewState> = new Set(["accepted", "picked", "rejected"]);

/** How the audio was searched, chosen and downloaded: stored so that a review downloads the same way. */
export interface AssemblySettings {
  /** `ytsearch5:{artist} - {title}`, or a URL with `{query}` (URL-encoded). */
  readonly search: string;
  readonly min_score: number;
  readonly sure_score: number;
  readonly jobs: number;
  readonly rate_limit: string;
  readonly interval_s: number;
  readonly retries: number;
  readonly backoff_s: number;
  readonly timeout_s: number;
  readonly ytdlp: string;
  readonly ytdlp_args: readonly string[];
  readonly probe_candidates: boolean;
}

export interface TrackEvidence {
  id: string;
  /** The audio file's name without extension (a Spotify id or a hash): never a title. */
  stem: string;
  /** The label it has in the dataset; null when ambiguous. */
  label: string | null;
  labels: string[];
  origins: string[];
  spotify_id: string | null;
  artists: string[];
  title: string;
  album: string;
  /** As listed (Spotify's `duration_ms`), null when the list has none. */
  duration_s: number | null;
  /** What was searched for: `artist - title`, or the reviewer's own words. */
  query: string;
  /** The search yt-dlp ran (the template filled in). */
  search: string;
  candidates: ScoredCandidate[];
  /** Index into `candidates` of the one downloaded (or to download), null when none. */
  chosen: number | null;
  source_url: string;
  score: number | null;
  state: ReviewState;
  /** The downloaded file's name in `audio/`, empty when none. */
  file: string;
  measured_s: number | null;
  /** Why the state is what it is, in words (a duration that is off, a failure). */
  note: string;
}

export interface Evidence {
  version: 1;
  /** The source that assembled it (`spotify`, `tracklist`): the ids' prefix. */
  source: string;
  settings: AssemblySettings;
  counts: LabelCounts[];
  tracks: TrackEvidence[];
}

/** A file name clave writes in `audio/`: the stem, optional dot-parts, an extension; nothing else. */
export const AUDIO_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9]{1,8}$/;

/** The evidence beside a manifest in `root`, or null when there is none. Refused: a file edited into another shape. */
export async function readEvidence(root: string): Promise<Evidence | null> {
  const file = join(root, EVIDENCE_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new DatasetError(file, `cannot read the evidence: ${fsReason(error)}`);
  }
  let json: Evidence;
  try {
    json = JSON.parse(text) as Evidence;
  } catch {
    throw new DatasetError(file, "the evidence is not JSON");
  }
  if (json?.version !== 1 || !Array.isArray(json.tracks) || typeof json.settings !== "object" || typeof json.source !== "string") {
    throw new DatasetError(file, "not clave's evidence (version 1 with source, settings and tracks)");
  }
  json.tracks.forEach((t, i) => {
    const bad = (what: string) => new DatasetError(file, `track ${i + 1}${typeof t?.id === "string" ? ` (${JSON.stringify(t.id)})` : ""}: ${what}`);
    if (!t || typeof t.id !== "string" || typeof t.stem !== "string" || !/^[A-Za-z0-9_-]+$/.test(t.stem)) throw bad("no id, or a file stem that is not letters, digits, - and _");
    if (!REVIEW_STATES.includes(t.state)) throw bad(`state ${JSON.stringify(t.state)} is not one of ${REVIEW_STATES.join(", ")}`);
    if (typeof t.file !== "string" || (t.file !== "" && (!AUDIO_NAME.test(t.file) || !t.file.startsWith(`${t.stem}.`)))) throw bad(`file ${JSON.stringify(t.file)} is not <stem>.<ext>`);
    if (!Array.isArray(t.candidates) || (t.chosen !== null && !(Number.isInteger(t.chosen) && t.chosen >= 0 && t.chosen < t.candidates.length))) throw bad("candidates or chosen candidate out of shape");
  });
  return json;
}

/** Write the evidence atomically. */
export async function writeEvidence(root: string, evidence: Evidence): Promise<void> {
  await writeFileAtomic(join(root, EVIDENCE_FILE), `${JSON.stringify(evidence, null, 1)}\n`);
}

/** The absolute path of a track's downloaded file, or null when it has none. */
export function audioPath(root: string, track: Pick<TrackEvidence, "file">): string | null {
  return track.file ? join(root, AUDIO_DIR, track.file) : null;
}
