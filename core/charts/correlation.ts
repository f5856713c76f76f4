/**
 * Pearson correlation between features, as a heatmap from -1 (blue) to +1 (red):
 *
 *     r_jk = Σ_i (x_ij - x̄_j)(x_ik - x̄_k) / sqrt(Σ_i (x_ij - x̄_j)² · Σ_i (x_ik - x̄_k)²)
 *
 * (`numpy.corrcoef` over columns). A constant feature has no correlation (NaN): its cells are left blank.
 */
import { Chart } from "./chart.ts";
import { frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";
import { featureColumns, featureNames, type FeatureTable } from "./table.ts";

export interface CorrelationOptions extends ChartOptions {
  /** One name per feature column (default f0, f1, ...). */
  readonly featureNames?: readonly string[];
  /** Write r in each cell (default: when there are at most 16 features). */
  readonly cellText?: boolean;
}

const KIND = "correlation";
const defaults = { cell: 34, minSide: 200, maxSide: 640, maxTextFeatures: 16 };

/** The `[d][d]` Pearson correlation matrix of the columns of `[n, d]`; NaN where a column is constant. */
export function pearsonCorrelation(table: FeatureTable): number[][] {
  const columns = featureColumns(KIND, table);
  // Centred columns and their norms, in float64: r is then a dot product of unit vectors.
  const centred = columns.map((c) => {
    let mean = 0;
    for (const v of c) mean += v;
    mean /= c.length;
    return c.map((v) => v - mean);
  });
  const norms = centred.map((c) => Math.sqrt(c.reduce((s, v) => s + v * v, 0)));
  const d = columns.length;
  const r = Array.from({ length: d }, () => new Array<number>(d).fill(NaN));
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      if (!(norms[j] > 0 && norms[k] > 0)) continue;
      let dot = 0;
      for (let i = 0; i < centred[j].length; i++) dot += centred[j][i] * centred[k][i];
      // Clamped: rounding can put |r| a hair above 1.
      r[j][k] = r[k][j] = Math.max(-1, Math.min(1, dot / (norms[j] * norms[k])));
    }
  }
  return r;
}

/** A heatmap of the Pearson correlation between the features of `[n, d]`. */
export function correlationChart(table: FeatureTable, options: CorrelationOptions = {}): Chart {
  const r = pearsonCorrelation(table);
  const d = r.length;
  const names = featureNames(KIND, d, options.featureNames);
  const values: Datum[] = [];
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      const v = r[j][k];
      values.push({ row: names[j], column: names[k], r: Number.isNaN(v) ? null : round(v, 4), text: Number.isNaN(v) ? "" : v.toFixed(2) });
    }
  }
  const side = Math.min(defaults.maxSide, Math.max(defaults.minSide, d * defaults.cell));
  const width = size(KIND, "width", options.width, side);
  const height = size(KIND, "height", options.height, side);
  const layers: Json[] = [
    {
      mark: { type: "rect" },
      encoding: {
        color: {
          field: "r",
          type: "quantitative",
          title: "r",
          // Vega's redblue runs red to blue; reversed, negative is blue and positive red (as coolwarm).
          scale: { scheme: options.scheme ?? "redblue", reverse: options.scheme === undefined, domain: [-1, 1] },
        },
        tooltip: [{ field: "row" }, { field: "column" }, { field: "r", type: "quantitative", format: ".3f" }],
      },
    },
  ];
  if (options.cellText ?? d <= defaults.maxTextFeatures) {
    layers.push({
      mark: { type: "text", fontSize: Math.max(7, Math.min(12, Math.min(width, height) / d / 3)), baseline: "middle" },
      encoding: {
        text: { field: "text", type: "nominal" },
        color: { condition: { test: "abs(datum.r) > 0.6", value: "white" }, value: "black" },
      },
    });
  }
  const axis = { labelOverlap: d > 40 ? "greedy" : false };
  return new Chart(KIND, {
    ...frame(options, "Feature correlation (Pearson)"),
    width,
    height,
    data: { values },
    encoding: {
      x: { field: "column", type: "nominal", sort: names, title: null, axis: { ...axis, labelAngle: -40, labelAlign: "right" } },
      y: { field: "row", type: "nominal", sort: names, title: null, axis },
    },
    layer: layers,
  });
}
