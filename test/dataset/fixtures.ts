/**
 * Dataset fixtures in each real layout, made by the tests themselves with the real ffmpeg: short
 * sine tones (a different pitch per file, so no two files are alike unless planted), a text file
 * posing as audio (corrupt), and planted duplicates. Nothing binary is committed.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const FFMPEG = "/usr/bin/ffmpeg";

let pitch = 0;

// Each layout is made once per test process and copied where a test wants it (tests may plant
// faults in their copy), so the suite runs ffmpeg once per fixture file.
let cacheRoot: string | undefined;
const made = new Map<string, unknown>();

function cached<T>(name: string, make: (root: string) => T): (root: string) => T {
  return (root: string) => {
    if (!cacheRoot) {
      cacheRoot = mkdtempSync(join(tmpdir(), "clave-fixtures-"));
      const dir = cacheRoot;
      process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
    }
    const source = join(cacheRoot, name);
    if (!made.has(name)) made.set(name, make(source));
    cpSync(source, root, { recursive: true });
    return made.get(name) as T;
  };
}

/** A mono sine tone of `seconds` at 22050 Hz, in the format the file's extension says (.wav, .au, .mp3). */
export function tone(file: string, seconds = 1): string {
  mkdirSync(dirname(file), { recursive: true });
  const hz = 220 + 37 * pitch++;
  const codec = file.endsWith(".au") ? ["-c:a", "pcm_s16be", "-f", "au"] : file.endsWith(".mp3") ? ["-c:a", "libmp3lame", "-b:a", "64k"] : ["-c:a", "pcm_s16le"];
  const args = ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", `sine=frequency=${hz}:sample_rate=22050:duration=${seconds}`, "-ac", "1", ...codec, file];
  const r = spawnSync(FFMPEG, args, { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")} failed: ${r.stderr}`);
  return file;
}

/** A file that is not audio at all. */
export function corrupt(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, "this is not audio\n".repeat(64));
  return file;
}

/** A byte-for-byte copy of `from` at `to`. */
export function duplicate(from: string, to: string): string {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  return to;
}

/**
 * GTZAN, original layout: genres/<genre>/<genre>.000NN.au, 2 s tones. Planted: a corrupt .au
 * (classical.00032), a duplicate under another genre (jazz.00041 = blues.00029, both in Sturm's
 * training part), a short excerpt (blues.00031, 0.5 s), an excerpt outside Sturm's split
 * (jazz.00033), a file with a non-GTZAN name, and the collection files the original archive has.
 */
function buildGtzanOriginal(root: string) {
  const g = (name: string) => join(root, "genres", name.split(".")[0], `${name}.au`);
  for (const name of [
    "blues.00000", "blues.00012", "blues.00029", "blues.00030",
    "classical.00000", "classical.00011", "classical.00030", "classical.00031",
    "jazz.00000", "jazz.00001", "jazz.00002", "jazz.00073", "jazz.00033",
  ]) tone(g(name), 2);
  tone(g("blues.00031"), 0.5);
  corrupt(g("classical.00032"));
  duplicate(g("blues.00029"), g("jazz.00041"));
  tone(join(root, "genres", "blues", "my remix.au"), 2);
  writeFileSync(join(root, "genres", "input.mf"), "blues/blues.00000.au\tblues\n");
  return {
    tracks: 15, // 17 .au excerpts named as GTZAN's, minus the corrupt one
    corrupt: "classical.00032",
    duplicate: { copy: "gtzan/jazz.00041", of: "gtzan/blues.00029" },
    short: "gtzan/blues.00031",
    excluded: "gtzan/jazz.00033",
  };
}

/**
 * GTZAN, Kaggle layout: Data/genres_original/<genre>/<genre>.000NN.wav with Kaggle's corrupt
 * jazz.00054.wav, and features_30_sec.csv / features_3_sec.csv rows for the excerpts.
 */
function buildGtzanKaggle(root: string) {
  const data = join(root, "Data");
  const names = ["blues.00000", "blues.00012", "blues.00029", "jazz.00000", "jazz.00002", "jazz.00073"];
  for (const name of names) tone(join(data, "genres_original", name.split(".")[0], `${name}.wav`), 2);
  corrupt(join(data, "genres_original", "jazz", "jazz.00054.wav"));
  const header = "filename,length,chroma_stft_mean,chroma_stft_var,tempo,label";
  const rows30 = names.map((n, i) => `${n}.wav,661794,0.${3 + i},0.08,${100 + i},${n.split(".")[0]}`);
  writeFileSync(join(data, "features_30_sec.csv"), `${header}\n${rows30.join("\n")}\n`);
  const rows3 = names.flatMap((n, i) => [0, 1, 2].map((s) => `${n}.${s}.wav,66149,0.${3 + i}${s},0.08,${100 + i},${n.split(".")[0]}`));
  writeFileSync(join(data, "features_3_sec.csv"), `${header}\n${rows3.join("\n")}\n`);
  return { data: "Data", tracks: names.length };
}

// FMA's tracks.csv columns, as in fma_metadata.zip: (group, name) pairs after track_id.
const FMA_COLUMNS: [string, string][] = [
  ...["comments", "date_created", "date_released", "engineer", "favorites", "id", "information", "listens", "producer", "tags", "title", "tracks", "type"].map(
    (n): [string, string] => ["album", n],
  ),
  ...[
    "active_year_begin", "active_year_end", "associated_labels", "bio", "comments", "date_created", "favorites", "id", "latitude",
    "location", "longitude", "members", "name", "related_projects", "tags", "website", "wikipedia_page",
  ].map((n): [string, string] => ["artist", n]),
  ["set", "split"],
  ["set", "subset"],
  ...[
    "bit_rate", "comments", "composer", "date_created", "date_recorded", "duration", "favorites", "genre_top", "genres", "genres_all",
    "information", "interest", "language_code", "license", "listens", "lyricist", "number", "publisher", "tags", "title",
  ].map((n): [string, string] => ["track", n]),
];

interface FmaRow {
  id: number;
  artistId: number;
  artist: string;
  title: string;
  split: string;
  subset: string;
  genreTop: string;
  genres: string;
  genresAll: string;
}

// Ten tracks. Artists never straddle FMA's split, as in the real data. Quoted fields hold commas,
// quotes and line breaks.
export const FMA_ROWS: FmaRow[] = [
  { id: 2, artistId: 1, artist: "AWOL", title: "Food", split: "training", subset: "small", genreTop: "Hip-Hop", genres: "[21]", genresAll: "[21]" },
  { id: 3, artistId: 1, artist: "AWOL", title: "Electric Ave", split: "training", subset: "medium", genreTop: "Hip-Hop", genres: "[21]", genresAll: "[21]" },
  { id: 5, artistId: 1, artist: "AWOL", title: "This World", split: "training", subset: "small", genreTop: "Hip-Hop", genres: "[21]", genresAll: "[21]" },
  { id: 10, artistId: 6, artist: "Kurt Vile", title: "Freeway", split: "training", subset: "small", genreTop: "Pop", genres: "[10]", genresAll: "[10]" },
  { id: 134, artistId: 1, artist: "AWOL", title: 'Street Music, "live"', split: "training", subset: "small", genreTop: "Hip-Hop", genres: "[21]", genresAll: "[21]" },
  { id: 140, artistId: 54, artist: "Alec K. Redfearn & the Eyesores", title: "Queen Of The Wires", split: "validation", subset: "small", genreTop: "Folk", genres: "[17]", genresAll: "[17]" },
  { id: 141, artistId: 54, artist: "Alec K. Redfearn & the Eyesores", title: "Ohio", split: "validation", subset: "small", genreTop: "Folk", genres: "[17]", genresAll: "[17]" },
  { id: 148, artistId: 60, artist: "Amoebic Ensemble", title: "Untitled\nwith a line break", split: "test", subset: "small", genreTop: "Pop", genres: "[10, 76]", genresAll: "[10, 76]" },
  { id: 99134, artistId: 9000, artist: "Known Bad", title: "No Audio", split: "test", subset: "small", genreTop: "Folk", genres: "[17]", genresAll: "[17]" },
  { id: 1482, artistId: 61, artist: "Several Roots", title: "Crossover", split: "training", subset: "large", genreTop: "", genres: "[10, 17]", genresAll: "[10, 17, 21]" },
];

function csvCell(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * FMA: fma_metadata/tracks.csv (FMA's three-row header, the ten rows above), genres.csv, and
 * fma_small/<000>/<000002>.mp3 tones. Planted: 000134.mp3 is corrupt; 000141.mp3 is missing;
 * 099134 is on FMA's known-bad list (no file written: it is left out before any file is read).
 */
function buildFma(root: string) {
  const meta = join(root, "fma_metadata");
  mkdirSync(meta, { recursive: true });
  const lines = [
    ["", ...FMA_COLUMNS.map(([g]) => g)].join(","),
    ["", ...FMA_COLUMNS.map(([, n]) => n)].join(","),
    ["track_id", ...FMA_COLUMNS.map(() => "")].join(","),
  ];
  for (const r of FMA_ROWS) {
    const value: Record<string, string> = {
      "album.id": "1",
      "album.title": "AWOL - A Way Of Life",
      "artist.id": String(r.artistId),
      "artist.name": r.artist,
      "artist.bio": "<p>Bio, with commas</p>",
      "set.split": r.split,
      "set.subset": r.subset,
      "track.genre_top": r.genreTop,
      "track.genres": r.genres,
      "track.genres_all": r.genresAll,
      "track.title": r.title,
      "track.duration": "168",
      "track.tags": "[]",
    };
    lines.push([String(r.id), ...FMA_COLUMNS.map(([g, n]) => csvCell(value[`${g}.${n}`] ?? ""))].join(","));
  }
  writeFileSync(join(meta, "tracks.csv"), `${lines.join("\n")}\n`);
  writeFileSync(
    join(meta, "genres.csv"),
    "genre_id,#tracks,parent,title,top_level\n10,13845,0,Pop,10\n17,12706,0,Folk,17\n21,8389,0,Hip-Hop,21\n76,1,10,Experimental Pop,10\n",
  );
  const mp3 = (id: number) => join(root, "fma_small", String(id).padStart(6, "0").slice(0, 3), `${String(id).padStart(6, "0")}.mp3`);
  for (const r of FMA_ROWS) {
    if ([134, 141, 99134, 1482].includes(r.id)) continue;
    tone(mp3(r.id), 2);
  }
  corrupt(mp3(134));
  return { small: 5, corrupt: "fma/000134", missing: "fma/000141", knownBad: 99134 };
}

/**
 * A user collection: <root>/<label>/<Artist - Title>.<ext> in wav, mp3 and au, several tracks per
 * artist. Planted: a corrupt file, and a byte copy of a track under another label.
 */
function buildFolder(root: string) {
  const files: [string, string, string][] = [];
  const artists = ["Orquesta Uno", "Conjunto Dos", "Sexteto Tres"];
  let n = 0;
  for (const label of ["son", "timba", "bolero"]) {
    for (const artist of artists) {
      for (let k = 0; k < 2; k++) {
        const ext = ["wav", "mp3", "au"][n++ % 3];
        files.push([label, artist, tone(join(root, label, `${artist} - ${label} ${k}.${ext}`), 1)]);
      }
    }
  }
  corrupt(join(root, "son", "Broken Band - Bad File.wav"));
  const copy = duplicate(join(root, "son", "Orquesta Uno - son 0.wav"), join(root, "timba", "Copy Cat - Same Song.wav"));
  return { tracks: files.length + 1, corrupt: "son/Broken Band - Bad File", duplicate: { copy: "timba/Copy Cat - Same Song", of: "son/Orquesta Uno - son 0" }, copy };
}

export const makeGtzanOriginal = cached("gtzan-original", buildGtzanOriginal);
export const makeGtzanKaggle = cached("gtzan-kaggle", buildGtzanKaggle);
export const makeFma = cached("fma", buildFma);
export const makeFolder = cached("folder", buildFolder);
