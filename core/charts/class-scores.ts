/**
 * Precision, recall and F1 of each class as grouped bars, with the macro F1 as a rule. Takes an
 * evaluation's scores: `classScoresChart(evaluation.segment.perClass, evaluation.labels)`.
 */
import type { ClassScores } from "../metrics/classification.ts";
import { Chart } from "./chart.ts";
import { ChartError, checkLabels, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export type ClassScoreName = "precision" | "recall" | "f1";

export interface ClassScoresOptions extends ChartOptions {
  /** Scores to draw, in this order (default precision, recall, F1). */
  readonly scores?: readonly ClassScoreName[];
  /** Draw the macro F1 (mean over classes) as a dashed rule (default true). */
  readonly macro?: boolean;
}

const KIND = "class scores";
const defaults = { height: 220, step: 14, minWidth: 260 };
const SCORE_TITLES: Record<ClassScoreName, string> = { precision: "precision", recall: "recall", f1: "F1" };

/** Per-class scores (one per label, in class-index order) with the class labels. */
export function classScoresChart(perClass: readonly ClassScores[], labels: readonly string[], options: ClassScoresOptions = {}): Chart {
  if (perClass.length === 0) throw new ChartError(KIND, "there are no classes");
  checkLabels(KIND, labels, perClass.length);
  const scores = options.scores ?? (["precision", "recall", "f1"] as const);
  for (const s of scores) if (!(s in SCORE_TITLES)) throw new ChartError(KIND, `unknown score ${JSON.stringify(s)} (precision, recall or f1)`);
  // The support goes into the axis label: a low score on 3 examples reads differently from one on 300.
  const names = perClass.map((c, i) => `${labels[i]} (n=${c.support})`);
  const values: Datum[] = [];
  perClass.forEach((c, i) => {
    for (const s of scores) {
      const v = c[s];
      if (!(Number.isFinite(v) && v >= 0 && v <= 1)) throw new ChartError(KIND, `${s} of ${JSON.stringify(labels[i])} is ${v}, not in [0, 1]`);
      values.push({ class: names[i], label: labels[i], score: SCORE_TITLES[s], value: round(v), support: c.support });
    }
  });
  const macroF1 = perClass.reduce((sum, c) => sum + c.f1, 0) / perClass.length;
  const order = scores.map((s) => SCORE_TITLES[s]);
  const layers: Json[] = [
    {
      mark: { type: "bar" },
      encoding: {
        x: { field: "class", type: "nominal", sort: names, title: null, axis: { labelAngle: -40, labelAlign: "right" } },
        xOffset: { field: "score", type: "nominal", sort: order },
        y: { field: "value", type: "quantitative", title: "Score", scale: { domain: [0, 1] } },
        color: { field: "score", type: "nominal", title: null, sort: order, scale: { domain: order, scheme: options.scheme ?? "tableau10" }, legend: { orient: "top" } },
        tooltip: [{ field: "label" }, { field: "score" }, { field: "value", type: "quantitative", format: ".3f" }, { field: "support", type: "quantitative" }],
      },
    },
  ];
  if (options.macro ?? true) {
    // Its own one-row data: a layer inheriting the bars' rows would draw the rule once per row.
    const macro = { values: [{ macro_f1: round(macroF1), text: `macro F1\n${macroF1.toFixed(3)}` }] };
    const y = { field: "macro_f1", type: "quantitative" };
    layers.push(
      { data: macro, mark: { type: "rule", color: "#333", strokeDash: [5, 3] }, encoding: { y } },
      {
        data: macro,
        // Right of the plot, where no bar can be under it (the legend is on top).
        mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 10, color: "#333", lineBreak: "\n" },
        encoding: { y, x: { value: { expr: "width" } }, text: { field: "text" } },
      },
    );
  }
  return new Chart(KIND, {
    ...frame(options, "Per-class scores"),
    width: size(KIND, "width", options.width, Math.max(defaults.minWidth, labels.length * (scores.length * defaults.step + 14))),
    height: size(KIND, "height", options.height, defaults.height),
    data: { values },
    layer: layers,
  });
}
