/**
 * FMA, the Free Music Archive dataset (Defferrard et al., ISMIR 2017):
 *
 *   <path>/fma_metadata/tracks.csv    one row per track, under a three-row header (column group,
 *                                     column name, then a `track_id` row): `set.split`, `set.subset`,
 *                                     `track.genre_top`, `track.genres`, `track.genres_all`,
 *                                     `artist.id`, `artist.name`, `track.title`, ...
 *   <path>/fma_metadata/genres.csv    genre_id, #tracks, parent, title, top_level
 *   <path>/fma_<subset>/000/000002.mp3  audio, by zero-padded track id
 *
 * Subsets nest: small (8000 clips, 8 balanced genres) ⊂ medium (25000) ⊂ large (106574 clips) ⊂
 * full (untrimmed). The label is `genre_top`; tracks without one (several root genres, only outside
 * small and medium) are left out and counted. Tracks carry FMA's own artist-filtered split as
 * `split_fma` (used by `clave dataset build` by default), and the full genre lists as extra columns.
 * mp3s known to be unreadable or short are reported and left out (unless `known_bad` is `keep`).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { z } from "zod";
import { readTableFile } from "../../core/dataset/table.ts";
import { DatasetError } from "../../core/errors.ts";
import { defineSource, type Track } from "../../core/plugin.ts";

export const FMA_SUBSETS = ["small", "medium", "large", "full"] as const;
export type FmaSubset = (typeof FMA_SUBSETS)[number];

/**
 * mp3s reported broken, by the subsets whose archive holds them. Sources: mdeff/fma issue #8
 * ("Files (much) shorter than 30s in fma-small": the clip was cut from a wrong duration in FMA's
 * metadata) and #44 (three of them hold no audio at all); issue #49 (fma_large files that
 * ffmpeg/librosa cannot open). See also the FMA wiki's known issues.
 */
const NO_AUDIO = [99134, 108925, 133297];
const SHORT_IN_SMALL = [98565, 98567, 98569];
const WRONG_DURATION = [
  1486, 5574, 65753, 80391, 98558, 98559, 98560, 98565, 98566, 98567, 98568, 98569, 98571, 99134, 105247, 108924, 108925, 126981,
  127336, 133297, 143992,
];
const UNREADABLE_IN_LARGE = [
  2624, 3284, 8669, 10116, 11583, 12838, 13529, 14116, 14180, 20814, 22554, 23429, 23430, 23431, 25173, 25174, 25175, 25176, 25180,
  29345, 29346, 29352, 29356, 33411, 33413, 33414, 33417, 33418, 33419, 33425, 35725, 39363, 41745, 42986, 43753, 50594, 50782,
  53668, 54569, 54582, 61480, 61822, 63422, 63997, 72656, 72980, 73510, 80553, 82699, 84503, 84504, 84522, 84524, 86656, 86659,
  86661, 86664, 87057, 90244, 90245, 90247, 90248, 90250, 90252, 90253, 90442, 90445, 91206, 92479, 94052, 94234, 95253, 96203,
  96207, 96210, 98105, 98562, 101265, 101272, 101275, 102241, 102243, 102247, 102249, 102289, 106409, 106412, 106415, 106628,
  108920, 109266, 110236, 115610, 117441, 127928, 129207, 129800, 130328, 130748, 130751, 131545, 133641, 133647, 134887,
  ...Array.from({ length: 24 }, (_, i) => 140449 + i),
  142614, 144518, 144619, 145056, 146056, 147419, 147424,
  ...Array.from({ length: 10 }, (_, i) => 148786 + i),
  151920, 155051,
];

/** Why a track's mp3 in a subset's archive is known to be broken, or undefined. */
export function fmaKnownIssue(trackId: number, subset: FmaSubset): string | undefined {
  if (subset === "full") return undefined;
  if (NO_AUDIO.includes(trackId)) return "known to hold no audio (mdeff/fma#8, #44)";
  if (subset === "small" && SHORT_IN_SMALL.includes(trackId)) return "known to be much shorter than 30 s (mdeff/fma#8)";
  if (subset !== "small" && WRONG_DURATION.includes(trackId)) return "clipped from a wrong duration, may be short or empty (mdeff/fma#8)";
  if (subset === "large" && UNREADABLE_IN_LARGE.includes(trackId)) return "reported unreadable by ffmpeg/librosa (mdeff/fma#49)";
  return undefined;
}

/** `fma_small/000/000002.mp3`: where a track's audio is, relative to the dataset folder. */
export function fmaAudioPath(trackId: number, subset: FmaSubset): string {
  const tid = String(trackId).padStart(6, "0");
  return `fma_${subset}/${tid.slice(0, 3)}/${tid}.mp3`;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new DatasetError(file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * `tracks.csv` as an Arquero table of strings (empty fields null). Its three header rows become
 * one name per column, `<group>.<name>` (`set.split`, `track.genre_top`, `artist.name`), and the
 * first column `track_id`.
 */
export async function readFmaTracks(file: string): Promise<aq.ColumnTable> {
  const text = await readText(file);
  const raw = aq.fromCSV(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, { header: false, autoType: false });
  const cols = raw.columnNames();
  const header = (row: number) => cols.map((c) => (raw.numRows() > row ? ((raw.get(c, row) as string | null) ?? "") : ""));
  const [groups, names, third] = [header(0), header(1), header(2)];
  if (third[0] !== "track_id" || groups[0] !== "" || names[0] !== "") {
    throw new DatasetError(file, "not FMA's tracks.csv: expected three header rows (column group, column name, then track_id)");
  }
  const renamed = Object.fromEntries(cols.map((c, i) => [c, i === 0 ? "track_id" : `${groups[i]}.${names[i]}`]));
  return raw.slice(3).rename(renamed).reify();
}

/**
 * `features.csv` (librosa features: 518 columns under three header rows, `chroma_cens.kurtosis.01`) or
 * `echonest.csv` (`audio_features.acousticness`, `metadata.artist_name`, ...) as an Arquero table:
 * one row per track, `id` (`fma/000002`, the manifest's id) and `track_id` first, numbers as numbers.
 * The file is streamed (features.csv is 950 MB); see core/dataset/table.ts, which `clave train
 * --table` reads it with.
 */
export async function readFmaFeatures(file: string): Promise<aq.ColumnTable> {
  const table = await readTableFile(file);
  if (!table.columns.some((c) => c.name === "track_id")) throw new DatasetError(file, "not one of FMA's feature tables: expected header rows, then a track_id row");
  return aq.table(Object.fromEntries(table.columns.map((c) => [c.name, "values" in c ? c.values : c.text])));
}

/** `genres.csv` as an Arquero table: genre_id, #tracks, parent, title, top_level. */
export async function readFmaGenres(file: string): Promise<aq.ColumnTable> {
  const table = aq.fromCSV(await readText(file), { parse: { title: String } });
  for (const column of ["genre_id", "title"]) {
    if (!table.columnNames().includes(column)) throw new DatasetError(file, `not FMA's genres.csv: no ${column} column`);
  }
  return table;
}

/** The ids of a tracks.csv list cell (`[21, 811]`), in order. */
function genreIds(cell: string | null): number[] {
  return (cell ?? "").match(/\d+/g)?.map(Number) ?? [];
}

const SUBSET_ORDER: Record<string, number> = { small: 0, medium: 1, large: 2 };

const source = defineSource({
  name: "fma",
  description: "Free Music Archive (fma_metadata + fma_small/medium/large/full mp3s), with FMA's artist-filtered split.",
  params: z.object({
    path: z.string().min(1).describe("folder holding fma_metadata/ and the fma_<subset>/ audio folder"),
    subset: z.enum(FMA_SUBSETS).default("small").describe("small, medium, large or full (each contains the smaller ones)"),
    audio_dir: z.string().default("").describe("audio folder if not <path>/fma_<subset>"),
    known_bad: z.enum(["skip", "keep"]).default("skip").describe("mp3s known to be unreadable or short: report and leave out, or keep"),
  }),
  root: (p) => resolve(p.path),
  async list(p, ctx) {
    const root = resolve(p.path);
    const meta = join(root, "fma_metadata");
    const tracks = await readFmaTracks(join(meta, "tracks.csv"));
    const genreTitle = new Map<number, string>();
    try {
      const genres = await readFmaGenres(join(meta, "genres.csv"));
      const ids = genres.array("genre_id") as ArrayLike<number>;
      const titles = genres.array("title") as ArrayLike<string>;
      for (let i = 0; i < genres.numRows(); i++) genreTitle.set(Number(ids[i]), String(titles[i]));
    } catch (error) {
      ctx.problem({ path: join(meta, "genres.csv"), reason: `${(error as Error).message}; genre lists keep their ids` });
    }
    const names = (ids: number[]) => ids.map((id) => genreTitle.get(id) ?? String(id)).join("|");
    const col = (name: string) => {
      if (!tracks.columnNames().includes(name)) throw new DatasetError(join(meta, "tracks.csv"), `no ${name} column`);
      return tracks.array(name) as ArrayLike<string | null>;
    };
    const [tid, subset, split, genreTop, genres, genresAll, artistId, artistName, title, albumId] = [
      "track_id",
      "set.subset",
      "set.split",
      "track.genre_top",
      "track.genres",
      "track.genres_all",
      "artist.id",
      "artist.name",
      "track.title",
      "album.id",
    ].map(col);
    const audioDir = p.audio_dir ? resolve(root, p.audio_dir) : join(root, `fma_${p.subset}`);
    const maxOrder = p.subset === "full" ? Infinity : SUBSET_ORDER[p.subset];
    const out: Track[] = [];
    let noGenreTop = 0;
    for (let i = 0; i < tracks.numRows(); i++) {
      const id = Number(tid[i]);
      if (!Number.isInteger(id)) {
        ctx.problem({ path: join(meta, "tracks.csv"), reason: `row ${i + 4}: track_id ${JSON.stringify(tid[i])} is not an integer: skipped` });
        continue;
      }
      if (!((SUBSET_ORDER[subset[i] ?? ""] ?? Infinity) <= maxOrder)) continue;
      const rel = fmaAudioPath(id, p.subset).slice(`fma_${p.subset}/`.length);
      const file = join(audioDir, rel);
      if (!genreTop[i]) {
        noGenreTop++;
        continue;
      }
      const issue = fmaKnownIssue(id, p.subset);
      if (issue && p.known_bad === "skip") {
        ctx.problem({ path: file, reason: `${issue}: left out` });
        continue;
      }
      out.push({
        id: `fma/${String(id).padStart(6, "0")}`,
        label: genreTop[i]!,
        artist: artistName[i] ?? "",
        title: title[i] ?? "",
        path: file,
        extra: {
          track_id: id,
          artist_id: artistId[i] ?? "",
          album_id: albumId[i] ?? "",
          subset: subset[i] ?? "",
          split_fma: split[i] ?? "",
          genre_top: genreTop[i]!,
          genres: names(genreIds(genres[i])),
          genres_all: names(genreIds(genresAll[i])),
          genre_ids: genreIds(genres[i]).join("|"),
          genres_all_ids: genreIds(genresAll[i]).join("|"),
        },
      });
    }
    if (noGenreTop > 0) {
      ctx.problem({ path: join(meta, "tracks.csv"), reason: `${noGenreTop} tracks of the ${p.subset} subset have no genre_top (several root genres): left out` });
    }
    return out;
  },
});

export default source;
