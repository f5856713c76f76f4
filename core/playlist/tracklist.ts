/**
 * Track lists that need no Spotify account: a text file of `artist - title` lines (what a study keeps
 * of its playlists), or a playlist exported as CSV by Exportify (columns `Track URI`, `Track Name`,
 * `Artist Name(s)`, `Album Name`, `Track Duration (ms)` or `Duration (ms)`; others ignored).
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { ConfigError, FileError, fsReason } from "../errors.ts";
import { openRegularFile } from "../fsutil.ts";
import { csvQuoteFault, parseCsvRecords } from "../dataset/csv.ts";
import type { TrackProblem } from "../plugin.ts";
import type { ListedTrack } from "./tracks.ts";

async function readText(file: string): Promise<string> {
  try {
    const { handle } = await openRegularFile(file);
    try {
      return await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ConfigError(file, `cannot read the track list: ${error instanceof FileError ? error.reason : fsReason(error)}`);
  }
}

/** The separator of `artist - title`: a hyphen, en dash or em dash with a space on each side. */
const SEPARATOR = /\s+[-\u2013\u2014]\s+/;

/** `artist - title` lines; blank lines and `#` comments skipped; a line without the separator is a problem, the others go on. */
export function parseTextList(text: string, file: string, problem: (p: TrackProblem) => void): ListedTrack[] {
  const tracks: ListedTrack[] = [];
  text.replace(/^\ufeff/, "").split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = SEPARATOR.exec(line);
    const artist = m ? line.slice(0, m.index).trim() : "";
    const title = m ? line.slice(m.index + m[0].length).trim() : "";
    if (!m || artist === "" || title === "") {
      problem({ path: file, reason: `line ${i + 1}: expected "artist - title", got ${JSON.stringify(line.slice(0, 200))}: left out` });
      return;
    }
    tracks.push({ title, artists: [artist], duration_s: null });
  });
  return tracks;
}

/** Artist names of an Exportify cell: older exports join them with ", ", newer ones with ";" (a name holding a comma is split: only the first name is a key). */
function splitArtists(cell: string): string[] {
  const parts = cell.includes(";") ? cell.split(";") : cell.split(/,\s*/);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** The tracks of an Exportify CSV; rows without a name or artist are problems, the others go on. */
export function parseExportifyCsv(text: string, file: string, problem: (p: TrackProblem) => void): ListedTrack[] {
  const fault = csvQuoteFault(text);
  if (fault) throw new ConfigError(file, `line ${fault.line}: ${fault.problem}`);
  const records = parseCsvRecords(text);
  if (records.length === 0) throw new ConfigError(file, "empty file: expected an Exportify CSV with a header");
  const header = records[0].map((h) => h.trim().toLowerCase());
  const column = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const name = column("track name");
  const artists = column("artist name(s)");
  if (name < 0 || artists < 0) {
    throw new ConfigError(file, `not an Exportify CSV: it needs the columns "Track Name" and "Artist Name(s)" (it has: ${records[0].slice(0, 12).join(", ")})`);
  }
  const uri = column("track uri", "spotify uri");
  const album = column("album name");
  const duration = column("track duration (ms)", "duration (ms)");
  const tracks: ListedTrack[] = [];
  for (let r = 1; r < records.length; r++) {
    const record = records[r];
    if (record.every((v) => v.trim() === "")) continue;
    const title = (record[name] ?? "").trim();
    const names = splitArtists(record[artists] ?? "");
    if (title === "" || names.length === 0) {
      problem({ path: file, reason: `row ${r}: no track name or artist: left out` });
      continue;
    }
    const id = uri >= 0 ? /^spotify:track:([A-Za-z0-9]{22})$/.exec((record[uri] ?? "").trim())?.[1] : undefined;
    const ms = duration >= 0 ? Number(record[duration]) : NaN;
    tracks.push({
      ...(id ? { spotifyId: id } : {}),
      title,
      artists: names,
      album: album >= 0 ? (record[album] ?? "").trim() : "",
      duration_s: Number.isFinite(ms) && ms > 0 ? ms / 1000 : null,
    });
  }
  return tracks;
}

/** The tracks of a list file: `.csv` as Exportify, anything else as `artist - title` lines. */
export async function readTrackList(file: string, problem: (p: TrackProblem) => void): Promise<ListedTrack[]> {
  const text = await readText(file);
  return extname(file).toLowerCase() === ".csv" ? parseExportifyCsv(text, file, problem) : parseTextList(text, file, problem);
}

/** Read a JSON file the user gave (a labels or assignments file), naming it in every error. */
export async function readJsonFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, `cannot read the ${what}: ${fsReason(error)}`);
  }
  try {
    return JSON.parse(text.replace(/^\ufeff/, "")) as unknown;
  } catch (error) {
    throw new ConfigError(file, `the ${what} is not JSON: ${(error as Error).message}`);
  }
}

/**
 * A labels file: `{"son": ["<list>", ...], "rumba": "<list>"}` — each label with one entry or a list
 * of entries (playlist links for Spotify, files for track lists). Returns the pairs in file order.
 */
export async function readLabelsFile(file: string): Promise<{ label: string; entries: string[] }[]> {
  const json = await readJsonFile(file, "labels file");
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    throw new ConfigError(file, 'expected an object mapping each label to its lists, e.g. {"son": ["https://open.spotify.com/playlist/..."]}');
  }
  const out: { label: string; entries: string[] }[] = [];
  for (const [label, value] of Object.entries(json as Record<string, unknown>)) {
    const entries = typeof value === "string" ? [value] : value;
    if (label.trim() === "" || label !== label.trim()) throw new ConfigError(file, `label ${JSON.stringify(label)}: a label must be non-empty, without surrounding spaces`);
    if (!Array.isArray(entries) || entries.length === 0 || entries.some((e) => typeof e !== "string" || e.trim() === "")) {
      throw new ConfigError(file, `label ${JSON.stringify(label)}: expected a non-empty string or list of strings`);
    }
    out.push({ label, entries: entries as string[] });
  }
  if (out.length === 0) throw new ConfigError(file, "no labels");
  return out;
}

/** An assignments file: `{"<track id, Spotify link or 'Artist - Title'>": "<label>"}`, each label one of `labels`. */
export async function readAssignments(file: string, labels: readonly string[]): Promise<Map<string, string>> {
  const json = await readJsonFile(file, "assignments file");
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new ConfigError(file, 'expected an object mapping tracks to labels, e.g. {"spotify/4uLU6hMCjMI75M1A2tKUQC": "son"}');
  const out = new Map<string, string>();
  for (const [name, label] of Object.entries(json as Record<string, unknown>)) {
    if (typeof label !== "string" || !labels.includes(label)) {
      throw new ConfigError(file, `${JSON.stringify(name)}: label ${JSON.stringify(label)} is not one of the labels (${labels.join(", ")})`);
    }
    out.set(name, label);
  }
  return out;
}
