/** Feature tables as datasets: CSV layouts (plain, FMA's multi-row header), keys, joins, columns, splits and folds. */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { loadTableDataset, readTableFile, tableDataset, tableFolds, tableSplit, fromArquero } from "../../core/dataset/table.ts";
import { DatasetError } from "../../core/errors.ts";
import { readFmaFeatures } from "../../plugins/sources/fma.ts";
import { tempDir } from "../helpers.ts";
import { GTZAN_FEATURE_COLUMNS, writeGtzanLike } from "../run/table-fixtures.ts";

const dir = tempDir("clave-table-");
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// The first rows of FMA's features.csv and echonest.csv, as they are laid out.
const FMA_FEATURES = file(
  "features.csv",
  "feature,chroma_cens,chroma_cens,mfcc\nstatistics,kurtosis,kurtosis,mean\nnumber,01,02,01\ntrack_id,,,\n2,7.180653,5.230309,1.5\n3,1.888963,0.760539,-2\n5,0.527563,-0.077654,3\n10,3.702245,-0.291193,0.25\n",
);
const ECHONEST = file(
  "echonest.csv",
  ",echonest,echonest,echonest,echonest\n,audio_features,audio_features,metadata,ranks\n,acousticness,danceability,artist_name,song_hotttnesss_rank\ntrack_id,,,,\n" +
    '2,0.416675,0.675894,AWOL,\n3,0.374408,0.528643,"AWOL, again",12\n10,0.0435,0.745566,Kurt Vile,5\n',
);
const TRACKS = file(
  "tracks.csv",
  ",set,set,track,artist,track\n,split,subset,genre_top,name,listens\ntrack_id,,,,,\n2,training,small,Hip-Hop,AWOL,1293\n3,test,medium,Hip-Hop,AWOL,514\n5,validation,small,,AWOL,1151\n10,training,small,Pop,Kurt Vile,50135\n",
);

describe("reading tables", () => {
  test("FMA's multi-row header: columns named by their header cells, an id per track", async () => {
    const t = await readTableFile(FMA_FEATURES);
    expect(t.columns.map((c) => c.name)).toEqual(["id", "track_id", "chroma_cens.kurtosis.01", "chroma_cens.kurtosis.02", "mfcc.mean.01"]);
    expect(t.nRows).toBe(4);
    const id = t.columns[0];
    expect("text" in id && id.text).toEqual(["fma/000002", "fma/000003", "fma/000005", "fma/000010"]);
    const col = t.columns[3];
    expect("values" in col && Array.from(col.values)).toEqual([5.230309, 0.760539, -0.077654, -0.291193]);
    expect(t.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("readFmaFeatures: FMA's feature tables as Arquero tables keyed by track", async () => {
    const table = await readFmaFeatures(ECHONEST);
    expect(table.columnNames().slice(0, 3)).toEqual(["id", "track_id", "audio_features.acousticness"]);
    expect(table.get("id", 2)).toBe("fma/000010");
    expect(table.get("audio_features.danceability", 1)).toBe(0.528643);
    await expect(readFmaFeatures(file("plain.csv", "a,b\n1,2\n"))).rejects.toThrow("not one of FMA's feature tables");
  });

  test("echonest.csv: the shared first level dropped, quoted commas kept, missing cells NaN, text columns text", async () => {
    const t = await readTableFile(ECHONEST);
    expect(t.columns.map((c) => c.name)).toEqual(["id", "track_id", "audio_features.acousticness", "audio_features.danceability", "metadata.artist_name", "ranks.song_hotttnesss_rank"]);
    const artist = t.columns[4];
    expect("text" in artist && artist.text).toEqual(["AWOL", "AWOL, again", "Kurt Vile"]);
    const rank = t.columns[5];
    expect("values" in rank && Array.from(rank.values)).toEqual([NaN, 12, 5]);
  });

  test("GTZAN file names give each row its track's id (3-second rows share it); a BOM and CRLF are read", async () => {
    const path = file("g.csv", "\ufefffilename,length,a,label\r\nblues.00000.0.wav,66149,1.5,blues\r\nblues.00000.1.wav,66149,2,blues\r\njazz.00054.0.wav,66149,3,jazz\r\n");
    const t = await readTableFile(path);
    const id = t.columns[0];
    expect(id.name).toBe("id");
    expect("text" in id && id.text).toEqual(["gtzan/blues.00000", "gtzan/blues.00000", "gtzan/jazz.00054"]);
  });

  test("quoted fields over several lines, doubled quotes", async () => {
    const path = file("q.csv", 'id,comment,x,label\na,"line one\nline ""two""",1,p\nb,plain,2,q\n');
    const t = await readTableFile(path);
    const comment = t.columns[1];
    expect("text" in comment && comment.text).toEqual(['line one\nline "two"', "plain"]);
  });

  test("bad tables are refused, naming the file and what is wrong", async () => {
    const ragged = file("ragged.csv", "a,b,label\n1,2,x\n3,y\n");
    await expect(readTableFile(ragged)).rejects.toThrow(`${ragged}: record 3 has 2 fields where the header has 3`);
    const twice = file("twice.csv", "a,a,label\n1,2,x\n");
    await expect(readTableFile(twice)).rejects.toThrow('column "a" appears twice (columns 1 and 2)');
    const open = file("open.csv", 'a,label\n1,"x\n2,y\n');
    await expect(readTableFile(open)).rejects.toThrow("a quoted field opened on line 2 is never closed");
    const empty = file("empty.csv", "a,b,label\n");
    await expect(readTableFile(empty)).rejects.toThrow(`${empty}: no data rows after the header`);
    await expect(readTableFile(join(dir, "missing.csv"))).rejects.toThrow(join(dir, "missing.csv"));
  });
});

describe("tables as datasets", () => {
  test("Kaggle's 30-second layout: the 57 feature columns, filename and length are not features", async () => {
    const path = writeGtzanLike(join(dir, "g30.csv"), { tracks: 5 });
    const data = await loadTableDataset(path);
    expect(data.columns).toEqual(GTZAN_FEATURE_COLUMNS);
    expect(data.columns).toHaveLength(57);
    expect(data.labels).toEqual(["blues", "classical", "jazz", "metal"]);
    expect(data.x.shape).toEqual([20, 57]);
    expect(data.spec.group).toBe("id");
  });

  test("FMA: features joined with tracks.csv (meta: no features) on id; label, split and where from it; rows without a label left out", async () => {
    const data = await loadTableDataset(FMA_FEATURES, { meta: TRACKS, label: "track.genre_top", split: "set.split", where: { "set.subset": ["small"] } });
    // 3 is medium, 5 has no genre_top: 2 and 10 remain.
    expect(data.tracks).toEqual(["fma/000002", "fma/000010"]);
    expect(data.labels).toEqual(["Hip-Hop", "Pop"]);
    expect(data.split).toEqual(["train", "train"]);
    expect(data.columns).toEqual(["chroma_cens.kurtosis.01", "chroma_cens.kurtosis.02", "mfcc.mean.01"]);
    expect(data.modality).toEqual([0, 0, 0]);
    expect(data.notes).toContain("1 rows without a track.genre_top: left out");
    expect(data.spec.sources.map((s) => s.name)).toEqual([FMA_FEATURES, TRACKS]);
    // Given as a feature table, tracks.csv's numbers would be features.
    const asFeatures = await loadTableDataset([FMA_FEATURES, TRACKS], { label: "track.genre_top", split: null });
    expect(asFeatures.columns).toContain("track.listens");
  });

  test("multimodal join: every table's columns, each with its modality; unmatched rows and missing columns noted", async () => {
    const data = await loadTableDataset([FMA_FEATURES, ECHONEST], { meta: [TRACKS], label: "track.genre_top", split: null });
    expect(data.tracks).toEqual(["fma/000002", "fma/000003", "fma/000010"]);
    expect(data.columns).toEqual(["chroma_cens.kurtosis.01", "chroma_cens.kurtosis.02", "mfcc.mean.01", "audio_features.acousticness", "audio_features.danceability"]);
    expect(data.modality).toEqual([0, 0, 0, 1, 1]);
    expect(data.notes.join("\n")).toContain("1 of 4 rows of");
    expect(data.notes.join("\n")).toContain("1 numeric columns with missing values left out: ranks.song_hotttnesss_rank");
    expect(Array.from(data.x.data.subarray(5, 10))).toEqual([1.888963, 0.760539, -2, 0.374408, 0.528643].map(Math.fround));
    // Asked for by name, a column with a missing value is refused.
    await expect(loadTableDataset([FMA_FEATURES, ECHONEST], { meta: TRACKS, label: "track.genre_top", columns: ["ranks.*"] })).rejects.toThrow("column ranks.song_hotttnesss_rank has a missing value");
    const some = await loadTableDataset([FMA_FEATURES, ECHONEST], { meta: TRACKS, label: "track.genre_top", columns: ["audio_features.*"], drop: ["audio_features.danceability"] });
    expect(some.columns).toEqual(["audio_features.acousticness"]);
  });

  test("a key twice in a joined table, a missing label column, a text column asked for: refused", async () => {
    const dup = file("dup.csv", "id,x\nfma/000002,1\nfma/000002,2\n");
    await expect(loadTableDataset([FMA_FEATURES, dup], { label: "x" })).rejects.toThrow('key "fma/000002" of column id is on rows 1 and 2');
    await expect(loadTableDataset(FMA_FEATURES)).rejects.toThrow('no label column "label"');
    await expect(loadTableDataset([FMA_FEATURES, ECHONEST], { meta: TRACKS, label: "track.genre_top", columns: ["metadata.artist_name"] })).rejects.toThrow("holds text, not numbers");
    await expect(loadTableDataset(FMA_FEATURES, { label: "track_id", group: "artist" })).rejects.toBeInstanceOf(DatasetError);
  });

  test("an Arquero table in memory", () => {
    const t = aq.table({ id: ["a", "b", "c", "d"], f1: [1, 2, 3, 4], f2: [0.5, 0.25, 0, null], label: ["x", "y", "x", "y"] });
    const data = tableDataset([fromArquero(t, "(table 1)")]);
    expect(data.columns).toEqual(["f1"]);
    expect(data.tracks).toEqual(["a", "b", "c", "d"]);
    expect(data.spec.sources[0].sha256).toBeNull();
  });
});

describe("splits and folds keep groups whole", () => {
  const path = writeGtzanLike(join(dir, "g3.csv"), { tracks: 10, segments: 6, seed: 3 });

  test("a 3-second table's stratified split never puts a track's segments on two sides", async () => {
    const data = await loadTableDataset(path);
    for (const seed of [0, 1, 2]) {
      const split = tableSplit(data, { seed });
      const sides = new Map<string, Set<string>>();
      split.forEach((s, i) => sides.set(data.tracks[i], (sides.get(data.tracks[i]) ?? new Set()).add(s)));
      expect([...sides.values()].every((s) => s.size === 1)).toBe(true);
      expect(split.filter((s) => s === "validation")).toHaveLength(0);
      // 80/20 of the 10 tracks of each genre.
      for (const genre of data.labels.keys()) {
        const testTracks = new Set(data.tracks.filter((t, i) => data.y[i] === genre && split[i] === "test"));
        expect(testTracks.size).toBe(2);
      }
    }
  });

  test("grouped folds never split a group, by track or by another column; each fold holds every class", async () => {
    const withArtist = file("artists.csv", "id,artist,x,label\n" + Array.from({ length: 60 }, (_, i) => `t${i},a${i % 15},${i},${["p", "q", "r"][i % 3]}`).join("\n") + "\n");
    for (const [input, group, key] of [
      [path, "track", (d: Awaited<ReturnType<typeof loadTableDataset>>, i: number) => d.tracks[i]],
      [withArtist, "artist", (d: Awaited<ReturnType<typeof loadTableDataset>>, i: number) => d.groups[i]],
    ] as const) {
      const data = await loadTableDataset(input, { group });
      for (const seed of [0, 5]) {
        const folds = tableFolds(data, 5, seed);
        const foldsOf = new Map<string, Set<number>>();
        folds.forEach((f, i) => foldsOf.set(key(data, i), (foldsOf.get(key(data, i)) ?? new Set()).add(f)));
        expect([...foldsOf.values()].every((s) => s.size === 1)).toBe(true);
        for (let f = 0; f < 5; f++) expect(new Set(folds.flatMap((g, i) => (g === f ? [data.y[i]] : []))).size).toBe(data.labels.length);
      }
    }
    const artists = await loadTableDataset(withArtist, { group: "artist" });
    expect(artists.spec.group).toBe("artist");
    expect(() => tableFolds(artists, 16)).toThrow("15 groups (artist) cannot fill 16 folds");
  });

  test("a split column is used as given", async () => {
    const path2 = file("split.csv", "id,x,label,split\na,1,p,train\nb,2,q,training\nc,3,p,test\nd,4,q,valid\ne,5,p,excluded\n");
    const data = await loadTableDataset(path2);
    expect(tableSplit(data, { seed: 9 })).toEqual(["train", "train", "test", "validation"]);
    expect(data.notes).toContain("1 rows whose split is not train/validation/test: left out");
    expect(tableSplit(await loadTableDataset(path2, { split: null }), { seed: 0 })).toHaveLength(5);
  });
});
