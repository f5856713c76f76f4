/**
 * Subgenre datasets from Spotify playlists: `{"son": ["https://open.spotify.com/playlist/…"], …}` maps
 * each label to playlists; their tracks' titles, artists and durations (only those: search keys) are
 * read through the Web API, tracks in playlists of two labels are left out unless assigned, and each
 * track's audio is searched and downloaded with yt-dlp into `audio/` beside the manifest, with the
 * evidence and a review report (core/playlist/assemble.ts). Nothing is downloaded from Spotify.
 *
 *     clave spotify login
 *     clave dataset build --source spotify --param labels=labels.json --out data/salsa/manifest.csv
 */
import { resolve } from "node:path";
import { z } from "zod";
import { defineSource, type Track } from "../../core/plugin.ts";
import { SpotifyError } from "../../core/errors.ts";
import { assembleDataset, assemblyParams, datasetRoot, settingsOf } from "../../core/playlist/assemble.ts";
import { spotifyTokens } from "../../core/playlist/auth.ts";
import { playlistId, SpotifyClient } from "../../core/playlist/spotify.ts";
import { readAssignments, readLabelsFile } from "../../core/playlist/tracklist.ts";
import type { Listing } from "../../core/playlist/tracks.ts";

const NAME = "spotify";
const PARAMS = z.object({
  labels: z.string().min(1).describe('JSON file mapping each label to playlist links or URIs: {"son": ["https://open.spotify.com/playlist/..."]}'),
  ...assemblyParams,
});

const source = defineSource({
  name: NAME,
  description: "Spotify playlists per label: titles and artists searched and downloaded with yt-dlp, with evidence and a review report.",
  params: PARAMS,
  async list(p, ctx): Promise<Track[]> {
    const settings = settingsOf(p);
    const root = datasetRoot(p.dir, ctx.root, NAME);
    const file = resolve(p.labels);
    const labels = await readLabelsFile(file);
    // Every link is checked before the first request, so a typo does not cost a half-run.
    for (const { label, entries } of labels) {
      for (const ref of entries) if (!playlistId(ref)) throw new SpotifyError(ref, undefined, `(label ${label} in ${file}) is not a playlist link, spotify:playlist: URI or 22-character id`);
    }
    const assign = p.assign ? await readAssignments(resolve(p.assign), labels.map((l) => l.label)) : new Map<string, string>();
    const client = new SpotifyClient(spotifyTokens(), { abort: ctx.abort });
    const listings: Listing[] = [];
    // Playlists that cannot be read (not owned, gone) are all named at once; other failures stop at once.
    const unreadable: string[] = [];
    for (const { label, entries } of labels) {
      for (const ref of entries) {
        try {
          const items = await client.playlistItems(ref);
          listings.push({
            label,
            origin: ref,
            tracks: items.tracks.map((t) => ({ spotifyId: t.id, title: t.title, artists: t.artists, album: t.album, duration_s: t.duration_s })),
            skipped: items.skipped,
          });
        } catch (error) {
          if (!(error instanceof SpotifyError) || (error.status !== 403 && error.status !== 404)) throw error;
          unreadable.push(`${error.message} (label ${label})`);
        }
      }
    }
    if (unreadable.length > 0) throw new SpotifyError(undefined, undefined, `${unreadable.length} playlist(s) cannot be read:\n  ${unreadable.join("\n  ")}`);
    return assembleDataset(listings, assign, settings, { root, source: NAME, problem: ctx.problem, note: ctx.note ?? (() => {}), abort: ctx.abort });
  },
});

export default source;
