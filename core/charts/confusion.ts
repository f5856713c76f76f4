/**
 * The confusion matrix as a heatmap, rows true class and columns predicted class (as
 * `sklearn.metrics.ConfusionMatrixDisplay` draws it), with each cell's value written in it.
 * Takes an evaluation's counts: `confusionChart(evaluation.segment.confusion, evaluation.labels)`.
 */
import { normalizeRows } from "../metrics/confusion.ts";
import { ndarray } from "../ndarray.ts";
import { Chart } from "./chart.ts";
import { ChartError, checkLabels, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export interface ConfusionChartOptions extends ChartOptions {
  /** Colour and write each row's fractions (`normalize="true"`) instead of counts (default false). */
  readonly normalize?: boolean;
  /** Write the value in each cell (default: when there are at most 30 classes). */
  readonly cellText?: boolean;
}

const KIND = "confusion matrix";
const defaults = { scheme: "blues", cell: 44, minSide: 220, maxSide: 640, maxTextClasses: 30 };

/** Counts `[k][k]` (rows true class) with the `k` class labels. */
export function confusionChart(
  counts: readonly (readonly number[])[],
  labels: readonly string[],
  options: ConfusionChartOptions = {},
): Chart {
  const k = counts.length;
  if (k === 0) throw new ChartError(KIND, "the matrix has no rows");
  checkLabels(KIND, labels, k);
  const flat = new Float64Array(k * k);
  counts.forEach((row, i) => {
    if (row.length !== k) throw new ChartError(KIND, `row ${i} has ${row.length} columns, expected ${k} (a square matrix)`);
    row.forEach((c, j) => {
      if (!(Number.isFinite(c) && c >= 0)) throw new ChartError(KIND, `cell [${i}][${j}] = ${c} is not a non-negative count`);
      flat[i * k + j] = c;
    });
  });
  const normalize = options.normalize ?? false;
  const fractions = normalizeRows(ndarray(flat, [k, k])).data;
  const values: Datum[] = [];
  let max = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const value = normalize ? fractions[i * k + j] : flat[i * k + j];
      max = Math.max(max, value);
      values.push({
        true_label: labels[i],
        predicted_label: labels[j],
        count: flat[i * k + j],
        fraction: round(fractions[i * k + j]),
        value: round(value),
        text: normalize ? fractions[i * k + j].toFixed(2) : String(flat[i * k + j]),
      });
    }
  }
  const side = Math.min(defaults.maxSide, Math.max(defaults.minSide, k * defaults.cell));
  const width = size(KIND, "width", options.width, side);
  const height = size(KIND, "height", options.height, side);
  const domainMax = normalize ? 1 : Math.max(1, max);
  const fontSize = Math.max(7, Math.min(13, Math.min(width, height) / k / 3));
  const layers: Json[] = [
    {
      mark: { type: "rect" },
      encoding: {
        color: {
          field: "value",
          type: "quantitative",
          title: normalize ? "fraction of row" : "count",
          scale: { scheme: options.scheme ?? defaults.scheme, domain: [0, domainMax] },
        },
        tooltip: [
          { field: "true_label", title: "true" },
          { field: "predicted_label", title: "predicted" },
          { field: "count", type: "quantitative" },
          { field: "fraction", type: "quantitative", format: ".2f" },
        ],
      },
    },
  ];
  if (options.cellText ?? k <= defaults.maxTextClasses) {
    layers.push({
      mark: { type: "text", fontSize, baseline: "middle" },
      encoding: {
        text: { field: "text", type: "nominal" },
        color: { condition: { test: `datum.value > ${domainMax / 2}`, value: "white" }, value: "black" },
      },
    });
  }
  return new Chart(KIND, {
    ...frame(options, normalize ? "Confusion matrix (row-normalised)" : "Confusion matrix"),
    width,
    height,
    data: { values },
    encoding: {
      x: { field: "predicted_label", type: "nominal", sort: [...labels], title: "Predicted label", axis: { labelAngle: -40, labelAlign: "right" } },
      y: { field: "true_label", type: "nominal", sort: [...labels], title: "True label" },
    },
    layer: layers,
  });
}
