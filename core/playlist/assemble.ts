/**
 * Playlists → audio files: the labelled tracks gathered from the lists (overlaps resolved), each
 * searched with yt-dlp, its candidates scored, the best downloaded when it scores well enough, and
 * everything recorded in `evidence.json` with a review report beside the manifest. Run again, it
 * picks up where it stopped: searches and downloads already done are not repeated, decisions stay.
 */
import { basename, join, resolve } from "node:path";
import { rm } from "node:fs/promises";
import { z } from "zod";
import { audioInfo } from "../audio/index.ts";
import { probeWithFfprobe } from "../audio/ffmpeg.ts";
import { ConfigError, YtDlpError } from "../errors.ts";
import { fileFault } from "../dataset/files.ts";
import { forEachLimit } from "../dataset/build.ts";
import type { Track, TrackProblem } from "../plugin.ts";
import { progress } from "../progress.ts";
import {
  AUDIO_DIR,
  DECIDED,
  IN_MANIFEST,
  audioPath,
  readEvidence,
  writeEvidence,
  type AssemblySettings,
  type Evidence,
  type TrackEvidence,
} from "./evidence.ts";
import { chooseCandidate, scoreCandidate, type WantedTrack } from "./match.ts";
import { writeReviewReport } from "./report.ts";
import { describeCounts, gatherTracks, type GatheredTrack, type Listing } from "./tracks.ts";
import { downloadAudio, requireYtdlp, RunGate, searchCandidates, withRetries, type YtDlpSettings } from "./ytdlp.ts";

export const DEFAULT_SEARCH = "ytsearch5:{artist} - {title}";

/** The params both playlist sources share: how audio is searched, chosen and downloaded. */
export const assemblyParams = {
  search: z
    .string()
    .default(DEFAULT_SEARCH)
    .describe("yt-dlp search: ytsearchN:/scsearchN: with {artist} {title} {query}, or a URL with them (URL-encoded), e.g. http://127.0.0.1:8000/search?q={query}"),
  min_score: z.number().min(0).max(1).default(0.6).describe("below this match score nothing is downloaded and the track waits for review"),
  sure_score: z.number().min(0).max(1).default(0.85).describe("from this score on a match needs no review; between min_score and it, it is downloaded and marked doubtful"),
  jobs: z.number().int().min(1).max(16).default(2).describe("tracks searched and downloaded at a time"),
  rate_limit: z
    .string()
    .regex(/^(\d+(\.\d+)?[KMG]?)?$/i, "expected a rate like 2M or 500K, or empty for none")
    .default("2M")
    .describe("yt-dlp --limit-rate of each download (bytes per second; empty: none)"),
  interval_s: z.number().min(0).max(600).default(1).describe("at least this many seconds between two yt-dlp runs (requests to the site)"),
  retries: z.number().int().min(0).max(10).default(3).describe("retries of a failed search or download, with exponential backoff"),
  backoff_s: z.number().min(0).max(120).default(2).describe("first wait before a retry, doubled each time"),
  timeout_s: z.number().positive().max(86_400).default(900).describe("a yt-dlp run is killed after this many seconds"),
  ytdlp: z.string().default("").describe("the yt-dlp binary (default CLAVE_YTDLP, else yt-dlp on PATH)"),
  ytdlp_args: z.array(z.string()).default([]).describe("extra yt-dlp arguments, e.g. --cookies-from-browser,firefox"),
  probe_candidates: z.boolean().default(true).describe("measure with ffprobe the duration of candidates whose site gives none"),
  assign: z.string().default("").describe("JSON file assigning tracks listed under several labels: {\"<id, Spotify link or Artist - Title>\": \"<label>\"}"),
  dir: z.string().default("").describe("dataset folder for audio/, evidence.json and the review report (default: the manifest's folder)"),
};

export type AssemblyParams = z.output<z.ZodObject<typeof assemblyParams>>;

/** The stored settings of validated params. */
export function settingsOf(p: AssemblyParams): AssemblySettings {
  checkSearchTemplate(p.search);
  if (p.min_score > p.sure_score) throw new ConfigError("--param min_score", `min_score ${p.min_score} is above sure_score ${p.sure_score}`);
  return {
    search: p.search,
    min_score: p.min_score,
    sure_score: p.sure_score,
    jobs: p.jobs,
    rate_limit: p.rate_limit,
    interval_s: p.interval_s,
    retries: p.retries,
    backoff_s: p.backoff_s,
    timeout_s: p.timeout_s,
    ytdlp: p.ytdlp || process.env.CLAVE_YTDLP || "yt-dlp",
    ytdlp_args: p.ytdlp_args,
    probe_candidates: p.probe_candidates,
  };
}

/** The dataset folder: `dir` when given, else the folder of the manifest being built. */
export function datasetRoot(dir: string, root: string | undefined, source: string): string {
  if (dir) return resolve(dir);
  if (!root) throw new ConfigError(`source ${source}`, "no dataset folder: give --param dir=FOLDER (clave dataset build gives the manifest's folder)");
  return root;
}

const TEMPLATE_FIELDS = /\{(artist|title|query)\}/g;

/** Refuse a search template yt-dlp cannot take or that would search the same thing for every track. */
export function checkSearchTemplate(template: string): void {
  const where = "--param search";
  if (!/^[a-z0-9]+search(\d+|all)?:/i.test(template) && !/^https?:\/\//i.test(template)) {
    throw new ConfigError(where, `${JSON.stringify(template)} is neither a yt-dlp search (ytsearch5:..., scsearch3:...) nor an http(s) URL`);
  }
  if (!template.match(TEMPLATE_FIELDS)) throw new ConfigError(where, `${JSON.stringify(template)} has none of {artist}, {title}, {query}: every track would search the same thing`);
}

/** The template filled in for a track: in a URL each field is URL-encoded; `{artist} - {title}` is the query. */
export function searchTarget(template: string, query: string, artist: string, title: string): string {
  const isUrl = /^https?:\/\//i.test(template);
  const values: Record<string, string> = { query, artist, title };
  // A reviewer's own query replaces `{artist} - {title}` as a whole.
  return template.replace("{artist} - {title}", "{query}").replace(TEMPLATE_FIELDS, (_m, field: string) => (isUrl ? encodeURIComponent(values[field]) : values[field]));
}

function wantedOf(t: TrackEvidence): WantedTrack {
  return { artist: t.artists[0] ?? "", title: t.title, duration_s: t.duration_s };
}

/** Searches, scores, downloads and measures, with the settings' retries, pauses and time limits. */
export class AudioFinder {
  private readonly gate: RunGate;
  private checked: Promise<void> | undefined;
  readonly ytdlp: YtDlpSettings;

  constructor(
    readonly root: string,
    readonly settings: AssemblySettings,
    private readonly abort?: AbortSignal,
  ) {
    this.gate = new RunGate(settings.interval_s);
    this.ytdlp = {
      binary: settings.ytdlp,
      extraArgs: settings.ytdlp_args,
      rateLimit: settings.rate_limit,
      retries: settings.retries,
      backoffS: settings.backoff_s,
      timeoutS: settings.timeout_s,
    };
  }

  /** yt-dlp runs at all: else no track can be found, an error for the whole build rather than one per track. */
  ready(): Promise<void> {
    this.checked ??= requireYtdlp(this.ytdlp.binary).then(
      () => undefined,
      (error: YtDlpError) => {
        throw new ConfigError(this.ytdlp.binary, error.reason);
      },
    );
    return this.checked;
  }

  private async run<T>(attempt: () => Promise<T>): Promise<T> {
    await this.ready();
    return withRetries(
      async () => {
        await this.gate.wait();
        return attempt();
      },
      this.ytdlp,
      { abort: this.abort },
    );
  }

  /** Search for `t` (its `query`), probe durations the site did not give, and score the candidates. */
  async search(t: TrackEvidence): Promise<void> {
    const target = searchTarget(this.settings.search, t.query, t.artists[0] ?? "", t.title);
    const found = await this.run(() => searchCandidates(target, this.ytdlp));
    const measured = [];
    for (const c of found) {
      if (c.duration_s !== null || !this.settings.probe_candidates) measured.push(c);
      else {
        const duration = await probeWithFfprobe(c.url).then((p) => p.duration, () => null);
        measured.push(duration === null ? c : { ...c, duration_s: duration, duration_from: "probed" as const });
      }
    }
    t.search = target;
    t.candidates = measured.map((c) => scoreCandidate(wantedOf(t), c));
    t.chosen = null;
  }

  /** Score the candidates again (settings may have changed) and choose the best that reaches `min_score`. */
  rescore(t: TrackEvidence): void {
    t.candidates = t.candidates.map((c) => scoreCandidate(wantedOf(t), c));
    t.chosen = chooseCandidate(t.candidates, this.settings.min_score);
    t.score = t.chosen === null ? (t.candidates.length ? Math.max(...t.candidates.map((c) => c.score)) : null) : t.candidates[t.chosen].score;
  }

  /**
   * Download candidate `index` of `t` and measure it. A track that already has a file gets the new one
   * beside it (`<stem>.c<N>.<ext>`) and the old one removed only once the new one is there.
   */
  async fetch(t: TrackEvidence, index: number): Promise<void> {
    const candidate = t.candidates[index];
    const dir = join(this.root, AUDIO_DIR);
    const name = t.file ? `${t.stem}.c${index + 1}` : t.stem;
    const path = await this.run(() => downloadAudio(candidate.url, dir, name, this.ytdlp));
    let measured: number | null;
    try {
      measured = (await audioInfo(path)).duration;
    } catch (error) {
      await rm(path, { force: true });
      throw new YtDlpError(candidate.url, `the downloaded file is not audio clave can read (${(error as Error).message}): removed`, true);
    }
    const old = audioPath(this.root, t);
    t.file = basename(path);
    if (old && old !== path) await rm(old, { force: true });
    t.chosen = index;
    t.measured_s = measured;
    t.source_url = candidate.url;
    t.score = candidate.score;
  }

  /** `auto` or `doubtful` for a downloaded track, with the reason when doubtful. */
  judge(t: TrackEvidence): void {
    const expected = t.duration_s;
    const off = expected !== null && t.measured_s !== null ? Math.abs(t.measured_s - expected) : 0;
    if (expected !== null && off > Math.max(10, 0.1 * expected)) {
      t.state = "doubtful";
      t.note = `the file lasts ${t.measured_s!.toFixed(1)} s, the listing ${expected.toFixed(1)} s`;
    } else if ((t.score ?? 0) < this.settings.sure_score) {
      t.state = "doubtful";
      t.note = `score ${t.score} below sure_score ${this.settings.sure_score}`;
    } else {
      t.state = "auto";
      t.note = "";
    }
  }

  /** Search when needed, choose, download: the state follows. */
  async find(t: TrackEvidence): Promise<void> {
    const target = searchTarget(this.settings.search, t.query, t.artists[0] ?? "", t.title);
    if (t.search !== target || (t.state === "failed" && t.candidates.length === 0)) await this.search(t);
    this.rescore(t);
    if (t.chosen === null) {
      // Nothing good enough: a file from an earlier choice is not this track's audio either.
      const old = audioPath(this.root, t);
      if (old) await rm(old, { force: true });
      t.file = "";
      t.measured_s = null;
      t.state = t.candidates.length ? "pending" : "not_found";
      t.note = t.candidates.length ? `best score ${t.score} below min_score ${this.settings.min_score}` : "the search found nothing";
      t.source_url = "";
      return;
    }
    await this.fetch(t, t.chosen);
    this.judge(t);
  }
}

/** The evidence of a gathered track, carried over from the previous build when there is one. */
function evidenceOf(track: GatheredTrack, prior: TrackEvidence | undefined): TrackEvidence {
  const listing = {
    id: track.id,
    stem: track.stem,
    // A label a reviewer assigned (clave dataset review --assign) stays while the track is still listed under it.
    label: track.label ?? (prior?.label && track.labels.includes(prior.label) ? prior.label : null),
    labels: [...track.labels],
    origins: [...track.origins],
    spotify_id: track.spotifyId ?? null,
    artists: [...track.artists],
    title: track.title,
    album: track.album ?? "",
    duration_s: track.duration_s,
  };
  if (prior && prior.stem === track.stem) return { ...prior, ...listing };
  return {
    ...listing,
    query: `${track.artists[0] ?? ""} - ${track.title}`,
    search: "",
    candidates: [],
    chosen: null,
    source_url: "",
    score: null,
    state: "pending",
    file: "",
    measured_s: null,
    note: "",
  };
}

async function hasFile(root: string, t: TrackEvidence): Promise<boolean> {
  const path = audioPath(root, t);
  return path !== null && (await fileFault(path)) === null;
}

/** Bring one track to a settled state: kept as it was when nothing is missing, else found again. */
async function settle(t: TrackEvidence, finder: AudioFinder): Promise<void> {
  if (t.label === null) {
    t.state = "ambiguous";
    t.note = `listed under ${t.labels.join(" and ")}: assign it a label to keep it`;
    return;
  }
  if (t.state === "rejected") return;
  const present = await hasFile(finder.root, t);
  if (!present) t.file = "";
  if (present && (DECIDED.has(t.state) || t.state === "auto" || t.state === "doubtful")) return;
  if (DECIDED.has(t.state) && t.chosen !== null) {
    // A decision whose file went missing: the same candidate again.
    await finder.fetch(t, t.chosen);
    return;
  }
  await finder.find(t);
}

export interface AssembleContext {
  /** The dataset folder (audio/, evidence.json, review.html, review.csv). */
  readonly root: string;
  /** The source's name, the ids' prefix. */
  readonly source: string;
  readonly problem: (problem: TrackProblem) => void;
  readonly note: (message: string) => void;
  readonly abort?: AbortSignal;
}

/** One line: how many tracks are in each state, and where the review report is. */
export function stateSummary(evidence: Pick<Evidence, "tracks">, html: string): string {
  const count = (...states: string[]) => evidence.tracks.filter((t) => states.includes(t.state)).length;
  const review = count("doubtful", "pending", "not_found", "failed", "ambiguous");
  return (
    `audio: ${count("auto", "accepted", "picked")} matched, ${count("doubtful")} doubtful (downloaded), ${count("pending")} below min_score, ` +
    `${count("not_found")} not found, ${count("failed")} failed, ${count("rejected")} rejected, ${count("ambiguous")} ambiguous` +
    (review ? `; review them in ${html} and decide with clave dataset review <manifest>` : "")
  );
}

/** The manifest's tracks: those whose state is in the manifest and whose file is there. */
export function manifestTracks(evidence: Pick<Evidence, "tracks">, root: string): Track[] {
  return evidence.tracks
    .filter((t) => IN_MANIFEST.has(t.state) && t.file !== "" && t.label !== null)
    .map((t) => ({
      id: t.id,
      label: t.label!,
      path: audioPath(root, t)!,
      artist: t.artists[0] ?? "",
      title: t.title,
      ...(t.duration_s === null ? {} : { duration_s: t.duration_s }),
      extra: { source_url: t.source_url, match_score: t.score, review: t.state },
    }));
}

/** Gather, find and download; write the evidence and the review report; return the manifest's tracks. */
export async function assembleDataset(
  listings: readonly Listing[],
  assign: ReadonlyMap<string, string>,
  settings: AssemblySettings,
  ctx: AssembleContext,
): Promise<Track[]> {
  checkSearchTemplate(settings.search);
  const gathered = gatherTracks(listings, ctx.source, assign);
  const previous = await readEvidence(ctx.root);
  const prior = new Map((previous?.source === ctx.source ? previous.tracks : []).map((t) => [t.id, t]));
  const evidence: Evidence = {
    version: 1,
    source: ctx.source,
    settings,
    counts: gathered.counts,
    tracks: gathered.tracks.map((t) => evidenceOf(t, prior.get(t.id))),
  };
  const finder = new AudioFinder(ctx.root, settings, ctx.abort);
  // Saved after each track, one write at a time, so that a build stopped midway resumes from there.
  let saving: Promise<void> = Promise.resolve();
  const save = () => (saving = saving.then(() => writeEvidence(ctx.root, evidence)));
  const bar = progress(evidence.tracks.length, `find audio (${ctx.source})`);
  await forEachLimit(evidence.tracks, settings.jobs, async (t) => {
    if (ctx.abort?.aborted) return;
    try {
      await settle(t, finder);
    } catch (error) {
      if (!(error instanceof YtDlpError)) throw error;
      t.state = "failed";
      t.note = error.message;
      ctx.problem({ path: t.id, reason: `${error.message}: left out (a build run again retries it)` });
    } finally {
      bar.tick(1, t.id);
      await save();
    }
  });
  bar.stop();
  await save();
  const report = await writeReviewReport(ctx.root, evidence);
  for (const line of describeCounts(evidence.counts)) ctx.note(line);
  ctx.note(stateSummary(evidence, report.html));
  return manifestTracks(evidence, ctx.root);
}
