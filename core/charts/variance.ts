/**
 * A scree plot: each principal component's share of the variance as a bar, and the running total as
 * a line (scikit-learn's `explained_variance_ratio_` and its cumulative sum).
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

const KIND = "explained variance";
const defaults = { height: 220, step: 28, minWidth: 300 };

/** Bars of `ratios` (each in [0, 1]) with their cumulative sum, components named PC1, PC2, ... */
export function explainedVarianceChart(ratios: readonly number[], options: ChartOptions = {}): Chart {
  if (ratios.length === 0) throw new ChartError(KIND, "there are no components");
  const values: Datum[] = [];
  let total = 0;
  ratios.forEach((r, i) => {
    if (!(Number.isFinite(r) && r >= 0 && r <= 1 + 1e-9)) throw new ChartError(KIND, `component ${i + 1}'s share ${r} is not in [0, 1]`);
    total += r;
    values.push({ component: `PC${i + 1}`, ratio: round(r, 5), cumulative: round(Math.min(1, total), 5) });
  });
  const names = values.map((v) => v.component as string);
  const x = { field: "component", type: "nominal", sort: names, title: null, axis: { labelAngle: 0 } };
  const y = { type: "quantitative", scale: { domain: [0, 1] }, axis: { format: ".0%" } };
  const layers: Json[] = [
    { mark: { type: "bar", color: "#4c78a8" }, encoding: { x, y: { ...y, field: "ratio", title: "share of variance" }, tooltip: [{ field: "component" }, { field: "ratio", format: ".1%", type: "quantitative" }] } },
    { mark: { type: "line", color: "#e45756", point: { color: "#e45756" } }, encoding: { x, y: { ...y, field: "cumulative" }, tooltip: [{ field: "component" }, { field: "cumulative", format: ".1%", type: "quantitative" }] } },
  ];
  return new Chart(KIND, {
    ...frame(options, "Explained variance (line: cumulative)"),
    width: size(KIND, "width", options.width, Math.max(defaults.minWidth, ratios.length * defaults.step)),
    height: size(KIND, "height", options.height, defaults.height),
    data: { values },
    layer: layers,
  });
}
