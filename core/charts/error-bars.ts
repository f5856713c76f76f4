/**
 * Means with their spread as bars with error bars, one bar per condition in the order given, each
 * repetition's value drawn as a dot on its bar, and an optional reference drawn as a dashed rule (an
 * ablation: the baseline's accuracy, then the accuracy without each feature group).
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export interface ErrorBarItem {
  /** The bar's name (unique). */
  readonly name: string;
  readonly mean: number;
  /** Half the error bar's length (a standard deviation); 0 draws none. */
  readonly error: number;
  /** The values the mean is of (one per seed), drawn as dots. */
  readonly values?: readonly number[];
  /** Bars of a group share a colour (default: one group). */
  readonly group?: string;
}

export interface ErrorBarsOptions extends ChartOptions {
  /** Title of the value axis (default "value"). */
  readonly yTitle?: string;
  /** d3-format of the value axis (".0%" for fractions shown as percentages; default ",.3~g"). */
  readonly format?: string;
  /** A reference value drawn as a dashed rule, with its label. */
  readonly reference?: { readonly value: number; readonly label: string };
  /** The value axis's domain (default from zero to the largest bar, error and dot). */
  readonly domain?: readonly [number, number];
}

const KIND = "error bars";
const defaults = { height: 240, step: 46, minWidth: 220 };

/** Bars of `items`' means with ± `error` bars. */
export function errorBarsChart(items: readonly ErrorBarItem[], options: ErrorBarsOptions = {}): Chart {
  if (items.length === 0) throw new ChartError(KIND, "there are no bars");
  const names = items.map((item) => item.name);
  if (new Set(names).size !== names.length) throw new ChartError(KIND, "bar names must be unique");
  const values: Datum[] = [];
  let top = 0;
  for (const item of items) {
    for (const v of [item.mean, item.error, ...(item.values ?? [])]) {
      if (!Number.isFinite(v)) throw new ChartError(KIND, `${JSON.stringify(item.name)}: ${v} is not a finite number`);
    }
    if (item.error < 0) throw new ChartError(KIND, `${JSON.stringify(item.name)}: error ${item.error} is negative`);
    const group = item.group ?? "";
    values.push({ kind: "bar", name: item.name, group, mean: round(item.mean, 6), low: round(item.mean - item.error, 6), high: round(item.mean + item.error, 6), error: round(item.error, 6), value: null });
    for (const v of item.values ?? []) values.push({ kind: "value", name: item.name, group, value: round(v, 6) });
    top = Math.max(top, item.mean + item.error, ...(item.values ?? []));
  }
  const format = options.format ?? ",.3~g";
  const groups = [...new Set(items.map((item) => item.group ?? ""))];
  const x = { field: "name", type: "nominal", sort: names, title: null, axis: { labelAngle: -30, labelAlign: "right" } };
  const y = {
    field: "mean",
    type: "quantitative",
    title: options.yTitle ?? "value",
    axis: { format },
    scale: { domain: [...(options.domain ?? [Math.min(0, ...items.map((i) => i.mean - i.error)), top * 1.05 || 1])] },
  };
  const bars = { filter: "datum.kind == 'bar'" };
  const layers: Json[] = [
    {
      transform: [bars],
      mark: { type: "bar", width: { band: 0.7 } },
      encoding: {
        x,
        y,
        color:
          groups.length > 1
            ? { field: "group", type: "nominal", sort: groups, title: null, scale: { scheme: options.scheme ?? "tableau10" }, legend: { orient: "top" } }
            : { value: "#4c78a8" },
        tooltip: [{ field: "name", title: "condition" }, { field: "mean", type: "quantitative", format }, { field: "error", type: "quantitative", format, title: "±" }],
      },
    },
    { transform: [bars, { filter: "datum.error > 0" }], mark: { type: "rule", color: "#222", strokeWidth: 1.4 }, encoding: { x, y: { field: "low", type: "quantitative" }, y2: { field: "high" } } },
    { transform: [bars, { filter: "datum.error > 0" }], mark: { type: "tick", color: "#222", thickness: 1.4, size: 12 }, encoding: { x, y: { field: "low", type: "quantitative" } } },
    { transform: [bars, { filter: "datum.error > 0" }], mark: { type: "tick", color: "#222", thickness: 1.4, size: 12 }, encoding: { x, y: { field: "high", type: "quantitative" } } },
    {
      transform: [{ filter: "datum.kind == 'value'" }],
      mark: { type: "point", filled: true, size: 22, color: "#222", opacity: 0.55 },
      encoding: { x, y: { field: "value", type: "quantitative" }, tooltip: [{ field: "name" }, { field: "value", type: "quantitative", format }] },
    },
  ];
  if (options.reference) {
    const reference = { values: [{ reference: round(options.reference.value, 6), text: options.reference.label }] };
    const ry = { field: "reference", type: "quantitative" };
    layers.push(
      { data: reference, mark: { type: "rule", color: "#c44", strokeDash: [5, 3] }, encoding: { y: ry } },
      { data: reference, mark: { type: "text", align: "left", baseline: "middle", dx: 4, fontSize: 10, color: "#c44" }, encoding: { y: ry, x: { value: { expr: "width" } }, text: { field: "text" } } },
    );
  }
  return new Chart(KIND, {
    ...frame(options),
    width: size(KIND, "width", options.width, Math.max(defaults.minWidth, items.length * defaults.step)),
    height: size(KIND, "height", options.height, defaults.height),
    data: { values },
    layer: layers,
  });
}
