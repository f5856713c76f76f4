import { describe, expect, test } from "bun:test";
import { ChartError } from "../../core/errors.ts";
import { confusionChart } from "../../core/charts/index.ts";
import { confusionMatrix } from "../../core/metrics/confusion.ts";
import { mulberry32 } from "../../core/random.ts";
import { python } from "../helpers.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

const LABELS = ["blues", "classical", "country", "disco", "hiphop"];

/** Predictions of a mediocre classifier, class 4 never predicted (its column stays zero). */
function predictions(n: number) {
  const random = mulberry32(11);
  const yTrue = Int32Array.from({ length: n }, () => Math.floor(random() * LABELS.length));
  const yPred = yTrue.map((y) => (random() < 0.6 ? Math.min(y, 3) : Math.floor(random() * 4)));
  return { yTrue, yPred };
}

function matrix(yTrue: Int32Array, yPred: Int32Array): number[][] {
  const cm = confusionMatrix(yTrue, yPred, LABELS.length);
  return LABELS.map((_, i) => Array.from(cm.data.subarray(i * LABELS.length, (i + 1) * LABELS.length)));
}

describe("confusion matrix chart", () => {
  const { yTrue, yPred } = predictions(300);
  const counts = matrix(yTrue, yPred);

  test("one cell per (true, predicted) pair with the counts, labels in class order on both axes", () => {
    const chart = confusionChart(counts, LABELS);
    const rows = rowsOf(chart);
    expect(rows.length).toBe(LABELS.length ** 2);
    for (const row of rows) {
      const i = LABELS.indexOf(row.true_label as string);
      const j = LABELS.indexOf(row.predicted_label as string);
      expect(row.count).toBe(counts[i][j]);
      expect(row.value).toBe(counts[i][j]);
      expect(row.text).toBe(String(counts[i][j]));
    }
    expect(at(chart.spec, "encoding", "x", "field")).toBe("predicted_label");
    expect(at(chart.spec, "encoding", "y", "field")).toBe("true_label");
    expect(at(chart.spec, "encoding", "x", "sort")).toEqual(LABELS);
    expect(at(chart.spec, "encoding", "y", "sort")).toEqual(LABELS);
    expect(at(chart.spec, "layer", 0, "mark", "type")).toBe("rect");
    expect(at(chart.spec, "layer", 0, "encoding", "color", "field")).toBe("value");
    expect(at(chart.spec, "layer", 1, "mark", "type")).toBe("text");
    expect(at(chart.spec, "layer", 1, "encoding", "text", "field")).toBe("text");
  });

  test("row-normalised fractions are scikit-learn's confusion_matrix(normalize='true')", () => {
    const chart = confusionChart(counts, LABELS, { normalize: true });
    const sklearn = JSON.parse(
      python(`
import json
from sklearn.metrics import confusion_matrix
y_true = ${JSON.stringify([...yTrue])}
y_pred = ${JSON.stringify([...yPred])}
print(json.dumps(confusion_matrix(y_true, y_pred, labels=list(range(${LABELS.length})), normalize="true").tolist()))`),
    ) as number[][];
    for (const row of rowsOf(chart)) {
      const expected = sklearn[LABELS.indexOf(row.true_label as string)][LABELS.indexOf(row.predicted_label as string)];
      expect(row.value as number).toBeCloseTo(expected, 3);
      expect(row.text).toBe(expected.toFixed(2));
    }
    expect(at(chart.spec, "layer", 0, "encoding", "color", "scale", "domain")).toEqual([0, 1]);
  });

  test("a class with no examples keeps a row of zeros, not NaN", () => {
    const withEmpty = [...counts.slice(0, 4), [0, 0, 0, 0, 0]];
    const rows = rowsOf(confusionChart(withEmpty, LABELS, { normalize: true })).filter((r) => r.true_label === "hiphop");
    expect(rows.map((r) => r.value)).toEqual([0, 0, 0, 0, 0]);
  });

  test("renders: labels, counts and titles in the SVG, a PNG with colour", async () => {
    const biggest = Math.max(...counts.flat());
    await expectRenders(confusionChart(counts, LABELS), [...LABELS, String(biggest), "Predicted label", "True label", "Confusion matrix"]);
  });

  test("refuses a matrix that is not square, labels that do not match, counts that are not counts", () => {
    expect(() => confusionChart([[1, 2], [3]], ["a", "b"])).toThrow(/row 1 has 1 columns, expected 2/);
    expect(() => confusionChart([[1, 2], [3, 4]], ["a"])).toThrow(/1 labels for 2 classes/);
    expect(() => confusionChart([[1, 2], [3, 4]], ["a", "a"])).toThrow(/"a" appears twice/);
    expect(() => confusionChart([[1, -2], [3, 4]], ["a", "b"])).toThrow(ChartError);
    expect(() => confusionChart([[1, NaN], [3, 4]], ["a", "b"])).toThrow(/cell \[0\]\[1\] = NaN/);
    expect(() => confusionChart([], [])).toThrow(/no rows/);
  });
});
