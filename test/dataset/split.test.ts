import { describe, expect, test } from "bun:test";
import { ndarray } from "../../core/ndarray.ts";
import { mulberry32, shuffled } from "../../core/random.ts";
import { EXCLUDED, type Manifest, type ManifestRow } from "../../core/dataset/manifest.ts";
import { applyNormalization, fitNormalization } from "../../core/dataset/normalize.ts";
import { applySplit, findLeaks, kfold, normaliseSplitName, splitOfSegments, stratifiedSplit } from "../../core/dataset/split.ts";
import { segmentSignal } from "../../core/audio/index.ts";
import { sturmSplit } from "../../plugins/sources/gtzan-sturm-split.ts";

function row(id: string, label: string, artist = "", hash = "", extra: Record<string, string> = {}): ManifestRow {
  return { id, label, artist, title: "", source: "test", path: `${id}.wav`, hash, duration_s: 1, sr: 22050, split: "", extra };
}

function manifestOf(rows: ManifestRow[], extraColumns: string[] = []): Manifest {
  return { root: "/data", rows, extraColumns };
}

const count = (splits: string[], rows: ManifestRow[], label: string, split: string) =>
  rows.filter((r, i) => r.label === label && splits[i] === split).length;

/** 3 labels x 100 tracks, no artists. */
const byTrack = ["a", "b", "c"].flatMap((label) => Array.from({ length: 100 }, (_, i) => row(`${label}/${i}`, label)));

/** 40 artists with 2–8 tracks each, most in one label, some in two. */
function withArtists(seed: number): ManifestRow[] {
  const rand = mulberry32(seed);
  const rows: ManifestRow[] = [];
  for (let a = 0; a < 40; a++) {
    const main = ["a", "b", "c"][a % 3];
    const n = 2 + Math.floor(rand() * 7);
    for (let k = 0; k < n; k++) rows.push(row(`t${a}-${k}`, rand() < 0.85 ? main : ["a", "b", "c"][(a + 1) % 3], `Artist ${a}`));
  }
  return rows;
}

describe("stratified split", () => {
  test("by track: each label splits 80/10/10 exactly when the counts allow", () => {
    const splits = stratifiedSplit(byTrack, { seed: 1 });
    for (const label of ["a", "b", "c"]) {
      expect([count(splits, byTrack, label, "train"), count(splits, byTrack, label, "validation"), count(splits, byTrack, label, "test")]).toEqual([80, 10, 10]);
    }
  });

  test("reproducible from the seed, independent of row order; another seed gives another split", () => {
    const a = stratifiedSplit(byTrack, { seed: 7 });
    expect(stratifiedSplit(byTrack, { seed: 7 })).toEqual(a);
    const order = shuffled(byTrack, 99);
    const b = stratifiedSplit(order, { seed: 7 });
    const byId = new Map(order.map((r, i) => [r.id, b[i]]));
    expect(byTrack.map((r) => byId.get(r.id))).toEqual(a);
    expect(stratifiedSplit(byTrack, { seed: 8 })).not.toEqual(a);
  });

  test("custom ratios, and a part with ratio 0 gets nothing", () => {
    const splits = stratifiedSplit(byTrack, { ratios: [70, 30, 0], seed: 2 });
    expect(splits.filter((s) => s === "test")).toHaveLength(0);
    expect(count(splits, byTrack, "a", "validation")).toBe(30);
  });

  test("by artist: no artist on two sides, for many seeds, and the parts stay near their ratios", () => {
    for (let seed = 0; seed < 20; seed++) {
      const rows = withArtists(seed);
      const splits = stratifiedSplit(rows, { seed });
      const leaks = findLeaks(rows.map((r, i) => ({ ...r, split: splits[i] })));
      expect(leaks).toEqual([]);
      const train = splits.filter((s) => s === "train").length / rows.length;
      expect(train).toBeGreaterThan(0.65);
      expect(train).toBeLessThan(0.92);
      expect(splits).toContain("test");
    }
  });

  test("copies of the same audio (same hash) are kept together even under different artists and labels", () => {
    const rows = byTrack.map((r, i) => (i % 10 === 0 ? { ...r, hash: `h${i % 30}` } : r));
    for (let seed = 0; seed < 10; seed++) {
      const splits = stratifiedSplit(rows, { seed });
      expect(findLeaks(rows.map((r, i) => ({ ...r, split: splits[i] }))).filter((l) => l.kind === "content")).toEqual([]);
    }
  });

  test("k-fold: k folds of near-equal size per label, artists never in two folds", () => {
    const rows = withArtists(3);
    const folds = kfold(rows, 5, { seed: 3 });
    expect(new Set(folds)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(findLeaks(rows.map((r, i) => ({ ...r, extra: { fold: String(folds[i]) } })), "fold")).toEqual([]);
    const perFold = [0, 1, 2, 3, 4].map((f) => folds.filter((x) => x === f).length);
    expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThan(rows.length / 5);
    const trackFolds = kfold(byTrack, 4, { seed: 1 });
    for (let f = 0; f < 4; f++) expect(count(trackFolds.map(String), byTrack, "a", String(f))).toBe(25);
    expect(() => kfold(byTrack, 1)).toThrow("k >= 2");
  });
});

describe("applySplit", () => {
  const rows = [row("g/blues.00029", "blues", "", "", { split_sturm: "train" }), row("g/blues.00000", "blues", "", "", { split_sturm: "validation" }), row("g/jazz.00033", "jazz", "", "", { split_sturm: "excluded" })];

  test("auto uses the one published split the manifest carries; excluded rows stay out of a later stratified split", () => {
    const m = applySplit(manifestOf(rows, ["split_sturm"]));
    expect(m.rows.map((r) => r.split)).toEqual(["train", "validation", EXCLUDED]);
    const again = applySplit(m, "stratified", { ratios: [1, 0, 0] });
    expect(again.rows.map((r) => r.split)).toEqual(["train", "train", EXCLUDED]);
    expect(applySplit(m, "stratified", { ratios: [1, 0, 0], includeExcluded: true }).rows[2].split).toBe("train");
    expect(applySplit(manifestOf(rows.slice(0, 2), [])).rows.every((r) => r.split !== "")).toBe(true);
  });

  test("an unknown published split is refused, naming the ones there are", () => {
    expect(() => applySplit(manifestOf(rows, ["split_sturm"]), "fma")).toThrow('no published split named "fma" in this manifest (it has: sturm');
  });

  test("published split names in clave's words", () => {
    expect(["training", "valid", "val", "testing", "TEST", "", "other"].map(normaliseSplitName)).toEqual(["train", "validation", "validation", "test", "test", EXCLUDED, EXCLUDED]);
  });

  test("--kfold adds a fold column", () => {
    const m = applySplit(manifestOf(byTrack.slice(0, 30)), "stratified", { kfold: 3 });
    expect(m.extraColumns).toContain("fold");
    expect(new Set(m.rows.map((r) => r.extra.fold))).toEqual(new Set(["0", "1", "2"]));
  });
});

describe("leaks", () => {
  test("findLeaks reports a track, an artist and an audio content on two sides", () => {
    const rows: ManifestRow[] = [
      { ...row("1", "a", "X"), split: "train" },
      { ...row("2", "a", "x "), split: "test" },
      { ...row("3", "b", "", "same"), split: "train" },
      { ...row("4", "b", "", "same"), split: "validation" },
      { ...row("5", "b"), split: "train" },
      { ...row("5", "b"), split: "test" },
      { ...row("6", "b", "X"), split: EXCLUDED },
    ];
    const leaks = findLeaks(rows);
    expect(leaks.map((l) => [l.kind, l.parts, l.ids])).toEqual([
      ["track", ["test", "train"], ["5", "5"]],
      ["artist", ["test", "train"], ["1", "2"]],
      ["content", ["train", "validation"], ["3", "4"]],
    ]);
  });

  test("segments inherit their track's split", () => {
    const rows: ManifestRow[] = [{ ...row("t1", "a"), split: "train" }, { ...row("t2", "a"), split: "test" }];
    const y = new Float32Array(22050 * 3);
    const segments = [...segmentSignal({ y, sr: 22050 }, "t1", { duration: 1 }), ...segmentSignal({ y, sr: 22050 }, "t2", { duration: 1 })];
    expect(splitOfSegments(segments, rows)).toEqual(["train", "train", "train", "test", "test", "test"]);
    expect(() => splitOfSegments([{ trackId: "t3" }], rows)).toThrow('segment 0: track "t3" is not in the manifest');
  });
});

describe("Sturm's fault-filtered GTZAN split", () => {
  test("443 training, 197 validation, 290 test excerpts, disjoint, 70 of the 1000 in none", () => {
    const split = sturmSplit();
    const counts = { train: 0, validation: 0, test: 0 };
    for (const s of split.values()) counts[s]++;
    expect(counts).toEqual({ train: 443, validation: 197, test: 290 });
    expect(split.size).toBe(930);
    for (const name of split.keys()) expect(name).toMatch(/^(blues|classical|country|disco|hiphop|jazz|metal|pop|reggae|rock)\.000\d\d$/);
    expect(split.get("jazz.00054")).toBe("train");
    expect(split.get("reggae.00013")).toBeUndefined();
  });
});

describe("normalisation statistics come from the training part only", () => {
  test("changing validation or test examples leaves them unchanged; changing a training example does not", () => {
    // [n=4, features=2, frames=3]
    const data = Float32Array.from({ length: 24 }, (_, i) => (i * 7) % 11);
    const splits = ["train", "test", "train", "validation"];
    const stats = fitNormalization(ndarray(data, [4, 2, 3]), splits);
    const other = data.slice();
    for (let k = 6; k < 12; k++) other[k] = 1000;
    for (let k = 18; k < 24; k++) other[k] = -5;
    expect(fitNormalization(ndarray(other, [4, 2, 3]), splits)).toEqual(stats);
    const changed = data.slice();
    changed[0] = 99;
    expect(fitNormalization(ndarray(changed, [4, 2, 3]), splits).mean[0]).not.toBe(stats.mean[0]);
    // Feature 0 of the training examples: elements 0..2 and 12..14.
    const f0 = [0, 1, 2, 12, 13, 14].map((k) => data[k]);
    const mean = f0.reduce((a, b) => a + b, 0) / 6;
    expect(stats.mean[0]).toBeCloseTo(mean, 12);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(f0.reduce((a, b) => a + (b - mean) ** 2, 0) / 6), 12);
    const z = applyNormalization(ndarray(data, [4, 2, 3]), stats);
    const trainF0 = [0, 1, 2, 12, 13, 14].map((k) => z.data[k]);
    expect(trainF0.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
    expect(() => fitNormalization(ndarray(data, [4, 2, 3]), ["test", "test", "test", "test"])).toThrow('no example is in the "train" part');
  });
});
