/**
 * Subgenre datasets from track lists that need no Spotify account: per label, text files of
 * `artist - title` lines or playlists exported as CSV by Exportify. Either a labels file maps each
 * label to its lists (`{"son": ["son.txt", "son-export.csv"]}`, paths relative to it), or a folder holds
 * one list per label (`son.txt`, `rumba.csv`: the name is the label). The audio is found and
 * downloaded with yt-dlp as for the spotify source (core/playlist/assemble.ts).
 *
 *     clave dataset build --source tracklist --param path=lists/ --out data/salsa/manifest.csv
 */
import { readdir } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError, fsReason } from "../../core/errors.ts";
import { defineSource, type Track } from "../../core/plugin.ts";
import { assembleDataset, assemblyParams, datasetRoot, settingsOf } from "../../core/playlist/assemble.ts";
import { readAssignments, readLabelsFile, readTrackList } from "../../core/playlist/tracklist.ts";
import type { Listing } from "../../core/playlist/tracks.ts";

const LIST_EXTENSIONS = [".txt", ".csv"];

/** Label → list files: from a labels file, or a folder's `<label>.txt` / `<label>.csv`. */
async function listFiles(labels: string, path: string): Promise<{ label: string; files: string[] }[]> {
  if (labels && path) throw new ConfigError("source tracklist", "give labels=FILE or path=FOLDER, not both");
  if (labels) {
    const file = resolve(labels);
    return (await readLabelsFile(file)).map(({ label, entries }) => ({ label, files: entries.map((e) => resolve(dirname(file), e)) }));
  }
  if (!path) throw new ConfigError("source tracklist", "give labels=FILE (a JSON file mapping labels to list files) or path=FOLDER (one <label>.txt or <label>.csv per label)");
  const dir = resolve(path);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => !n.startsWith(".") && LIST_EXTENSIONS.includes(extname(n).toLowerCase())).sort();
  } catch (error) {
    throw new ConfigError(dir, `cannot read the folder: ${fsReason(error)}`);
  }
  if (names.length === 0) throw new ConfigError(dir, "no .txt or .csv track lists in it");
  const byLabel = new Map<string, string[]>();
  for (const name of names) {
    const label = basename(name, extname(name));
    byLabel.set(label, [...(byLabel.get(label) ?? []), join(dir, name)]);
  }
  return [...byLabel].map(([label, files]) => ({ label, files }));
}

const NAME = "tracklist";
const PARAMS = z.object({
  labels: z.string().default("").describe('JSON file mapping each label to list files (relative to it): {"son": ["son.txt", "son.csv"]}'),
  path: z.string().default("").describe("or: a folder with one list per label, <label>.txt (artist - title lines) or <label>.csv (Exportify)"),
  ...assemblyParams,
});

const source = defineSource({
  name: NAME,
  description: "Text (artist - title) or Exportify CSV track lists per label: searched and downloaded with yt-dlp, with evidence and a review report.",
  params: PARAMS,
  async list(p, ctx): Promise<Track[]> {
    const settings = settingsOf(p);
    const root = datasetRoot(p.dir, ctx.root, NAME);
    const lists = await listFiles(p.labels, p.path);
    const listings: Listing[] = [];
    for (const { label, files } of lists) {
      for (const file of files) listings.push({ label, origin: file, tracks: await readTrackList(file, ctx.problem) });
    }
    const assign = p.assign ? await readAssignments(resolve(p.assign), lists.map((l) => l.label)) : new Map<string, string>();
    return assembleDataset(listings, assign, settings, { root, source: NAME, problem: ctx.problem, note: ctx.note ?? (() => {}), abort: ctx.abort });
  },
});

export default source;
