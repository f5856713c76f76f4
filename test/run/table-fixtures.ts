/**
 * Feature tables shaped as Kaggle's GTZAN CSVs (the 60 columns of `features_30_sec.csv`, 3-second rows
 * named `<genre>.000NN.<k>.wav` as in `features_3_sec.csv`), from a seed: each genre's tracks scatter
 * around the genre's centre, and a track's segments around the track's, so that a split that puts a
 * track's segments on both sides scores better than one that does not.
 */
import { writeFileSync } from "node:fs";
import { formatCsv } from "../../core/dataset/csv.ts";
import { mulberry32 } from "../../core/random.ts";

const STATS = ["chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "harmony", "perceptr"];
/** GTZAN's 57 feature columns, in its order. */
export const GTZAN_FEATURE_COLUMNS = [
  ...STATS.flatMap((s) => [`${s}_mean`, `${s}_var`]),
  "tempo",
  ...Array.from({ length: 20 }, (_, i) => [`mfcc${i + 1}_mean`, `mfcc${i + 1}_var`]).flat(),
];

export interface GtzanLikeOptions {
  readonly genres?: readonly string[];
  readonly tracks?: number;
  /** Rows per track: 1 gives 30-second rows (`blues.00000.wav`), more gives 3-second rows. */
  readonly segments?: number;
  readonly seed?: number;
  /** How far apart the genres' centres are, in units of the tracks' spread. */
  readonly separation?: number;
}

/** Rows of a GTZAN-like feature table: filename, length, the 57 features, label. */
export function gtzanLikeRows(options: GtzanLikeOptions = {}): { header: string[]; rows: (string | number)[][] } {
  const genres = options.genres ?? ["blues", "classical", "jazz", "metal"];
  const tracks = options.tracks ?? 12;
  const segments = options.segments ?? 1;
  const random = mulberry32(options.seed ?? 1);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const nCols = GTZAN_FEATURE_COLUMNS.length;
  const scale = Array.from({ length: nCols }, () => 10 ** (4 * random() - 2));
  const separation = options.separation ?? 1.2;
  const centres = genres.map(() => Array.from({ length: nCols }, () => separation * normal()));
  const rows: (string | number)[][] = [];
  genres.forEach((genre, g) => {
    for (let t = 0; t < tracks; t++) {
      const track = centres[g].map((c) => c + normal());
      for (let s = 0; s < segments; s++) {
        const name = segments === 1 ? `${genre}.${String(t).padStart(5, "0")}.wav` : `${genre}.${String(t).padStart(5, "0")}.${s}.wav`;
        const values = track.map((c, j) => Number(((c + 0.3 * normal()) * scale[j]).toPrecision(7)));
        rows.push([name, segments === 1 ? 661794 : 66149, ...values, genre]);
      }
    }
  });
  return { header: ["filename", "length", ...GTZAN_FEATURE_COLUMNS, "label"], rows };
}

/** Write a GTZAN-like CSV; returns its path. */
export function writeGtzanLike(file: string, options: GtzanLikeOptions = {}): string {
  const { header, rows } = gtzanLikeRows(options);
  writeFileSync(file, formatCsv(header, rows));
  return file;
}
