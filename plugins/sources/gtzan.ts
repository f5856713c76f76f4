/**
 * GTZAN (Tzanetakis and Cook, 2002): 1000 excerpts of 30 s, 100 in each of 10 genres, in either of the
 * two layouts in circulation:
 *
 *   original  genres/<genre>/<genre>.000NN.au              (the marsyas archive, 22050 Hz .au)
 *   kaggle    genres_original/<genre>/<genre>.000NN.wav    (Kaggle's "GTZAN Dataset - Music Genre
 *             Classification", which also has features_30_sec.csv and features_3_sec.csv)
 *
 * `path` is the folder holding `genres/` or `genres_original/` (or Kaggle's `Data/`), or the genres
 * folder itself. Tracks carry `split_sturm`: the fault-filtered, artist-filtered split of Kereliuk,
 * Sturm and Larsen (2015) — GTZAN has repeated, mislabelled and distorted excerpts and several
 * excerpts per artist, and a random split inflates accuracy — which `clave dataset build` uses by
 * default (`--split sturm`); excerpts outside it are `excluded`.
 *
 * Kaggle's `jazz.00054.wav` is corrupt: it is reported and left out (unless `known_bad` is `keep`).
 */
import { readdirSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import * as aq from "arquero";
import { z } from "zod";
import { DatasetError } from "../../core/errors.ts";
import { defineSource, type Track } from "../../core/plugin.ts";
import type { Manifest } from "../../core/dataset/manifest.ts";
import { sturmSplit } from "./gtzan-sturm-split.ts";

export const GTZAN_GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"] as const;

/** Files of the Kaggle copy known to be unreadable, by layout. */
export const GTZAN_KNOWN_BAD: Readonly<Record<"original" | "kaggle", Readonly<Record<string, string>>>> = {
  original: {},
  kaggle: { "jazz.00054": "known corrupt file in Kaggle's GTZAN copy (it does not decode)" },
};

const NAME = /^([a-z]+)\.(\d{5})\.(au|wav)$/i;

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the genre folders are, and which layout they follow. */
export function findGtzanLayout(path: string, layout: "auto" | "original" | "kaggle" = "auto"): { dir: string; layout: "original" | "kaggle" } {
  const root = resolve(path);
  const candidates: { dir: string; layout: "original" | "kaggle" }[] = [
    { dir: join(root, "genres_original"), layout: "kaggle" },
    { dir: join(root, "Data", "genres_original"), layout: "kaggle" },
    { dir: join(root, "genres"), layout: "original" },
  ];
  for (const c of candidates) if (isDir(c.dir) && (layout === "auto" || layout === c.layout)) return c;
  // The genres folder itself: its files tell the layout.
  if (GTZAN_GENRES.some((g) => isDir(join(root, g)))) {
    const sample = GTZAN_GENRES.map((g) => join(root, g)).find(isDir)!;
    const wav = readdirSync(sample).some((f) => /\.wav$/i.test(f));
    return { dir: root, layout: layout !== "auto" ? layout : wav ? "kaggle" : "original" };
  }
  throw new DatasetError(root, `no GTZAN layout found: expected genres/<genre>/<genre>.000NN.au or genres_original/<genre>/<genre>.000NN.wav`);
}

const source = defineSource({
  name: "gtzan",
  description: "GTZAN genre collection (original .au or Kaggle .wav layout), with the Sturm fault-filtered split.",
  params: z.object({
    path: z.string().min(1).describe("folder holding genres/ or genres_original/ (or the genres folder itself)"),
    layout: z.enum(["auto", "original", "kaggle"]).default("auto").describe("which layout to read; auto finds it"),
    genres: z.array(z.string()).default([]).describe("genres to list (default: every genre folder there is)"),
    known_bad: z.enum(["skip", "keep"]).default("skip").describe("files known to be corrupt: report and leave out, or keep"),
  }),
  root: (p) => resolve(p.path),
  async list(p, ctx) {
    const root = resolve(p.path);
    const found = findGtzanLayout(root, p.layout);
    const split = sturmSplit();
    const bad = GTZAN_KNOWN_BAD[found.layout];
    const ext = found.layout === "kaggle" ? "wav" : "au";
    const tracks: Track[] = [];
    const genres = p.genres.length > 0 ? p.genres : (await readdir(found.dir)).filter((d) => !d.startsWith(".") && isDir(join(found.dir, d))).sort();
    for (const genre of genres) {
      const dir = join(found.dir, genre);
      if (!isDir(dir)) {
        ctx.problem({ path: dir, reason: `genre folder ${genre} is missing` });
        continue;
      }
      const files = (await readdir(dir)).filter((f) => !f.startsWith(".")).sort();
      for (const file of files) {
        const full = join(dir, file);
        const m = NAME.exec(file);
        if (!m || m[3].toLowerCase() !== ext) {
          if (/\.(au|wav|mp3|ogg|flac)$/i.test(file)) ctx.problem({ path: full, reason: `not a GTZAN ${ext} excerpt name (<genre>.000NN.${ext}): skipped` });
          continue;
        }
        if (m[1] !== genre) {
          ctx.problem({ path: full, reason: `excerpt of ${m[1]} inside the ${genre} folder: skipped` });
          continue;
        }
        const name = `${m[1]}.${m[2]}`;
        if (bad[name] && p.known_bad === "skip") {
          ctx.problem({ path: full, reason: `${bad[name]}: left out` });
          continue;
        }
        tracks.push({
          id: `gtzan/${name}`,
          label: genre,
          path: relative(root, full).split(sep).join("/"),
          extra: { split_sturm: split.get(name) ?? "excluded" },
        });
      }
    }
    return tracks;
  },
});

export default source;

/** The manifest id of a GTZAN file name: `blues.00000.wav` and `blues.00000.3.wav` → `gtzan/blues.00000`. */
export function gtzanTrackId(filename: string): string {
  const m = /^([a-z]+\.\d{5})/i.exec(basename(filename));
  if (!m) throw new DatasetError(filename, "not a GTZAN file name (<genre>.000NN...)");
  return `gtzan/${m[1]}`;
}

/**
 * Kaggle's `features_30_sec.csv` or `features_3_sec.csv` as an Arquero table, with `track_id` (the
 * manifest id of the excerpt each row comes from) and `segment` (the 3-second segment's index, null
 * for 30-second rows) added; with a manifest, `split` too — each segment inherits its track's split
 * (rows whose track is not in the manifest get `excluded`).
 */
export async function readGtzanFeatures(file: string, options: { manifest?: Pick<Manifest, "rows"> } = {}): Promise<aq.ColumnTable> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DatasetError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const table = aq.fromCSV(text, { parse: { filename: String, label: String } });
  if (!table.columnNames().includes("filename")) throw new DatasetError(file, "no filename column: not a GTZAN features CSV");
  const filenames = table.array("filename") as ArrayLike<string>;
  const trackIds: string[] = [];
  const segments: (number | null)[] = [];
  for (let i = 0; i < table.numRows(); i++) {
    const name = String(filenames[i]);
    const m = /^([a-z]+\.\d{5})(?:\.(\d+))?\.(?:wav|au)$/i.exec(name);
    if (!m) throw new DatasetError(file, `row ${i + 1}: filename ${JSON.stringify(name)} is not a GTZAN excerpt name`);
    trackIds.push(`gtzan/${m[1]}`);
    segments.push(m[2] === undefined ? null : Number(m[2]));
  }
  const added: Record<string, unknown[]> = { track_id: trackIds, segment: segments };
  if (options.manifest) {
    const splitOf = new Map(options.manifest.rows.map((r) => [r.id, r.split]));
    added.split = trackIds.map((id) => splitOf.get(id) ?? "excluded");
  }
  return table.assign(aq.table(added));
}
