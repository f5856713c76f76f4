/**
 * Items ranked by a value as horizontal bars, largest on top, in one or more panels side by side,
 * each with its own scale (the ANOVA F and the mutual information of the most telling features; the
 * most confused pairs of classes).
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export interface RankedItem {
  readonly name: string;
  readonly value: number;
  /** The panel the item is drawn in (default: one panel). */
  readonly panel?: string;
}

export interface RankingOptions extends ChartOptions {
  /** Items per panel, the largest (default 20). */
  readonly top?: number;
  /** Title of the value axis, per panel (default the panel's name, or "value"). */
  readonly xTitle?: string;
  /** d3-format of the values (default ",.3~g"). */
  readonly format?: string;
}

const KIND = "ranking";
const defaults = { top: 20, width: 220, bar: 16 };

/** Horizontal bars of `items`, largest first, a panel per distinct `panel`. */
export function rankingChart(items: readonly RankedItem[], options: RankingOptions = {}): Chart {
  if (items.length === 0) throw new ChartError(KIND, "there are no items");
  const top = Math.max(1, Math.floor(options.top ?? defaults.top));
  const format = options.format ?? ",.3~g";
  const panels = [...new Set(items.map((i) => i.panel ?? ""))];
  const specs: Json[] = panels.map((panel) => {
    const chosen = items
      .filter((i) => (i.panel ?? "") === panel)
      .filter((i) => {
        if (Number.isNaN(i.value)) return false;
        if (!Number.isFinite(i.value)) throw new ChartError(KIND, `${JSON.stringify(i.name)}: ${i.value} is not a finite number`);
        return true;
      })
      .sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1))
      .slice(0, top);
    const names = chosen.map((i) => i.name);
    if (new Set(names).size !== names.length) throw new ChartError(KIND, `item names must be unique within a panel${panel ? ` (${panel})` : ""}`);
    const values: Datum[] = chosen.map((i) => ({ name: i.name, value: round(i.value, 6) }));
    return {
      ...(panel ? { title: panel } : {}),
      width: size(KIND, "width", options.width, defaults.width),
      height: Math.max(40, names.length * defaults.bar),
      data: { values },
      mark: { type: "bar", color: "#4c78a8" },
      encoding: {
        y: { field: "name", type: "nominal", sort: names, title: null },
        x: { field: "value", type: "quantitative", title: options.xTitle ?? (panel || "value"), axis: { format } },
        tooltip: [{ field: "name" }, { field: "value", type: "quantitative", format }],
      },
    };
  });
  return new Chart(KIND, {
    ...frame(options),
    ...(specs.length === 1 ? (specs[0] as Record<string, Json>) : { hconcat: specs }),
    ...(options.title ? { title: options.title } : {}),
  });
}
