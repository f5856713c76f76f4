/** Charts of a dataset and an evaluation: class balance per split, per-class scores. */
import { describe, expect, test } from "bun:test";
import { classBalanceChart, classScoresChart } from "../../core/charts/index.ts";
import { parseManifest } from "../../core/dataset/manifest.ts";
import { applySplit } from "../../core/dataset/split.ts";
import { classificationScores } from "../../core/metrics/classification.ts";
import { mulberry32 } from "../../core/random.ts";
import { python } from "../helpers.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

const GENRES = ["blues", "jazz", "salsa", "son"];

/** A manifest as the CSV parser reads it, split by the real stratified splitter; one track excluded. */
function splitManifest() {
  const header = "id,label,artist,title,source,path,hash,duration_s,sr,split";
  const lines = [header];
  GENRES.forEach((genre, g) => {
    for (let i = 0; i < 12 + 6 * g; i++) lines.push(`folder/${genre}/${i},${genre},artist ${genre} ${i % 10},,folder,${genre}/${i}.wav,,30,22050,${genre === "son" && i === 0 ? "excluded" : ""}`);
  });
  return applySplit(parseManifest(lines.join("\n"), "/data/manifest.csv"), "stratified", { seed: 7 });
}

describe("class balance per split", () => {
  const manifest = splitManifest();

  test("grouped: one bar per label and split with the manifest's counts", async () => {
    const chart = classBalanceChart(manifest.rows);
    const rows = rowsOf(chart);
    for (const genre of GENRES) {
      for (const split of ["train", "validation", "test", "excluded"]) {
        const expected = manifest.rows.filter((r) => r.label === genre && r.split === split).length;
        const splitSize = manifest.rows.filter((r) => r.split === split).length;
        const row = rows.find((r) => r.label === genre && r.split === split)!;
        expect(row.count).toBe(expected);
        expect(row.fraction as number).toBeCloseTo(expected / splitSize, 12);
      }
    }
    expect(rows.reduce((n, r) => n + (r.count as number), 0)).toBe(manifest.rows.length);
    expect(at(chart.spec, "mark", "type")).toBe("bar");
    expect(at(chart.spec, "encoding", "x", "field")).toBe("label");
    expect(at(chart.spec, "encoding", "xOffset", "field")).toBe("split");
    expect(at(chart.spec, "encoding", "y", "field")).toBe("count");
    expect(at(chart.spec, "encoding", "color", "scale", "domain")).toEqual(["train", "validation", "test", "excluded"]);
    await expectRenders(chart, [...GENRES, "train", "validation", "test", "excluded", "Tracks"]);
  });

  test("normalised and stacked variants; unsplit rows are named", async () => {
    const fraction = classBalanceChart(manifest.rows, { normalize: true });
    expect(at(fraction.spec, "encoding", "y", "field")).toBe("fraction");
    const stacked = classBalanceChart(manifest.rows, { mode: "stacked" });
    expect(at(stacked.spec, "encoding", "xOffset")).toBeUndefined();
    expect(at(stacked.spec, "encoding", "y", "stack")).toBe("zero");
    expect(at(classBalanceChart(manifest.rows, { mode: "stacked", normalize: true }).spec, "encoding", "y", "stack")).toBe("normalize");
    await expectRenders(stacked, ["son", "train"]);
    const unsplit = rowsOf(classBalanceChart([{ label: "a", split: "" }, { label: "b", split: "train" }]));
    expect(unsplit.map((r) => [r.label, r.split, r.count])).toEqual([
      ["a", "train", 0],
      ["a", "unsplit", 1],
      ["b", "train", 1],
      ["b", "unsplit", 0],
    ]);
  });

  test("refuses no rows, a row without a label, a label missing from the given order", () => {
    expect(() => classBalanceChart([])).toThrow(/no rows/);
    expect(() => classBalanceChart([{ label: "", split: "train" }])).toThrow(/row 0 has no label/);
    expect(() => classBalanceChart([{ label: "a", split: "train" }], { labels: ["b"] })).toThrow(/"a" is in the rows but not in options.labels/);
  });
});

describe("per-class precision, recall and F1", () => {
  const random = mulberry32(5);
  const yTrue = Int32Array.from({ length: 240 }, () => Math.floor(random() * GENRES.length));
  const yPred = yTrue.map((y) => (random() < 0.7 ? y : Math.floor(random() * GENRES.length)));
  const scores = classificationScores(yTrue, yPred, GENRES.length);

  test("grouped bars of scikit-learn's per-class scores, support in the labels, the macro F1 rule", async () => {
    const chart = classScoresChart(scores.perClass, GENRES);
    const sklearn = JSON.parse(
      python(`
import json
from sklearn.metrics import precision_recall_fscore_support
p, r, f, s = precision_recall_fscore_support(${JSON.stringify([...yTrue])}, ${JSON.stringify([...yPred])}, zero_division=0)
print(json.dumps({"precision": p.tolist(), "recall": r.tolist(), "F1": f.tolist(), "support": s.tolist()}))`),
    ) as Record<string, number[]>;
    const rows = rowsOf(chart);
    expect(rows.length).toBe(GENRES.length * 3);
    for (const row of rows) {
      const i = GENRES.indexOf(row.label as string);
      expect(row.value as number).toBeCloseTo(sklearn[row.score as string][i], 3);
      expect(row.class).toBe(`${GENRES[i]} (n=${sklearn.support[i]})`);
    }
    const [bars, rule, text] = at(chart.spec, "layer");
    expect(bars.mark.type).toBe("bar");
    expect(bars.encoding.xOffset.field).toBe("score");
    expect(bars.encoding.y.scale.domain).toEqual([0, 1]);
    expect(rule.mark.type).toBe("rule");
    expect(rule.data.values[0].macro_f1).toBeCloseTo(scores.macroF1, 3);
    expect(text.data.values[0].text).toBe(`macro F1\n${scores.macroF1.toFixed(3)}`);
    await expectRenders(chart, [`blues (n=${sklearn.support[0]})`, "precision", "recall", "F1", "Score"]);
  });

  test("chosen scores only; refuses mismatched labels and scores out of [0, 1]", () => {
    const f1 = classScoresChart(scores.perClass, GENRES, { scores: ["f1"], macro: false });
    expect(new Set(rowsOf(f1).map((r) => r.score))).toEqual(new Set(["F1"]));
    expect(at(f1.spec, "layer").length).toBe(1);
    expect(() => classScoresChart(scores.perClass, GENRES.slice(1))).toThrow(/3 labels for 4 classes/);
    expect(() => classScoresChart([{ precision: 1.5, recall: 0, f1: 0, support: 1 }], ["a"])).toThrow(/precision of "a" is 1.5/);
    expect(() => classScoresChart(scores.perClass, GENRES, { scores: ["auc" as never] })).toThrow(/unknown score "auc"/);
  });
});
