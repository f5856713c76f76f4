/**
 * Training curves: each logged quantity per epoch (loss, acc, ...), training and validation side by
 * side in one panel per quantity, and a rule at the best epoch of the monitored quantity, the one whose
 * weights `fit` restores (`restore_best`). Takes a run's History (`history.json`) as it is.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

/** Per-epoch values of each logged quantity, as `fit` returns and a run's `history.json` holds. */
export type TrainingHistory = Readonly<Record<string, readonly number[]>>;

export interface TrainingCurvesOptions extends ChartOptions {
  /** Quantities to draw, without `val_` (default: every one logged but `lr`). */
  readonly metrics?: readonly string[];
  /** Phase whose entries to draw (`pretrain` for `pretrain/loss`...); default the main phase. */
  readonly phase?: string;
  /** Quantity whose best epoch is marked, as the training's `monitor` (default "val_loss"). */
  readonly monitor?: string;
  /** The marked epoch, counted from 1 as the axis shows it; `null` marks none. Default: the monitor's best. */
  readonly bestEpoch?: number | null;
  /** Panels per row (default 3). */
  readonly columns?: number;
}

const KIND = "training curves";
const defaults = { width: 260, height: 180, columns: 3, monitor: "val_loss", maxPointEpochs: 60 };
const SPLITS = ["train", "validation"] as const;

/**
 * The epoch (from 1) whose weights early stopping keeps: the first strict best of the monitored
 * quantity, falling back as `fit` does (`val_x` → `x` → `val_loss` → `loss`); lower is better except
 * for accuracies. Undefined when none of them was logged.
 */
export function bestEpoch(history: TrainingHistory, monitor = defaults.monitor): { epoch: number; monitor: string } | undefined {
  const candidates = [monitor, monitor.replace(/^val_/, ""), "val_loss", "loss"];
  const found = candidates.find((c) => history[c]?.some(Number.isFinite));
  if (!found) return undefined;
  const better = found.endsWith("acc") ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  let best = -1;
  history[found].forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || better(v, history[found][best]))) best = i;
  });
  return { epoch: best + 1, monitor: found };
}

/** Loss and metrics per epoch from a History. */
export function trainingCurvesChart(history: TrainingHistory, options: TrainingCurvesOptions = {}): Chart {
  const prefix = options.phase ? `${options.phase}/` : "";
  const phase: Record<string, readonly number[]> = {};
  for (const [key, series] of Object.entries(history)) {
    if (!Array.isArray(series)) throw new ChartError(KIND, `history entry ${JSON.stringify(key)} is not a list of numbers`);
    const name = prefix ? (key.startsWith(prefix) ? key.slice(prefix.length) : undefined) : key.includes("/") ? undefined : key;
    if (name !== undefined) phase[name] = series;
  }
  const logged = [...new Set(Object.keys(phase).map((k) => k.replace(/^val_/, "")))].filter((m) => m !== "lr");
  const metrics = options.metrics ?? logged;
  if (metrics.length === 0) {
    throw new ChartError(KIND, `the history has no ${prefix ? `"${prefix}" ` : ""}entries to draw (keys: ${Object.keys(history).join(", ") || "none"})`);
  }
  const values: Datum[] = [];
  let epochs = 0;
  for (const metric of metrics) {
    const pairs = [
      [SPLITS[0], phase[metric]],
      [SPLITS[1], phase[`val_${metric}`]],
    ] as const;
    if (!pairs.some(([, s]) => s)) throw new ChartError(KIND, `no "${prefix}${metric}" in the history (logged: ${logged.join(", ")})`);
    for (const [split, series] of pairs) {
      series?.forEach((v, i) => {
        epochs = Math.max(epochs, i + 1);
        if (Number.isFinite(v)) values.push({ metric, split, epoch: i + 1, value: round(v, 6) });
      });
    }
  }
  const best =
    options.bestEpoch === null
      ? undefined
      : options.bestEpoch !== undefined
        ? { epoch: options.bestEpoch, monitor: options.monitor ?? "" }
        : bestEpoch(phase, options.monitor);
  if (best && !(Number.isInteger(best.epoch) && best.epoch >= 1 && best.epoch <= epochs)) {
    throw new ChartError(KIND, `best epoch ${best.epoch} is not an epoch of the history (1..${epochs})`);
  }

  const colour = { field: "split", type: "nominal", title: null, scale: { domain: [...SPLITS], scheme: options.scheme ?? "tableau10" } };
  const layers: Json[] = [
    {
      mark: { type: "line", point: epochs <= defaults.maxPointEpochs, strokeWidth: 1.8 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "Epoch", scale: { domain: [1, Math.max(2, epochs)], nice: false }, axis: { tickMinStep: 1, format: "d" } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false }, axis: { labelFlush: true } },
        color: colour,
        tooltip: [{ field: "split" }, { field: "epoch", type: "quantitative" }, { field: "value", type: "quantitative", format: ".4g" }],
      },
    },
  ];
  if (best) {
    // One row per panel carries the rule, whichever split that panel has.
    const marker = { filter: `datum.epoch == ${best.epoch}` };
    const once = { window: [{ op: "row_number", as: "rank" }], groupby: ["metric"] };
    const label = `best epoch ${best.epoch}${best.monitor ? ` (${best.monitor})` : ""}`;
    layers.push(
      {
        transform: [marker, once, { filter: "datum.rank == 1" }],
        mark: { type: "rule", color: "#555", strokeDash: [4, 3] },
        encoding: { x: { field: "epoch", type: "quantitative" } },
      },
      {
        transform: [marker, once, { filter: "datum.rank == 1" }, { calculate: JSON.stringify(label), as: "best_label" }],
        mark: { type: "text", align: best.epoch > epochs / 2 ? "right" : "left", dx: best.epoch > epochs / 2 ? -4 : 4, dy: 6, baseline: "top", fontSize: 10, color: "#555" },
        encoding: { x: { field: "epoch", type: "quantitative" }, y: { value: 0 }, text: { field: "best_label" } },
      },
    );
  }
  const columns = Math.max(1, Math.floor(options.columns ?? Math.min(defaults.columns, metrics.length)));
  return new Chart(KIND, {
    ...frame(options, prefix ? `Training (${options.phase})` : "Training"),
    data: { values },
    facet: { field: "metric", type: "nominal", sort: [...metrics], title: null },
    columns,
    spec: {
      width: size(KIND, "width", options.width, defaults.width),
      height: size(KIND, "height", options.height, defaults.height),
      layer: layers,
    },
    // Every panel keeps its own x axis: a wrapped facet would otherwise draw the axes of a short last
    // row's empty columns there, far from their panels.
    resolve: { scale: { y: "independent" }, axis: { x: "independent" } },
  });
}
