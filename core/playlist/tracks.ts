/**
 * From lists of tracks per label (playlists, track lists) to one set of labelled tracks. A track listed
 * twice under one label is one track; a track listed under two labels is ambiguous — which subgenre
 * it is, the lists disagree — and is left out unless the user assigns it a label. A track is "the same"
 * when its Spotify id is, or when its main artist and title are once normalised (re-releases of one
 * recording carry new ids).
 */
import { createHash } from "node:crypto";
import { normaliseText } from "./match.ts";

/** A track as a list gives it. */
export interface ListedTrack {
  /** The Spotify track id when known. */
  readonly spotifyId?: string;
  readonly title: string;
  /** Every artist's name, the main one first. */
  readonly artists: readonly string[];
  readonly album?: string;
  readonly duration_s: number | null;
}

/** One list of one label: a playlist or a track-list file, with the entries it skipped. */
export interface Listing {
  readonly label: string;
  /** The playlist link or the file, as the user gave it. */
  readonly origin: string;
  readonly tracks: readonly ListedTrack[];
  readonly skipped?: { readonly empty: number; readonly episodes: number; readonly local: number };
}

/** A track with its id in the dataset and every label and list it was found under. */
export interface GatheredTrack extends ListedTrack {
  /** The manifest id, `<source>/<stem>`. */
  readonly id: string;
  /** The audio file's name without extension: the Spotify id, else 16 hex digits of a hash of the artist and title. */
  readonly stem: string;
  /** The label it gets, or null when it is ambiguous and not assigned. */
  readonly label: string | null;
  /** Every label it is listed under, sorted. */
  readonly labels: readonly string[];
  readonly origins: readonly string[];
  /** True when the user's assignment chose the label. */
  readonly assigned: boolean;
}

/** Counts per label, in the order labels were given. */
export interface LabelCounts {
  readonly label: string;
  readonly lists: number;
  /** Entries that are tracks, repeats included. */
  readonly entries: number;
  /** Entries that repeat a track already under this label. */
  readonly repeats: number;
  /** Distinct tracks listed under this label. */
  readonly tracks: number;
  /** Of those, the tracks listed under this label only. */
  readonly only: number;
  /** Of those, the tracks also listed under another label and assigned to none. */
  readonly ambiguous: number;
  /** Tracks assigned to this label that other labels list too. */
  readonly assigned: number;
  /** Tracks the label keeps: `only + assigned`. */
  readonly kept: number;
  readonly skipped: { empty: number; episodes: number; local: number };
}

export interface Gathered {
  readonly tracks: GatheredTrack[];
  readonly counts: LabelCounts[];
}

/** The key that makes two entries the same track: normalised main artist and title. */
export function trackKey(track: Pick<ListedTrack, "artists" | "title">): string {
  return `${normaliseText(track.artists[0] ?? "")}\u0000${normaliseText(track.title)}`;
}

/** The file stem of a track without a Spotify id: 16 hex digits of the sha256 of its key. */
export function keyStem(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** The ways a user may name a track in an assignment: its id, stem, Spotify id/URI/link, or `artist - title`. */
export function trackNames(track: Pick<GatheredTrack, "id" | "stem" | "spotifyId" | "artists" | "title">): string[] {
  const names = [track.id, track.stem, `${normaliseText(track.artists[0] ?? "")} - ${normaliseText(track.title)}`];
  if (track.spotifyId) names.push(track.spotifyId, `spotify:track:${track.spotifyId}`, `https://open.spotify.com/track/${track.spotifyId}`);
  return names;
}

/** An assignment's key as `trackNames` spells it (`Artist - Title` normalised, links without their query). */
export function assignmentKey(name: string): string {
  const text = name.trim();
  if (/^https?:\/\//i.test(text)) return text.replace(/[?#].*$/, "").replace(/\/intl-[a-z-]+\//i, "/");
  const dash = text.indexOf(" - ");
  return dash > 0 ? `${normaliseText(text.slice(0, dash))} - ${normaliseText(text.slice(dash + 3))}` : text;
}

/**
 * Merge the listings into labelled tracks. `assign` maps a track's name (see `trackNames`) to the
 * label it gets when several labels list it; `sourceName` prefixes the ids.
 */
export function gatherTracks(listings: readonly Listing[], sourceName: string, assign: ReadonlyMap<string, string> = new Map()): Gathered {
  interface Entry {
    first: ListedTrack;
    spotifyId?: string;
    labels: Set<string>;
    origins: Set<string>;
  }
  const byKey = new Map<string, Entry>();
  const keyOfId = new Map<string, string>();
  const order: Entry[] = [];
  const labelOrder: string[] = [];
  const perLabel = new Map<string, { lists: number; entries: number; repeats: number; seen: Set<Entry>; skipped: { empty: number; episodes: number; local: number } }>();
  for (const listing of listings) {
    if (!labelOrder.includes(listing.label)) labelOrder.push(listing.label);
    let counts = perLabel.get(listing.label);
    if (!counts) perLabel.set(listing.label, (counts = { lists: 0, entries: 0, repeats: 0, seen: new Set(), skipped: { empty: 0, episodes: 0, local: 0 } }));
    counts.lists++;
    counts.skipped.empty += listing.skipped?.empty ?? 0;
    counts.skipped.episodes += listing.skipped?.episodes ?? 0;
    counts.skipped.local += listing.skipped?.local ?? 0;
    for (const track of listing.tracks) {
      const key = (track.spotifyId && keyOfId.get(track.spotifyId)) || trackKey(track);
      let entry = byKey.get(key);
      if (!entry) {
        byKey.set(key, (entry = { first: track, spotifyId: track.spotifyId, labels: new Set(), origins: new Set() }));
        order.push(entry);
      }
      if (track.spotifyId) keyOfId.set(track.spotifyId, key);
      entry.spotifyId ??= track.spotifyId;
      entry.labels.add(listing.label);
      entry.origins.add(listing.origin);
      counts.entries++;
      if (counts.seen.has(entry)) counts.repeats++;
      counts.seen.add(entry);
    }
  }
  const assignments = new Map([...assign].map(([name, label]) => [assignmentKey(name), label]));
  const tracks = order.map((entry): GatheredTrack => {
    const key = trackKey(entry.first);
    const stem = entry.spotifyId ?? keyStem(key);
    const base = { ...entry.first, spotifyId: entry.spotifyId, id: `${sourceName}/${stem}`, stem };
    const labels = [...entry.labels].sort();
    const assignedLabel = trackNames(base).map((n) => assignments.get(assignmentKey(n))).find((l) => l !== undefined);
    const label = labels.length === 1 ? labels[0] : (assignedLabel ?? null);
    return { ...base, labels, origins: [...entry.origins], label, assigned: labels.length > 1 && assignedLabel !== undefined };
  });
  const counts = labelOrder.map((label): LabelCounts => {
    const c = perLabel.get(label)!;
    const mine = tracks.filter((t) => t.labels.includes(label));
    const only = mine.filter((t) => t.labels.length === 1).length;
    const assigned = tracks.filter((t) => t.assigned && t.label === label).length;
    return {
      label,
      lists: c.lists,
      entries: c.entries,
      repeats: c.repeats,
      tracks: mine.length,
      only,
      ambiguous: mine.filter((t) => t.label === null).length,
      assigned,
      kept: only + assigned,
      skipped: c.skipped,
    };
  });
  return { tracks, counts };
}

/** One line per label: `son: 2 lists, 90 entries (5 repeats), 85 tracks: 66 only here, 19 also under another label (left out)...`. */
export function describeCounts(counts: readonly LabelCounts[]): string[] {
  return counts.map((c) => {
    const skipped = [
      c.skipped.empty ? `${c.skipped.empty} empty` : "",
      c.skipped.episodes ? `${c.skipped.episodes} episodes` : "",
      c.skipped.local ? `${c.skipped.local} local files` : "",
    ].filter(Boolean);
    const shared = c.tracks - c.only;
    return (
      `${c.label}: ${c.lists} list${c.lists === 1 ? "" : "s"}, ${c.entries} entries` +
      `${c.repeats ? ` (${c.repeats} repeats)` : ""}${skipped.length ? `, skipped ${skipped.join(", ")}` : ""}` +
      `; ${c.tracks} tracks: ${c.only} only here, ${shared} also under another label` +
      `${shared ? ` (${c.assigned} assigned here, ${c.ambiguous} ambiguous and left out)` : ""}; keeps ${c.kept}`
    );
  });
}
