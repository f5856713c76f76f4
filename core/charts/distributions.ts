/**
 * Distributions of features per label as box plots, one panel per feature: the box spans the
 * quartiles (numpy's linear interpolation), the line in it is the median, the whiskers reach the most
 * extreme values within 1.5 IQR of the box (Tukey, matplotlib's default) and points beyond them are
 * drawn one by one. The statistics are computed here, so the spec holds a handful of numbers per box
 * rather than every example.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";
import { featureColumns, featureNames, type FeatureTable } from "./table.ts";

export interface DistributionsOptions extends ChartOptions {
  /** One name per feature column (default f0, f1, ...). */
  readonly featureNames?: readonly string[];
  /** Features to draw, by name or column index (default the first `maxFeatures`). */
  readonly features?: readonly (string | number)[];
  /** Without `features`, draw at most this many (default 12). */
  readonly maxFeatures?: number;
  /** Panels per row (default 4). */
  readonly columns?: number;
  /** Label order (default alphabetical). */
  readonly labels?: readonly string[];
}

/** Tukey's box of one group of values. */
export interface BoxStats {
  readonly n: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  /** Whisker ends: the most extreme values within 1.5 IQR of the box. */
  readonly low: number;
  readonly high: number;
  /** Values beyond the whiskers. */
  readonly outliers: number[];
}

const KIND = "feature distributions";
const defaults = { maxFeatures: 12, columns: 4, height: 160, step: 22, minWidth: 160 };

/** `numpy.percentile(sorted, p)` with the default linear interpolation. */
function quantile(sorted: Float64Array, p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quartiles, whiskers and outliers of `values` (not empty). */
export function boxStats(values: ArrayLike<number>): BoxStats {
  const sorted = Float64Array.from(values).sort();
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const reach = 1.5 * (q3 - q1);
  let low = q1;
  let high = q3;
  const outliers: number[] = [];
  for (const v of sorted) {
    if (v < q1 - reach || v > q3 + reach) outliers.push(v);
    else {
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  return { n: sorted.length, q1, median: quantile(sorted, 0.5), q3, low, high, outliers };
}

/** Box plots of features `[n, d]` per label (`labels[i]` is example i's label). */
export function featureDistributionsChart(table: FeatureTable, labels: readonly string[], options: DistributionsOptions = {}): Chart {
  const columns = featureColumns(KIND, table);
  const n = columns[0].length;
  if (labels.length !== n) throw new ChartError(KIND, `${labels.length} labels for ${n} examples`);
  const names = featureNames(KIND, columns.length, options.featureNames);
  const chosen = (options.features ?? names.slice(0, Math.max(1, options.maxFeatures ?? defaults.maxFeatures))).map((f) => {
    const j = typeof f === "number" ? f : names.indexOf(f);
    if (!(Number.isInteger(j) && j >= 0 && j < names.length)) throw new ChartError(KIND, `no feature ${JSON.stringify(f)} (features: ${names.length})`);
    return j;
  });
  const present = [...new Set(labels)];
  const order = options.labels ? [...options.labels] : present.sort();
  for (const label of present) if (!order.includes(label)) throw new ChartError(KIND, `label ${JSON.stringify(label)} is not in options.labels`);
  const members = new Map(order.map((label) => [label, [] as number[]]));
  labels.forEach((label, i) => members.get(label)!.push(i));

  const values: Datum[] = [];
  for (const j of chosen) {
    for (const label of order) {
      const rows = members.get(label)!;
      if (rows.length === 0) continue;
      const box = boxStats(rows.map((i) => columns[j][i]));
      const { q1, median, q3, low, high } = box;
      values.push({ feature: names[j], label, kind: "box", n: box.n, q1: round(q1, 6), median: round(median, 6), q3: round(q3, 6), low: round(low, 6), high: round(high, 6), value: null });
      for (const v of box.outliers) values.push({ feature: names[j], label, kind: "outlier", value: round(v, 6) });
    }
  }
  const x = { field: "label", type: "nominal", sort: order, title: null, axis: { labelAngle: -40, labelAlign: "right" } };
  const color = { field: "label", type: "nominal", sort: order, title: "Label", scale: { scheme: options.scheme ?? "tableau10" } };
  const boxes = { filter: "datum.kind == 'box'" };
  const layers: Json[] = [
    {
      transform: [boxes],
      mark: { type: "rule", color: "#444" },
      encoding: { x, y: { field: "low", type: "quantitative", title: null, scale: { zero: false }, axis: { format: ",.4~g", labelFlush: true } }, y2: { field: "high" } },
    },
    {
      transform: [boxes],
      mark: { type: "bar", size: 14, stroke: "#444", strokeWidth: 0.8 },
      encoding: {
        x,
        y: { field: "q1", type: "quantitative" },
        y2: { field: "q3" },
        color,
        tooltip: ["n", "low", "q1", "median", "q3", "high"].map((field) => ({ field, type: "quantitative" })),
      },
    },
    { transform: [boxes], mark: { type: "tick", size: 14, color: "black", thickness: 1.5 }, encoding: { x, y: { field: "median", type: "quantitative" } } },
    {
      transform: [{ filter: "datum.kind == 'outlier'" }],
      mark: { type: "point", size: 14, filled: false, strokeWidth: 0.8 },
      encoding: { x, y: { field: "value", type: "quantitative" }, color },
    },
  ];
  return new Chart(KIND, {
    ...frame(options, "Feature distributions per label"),
    data: { values },
    facet: { field: "feature", type: "nominal", sort: chosen.map((j) => names[j]), title: null },
    columns: Math.max(1, Math.floor(options.columns ?? Math.min(defaults.columns, chosen.length))),
    spec: {
      width: size(KIND, "width", options.width, Math.max(defaults.minWidth, order.length * defaults.step)),
      height: size(KIND, "height", options.height, defaults.height),
      layer: layers,
    },
    // Every panel keeps its own x axis: a wrapped facet would otherwise draw the axes of a short last
    // row's empty columns there, far from their panels.
    resolve: { scale: { y: "independent" }, axis: { x: "independent" } },
  });
}
