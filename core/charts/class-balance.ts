/**
 * Class balance per split: how many tracks of each label the train, validation and test parts hold,
 * as grouped bars (compare the parts) or stacked bars (see each label's total). Takes manifest rows as
 * they are: `classBalanceChart(manifest.rows)`.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, size, type ChartOptions, type Datum } from "./spec.ts";

/** What a row needs: a manifest row has both. */
export interface LabelledRow {
  readonly label: string;
  /** `train`, `validation`, `test`, `excluded`, or empty (not split yet). */
  readonly split: string;
}

export interface ClassBalanceOptions extends ChartOptions {
  /** "grouped" (default): a bar per split side by side; "stacked": one bar per label. */
  readonly mode?: "grouped" | "stacked";
  /**
   * Grouped: each bar is its split's fraction of tracks with that label, so parts of different sizes
   * compare (a stratified split gives equal bars). Stacked: each label's bar is split into fractions of 1.
   */
  readonly normalize?: boolean;
  /** Label order (default alphabetical). */
  readonly labels?: readonly string[];
}

const KIND = "class balance";
const defaults = { height: 220, step: 18, minWidth: 240 };
/** Named in the legend in this order; the empty split is shown as "unsplit". */
const SPLIT_ORDER = ["train", "validation", "test", "excluded", "unsplit"];

/** Tracks per label and split. */
export function classBalanceChart(rows: readonly LabelledRow[], options: ClassBalanceOptions = {}): Chart {
  if (rows.length === 0) throw new ChartError(KIND, "there are no rows to count");
  const counts = new Map<string, Map<string, number>>();
  const splitTotals = new Map<string, number>();
  rows.forEach((row, i) => {
    if (typeof row.label !== "string" || row.label === "") throw new ChartError(KIND, `row ${i} has no label`);
    const split = row.split ? String(row.split) : "unsplit";
    const perSplit = counts.get(row.label) ?? new Map<string, number>();
    perSplit.set(split, (perSplit.get(split) ?? 0) + 1);
    counts.set(row.label, perSplit);
    splitTotals.set(split, (splitTotals.get(split) ?? 0) + 1);
  });
  const labels = options.labels ? [...options.labels] : [...counts.keys()].sort();
  for (const label of counts.keys()) {
    if (!labels.includes(label)) throw new ChartError(KIND, `label ${JSON.stringify(label)} is in the rows but not in options.labels`);
  }
  const present = [...splitTotals.keys()];
  const splits = [...SPLIT_ORDER.filter((s) => present.includes(s)), ...present.filter((s) => !SPLIT_ORDER.includes(s)).sort()];
  const mode = options.mode ?? "grouped";
  const normalize = options.normalize ?? false;
  const values: Datum[] = [];
  for (const label of labels) {
    for (const split of splits) {
      const count = counts.get(label)?.get(split) ?? 0;
      values.push({ label, split, count, fraction: count / splitTotals.get(split)! });
    }
  }
  const grouped = mode === "grouped";
  const yField = grouped && normalize ? "fraction" : "count";
  const yTitle = grouped ? (normalize ? "Fraction of the split" : "Tracks") : normalize ? "Share of the label's tracks" : "Tracks";
  const barsPerLabel = grouped ? splits.length : 1;
  const width = size(KIND, "width", options.width, Math.max(defaults.minWidth, labels.length * (barsPerLabel * defaults.step + 12)));
  return new Chart(KIND, {
    ...frame(options, "Class balance per split"),
    width,
    height: size(KIND, "height", options.height, defaults.height),
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "label", type: "nominal", sort: labels, title: null, axis: { labelAngle: -40, labelAlign: "right" } },
      ...(grouped ? { xOffset: { field: "split", type: "nominal", sort: splits } } : {}),
      y: {
        field: yField,
        type: "quantitative",
        title: yTitle,
        ...(!grouped ? { stack: normalize ? "normalize" : "zero" } : {}),
        ...(normalize ? { axis: { format: ".0%" } } : {}),
      },
      color: { field: "split", type: "nominal", title: "Split", sort: splits, scale: { domain: splits, scheme: options.scheme ?? "tableau10" } },
      ...(!grouped ? { order: { field: "split_rank", type: "quantitative" } } : {}),
      tooltip: [{ field: "label" }, { field: "split" }, { field: "count", type: "quantitative" }, { field: "fraction", type: "quantitative", format: ".1%" }],
    },
    ...(!grouped ? { transform: [{ calculate: `indexof(${JSON.stringify(splits)}, datum.split)`, as: "split_rank" }] } : {}),
  });
}
