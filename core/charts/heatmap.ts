/**
 * A matrix as a heatmap: rows down, columns across, in the order given. One hue from the smallest
 * value to the largest (attention weights, distances), or, `diverging`, blue below zero and red above
 * on a domain symmetric about zero (z-scores). Cells that are NaN are left blank.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export interface HeatmapOptions extends ChartOptions {
  /** Title of the row axis (default none). */
  readonly rowTitle?: string;
  /** Title of the column axis (default none). */
  readonly columnTitle?: string;
  /** Title of the colour legend (default "value"). */
  readonly legendTitle?: string;
  /** Colours centred on zero, the domain symmetric about it (default false). */
  readonly diverging?: boolean;
  /** The colour domain (default: the values' range, or ±their largest magnitude when diverging). */
  readonly domain?: readonly [number, number];
  /** Write each cell's value in it (default: at most 20 rows and 20 columns). */
  readonly cellText?: boolean;
  /** d3-format of the written values and tooltips (default ".2f"). */
  readonly format?: string;
}

const KIND = "heatmap";
const defaults = { cell: 40, maxWidth: 720, maxHeight: 560, maxTextCells: 20 };

function checkNames(what: string, names: readonly string[], expected: number): void {
  if (names.length !== expected) throw new ChartError(KIND, `${names.length} ${what} names for ${expected} ${what}s`);
  if (new Set(names).size !== names.length) throw new ChartError(KIND, `${what} names must be unique`);
}

/** A heatmap of `values[row][column]`, with a name per row and per column. */
export function heatmapChart(
  values: readonly (readonly number[])[],
  rowNames: readonly string[],
  columnNames: readonly string[],
  options: HeatmapOptions = {},
): Chart {
  const nRows = values.length;
  const nColumns = values[0]?.length ?? 0;
  if (nRows === 0 || nColumns === 0) throw new ChartError(KIND, `the matrix [${nRows}, ${nColumns}] is empty`);
  checkNames("row", rowNames, nRows);
  checkNames("column", columnNames, nColumns);
  let lo = Infinity;
  let hi = -Infinity;
  const data: Datum[] = [];
  const format = options.format ?? ".2f";
  values.forEach((row, i) => {
    if (row.length !== nColumns) throw new ChartError(KIND, `row ${i} has ${row.length} values, row 0 has ${nColumns}`);
    row.forEach((v, j) => {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      } else if (!Number.isNaN(v)) throw new ChartError(KIND, `cell [${i}][${j}] is ${v}`);
      data.push({ row: rowNames[i], column: columnNames[j], value: Number.isFinite(v) ? round(v, 6) : null });
    });
  });
  if (lo === Infinity) [lo, hi] = [0, 1];
  const diverging = options.diverging ?? false;
  const extent = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const domain = options.domain ?? (diverging ? [-extent, extent] : lo === hi ? [lo, lo + 1] : [lo, hi]);
  // Square cells up to `cell` pixels, narrower when many columns must fit; rows never thinner than 22.
  const cell = Math.max(4, Math.min(defaults.cell, defaults.maxWidth / nColumns, defaults.maxHeight / nRows));
  const rowHeight = Math.max(cell, Math.min(22, defaults.maxHeight / nRows));
  const width = size(KIND, "width", options.width, nColumns * cell);
  const height = size(KIND, "height", options.height, nRows * rowHeight);
  const scale = diverging ? { scheme: options.scheme ?? "redblue", reverse: options.scheme === undefined, domain: [...domain] } : { scheme: options.scheme ?? "viridis", domain: [...domain] };
  const layers: Json[] = [
    {
      mark: { type: "rect" },
      encoding: {
        color: { field: "value", type: "quantitative", title: options.legendTitle ?? "value", scale },
        tooltip: [{ field: "row", title: options.rowTitle ?? "row" }, { field: "column", title: options.columnTitle ?? "column" }, { field: "value", type: "quantitative", format }],
      },
    },
  ];
  if (options.cellText ?? (nRows <= defaults.maxTextCells && nColumns <= defaults.maxTextCells)) {
    // Text dark on light cells and light on dark ones: the middle of the domain is where viridis turns light.
    const middle = (domain[0] + domain[1]) / 2;
    const dark = diverging ? `abs(datum.value) > ${0.6 * Math.max(Math.abs(domain[0]), Math.abs(domain[1]))}` : `datum.value < ${middle}`;
    layers.push({
      transform: [{ filter: "isValid(datum.value)" }],
      mark: { type: "text", fontSize: Math.max(7, Math.min(12, Math.min(width / nColumns, height / nRows) / 3)), baseline: "middle" },
      encoding: {
        text: { field: "value", type: "quantitative", format },
        color: { condition: { test: dark, value: "white" }, value: "black" },
      },
    });
  }
  const many = (n: number, side: number) => side / n < 11;
  return new Chart(KIND, {
    ...frame(options),
    width,
    height,
    data: { values: data },
    encoding: {
      x: {
        field: "column",
        type: "nominal",
        sort: [...columnNames],
        title: options.columnTitle ?? null,
        axis: { labelAngle: -40, labelAlign: "right", labelOverlap: many(nColumns, width) ? "greedy" : false },
      },
      y: { field: "row", type: "nominal", sort: [...rowNames], title: options.rowTitle ?? null, axis: { labelOverlap: many(nRows, height) ? "greedy" : false } },
    },
    layer: layers,
  });
}
