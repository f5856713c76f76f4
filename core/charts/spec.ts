/**
 * The Vega-Lite spec as the chart builders write it: plain JSON. A minimal local type rather than
 * vega-lite's own, so that the library's declarations do not pull vega-lite's types into every
 * program (tslab compiles notebook cells against them with an older TypeScript).
 */
import { ChartError } from "../errors.ts";

export { ChartError };

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json | undefined };

/** One row of a chart's inline data. */
export type Datum = Readonly<Record<string, string | number | null>>;

export interface VegaLiteSpec {
  readonly $schema: string;
  readonly title?: string | { readonly text: string; readonly [key: string]: Json | undefined };
  readonly width?: number;
  readonly height?: number;
  readonly data?: { readonly values: readonly Datum[] };
  readonly [key: string]: Json | undefined;
}

/** Options every chart takes. */
export interface ChartOptions {
  readonly title?: string;
  /** Width of the plotting area (of one panel, for faceted charts), in pixels. */
  readonly width?: number;
  /** Height of the plotting area (of one panel), in pixels. */
  readonly height?: number;
  /** A Vega colour scheme name (https://vega.github.io/vega/docs/schemes/): "viridis", "magma", "tableau10"... */
  readonly scheme?: string;
}


export const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/**
 * A font list rather than the bare generic family: resvg maps `sans-serif` to Arial and, where Arial is
 * missing, to the first font it finds (often a serif); browsers take the first family they have. The
 * names are unquoted (valid CSS) because resvg 2.6 stops at a quoted name after a comma.
 */
export const FONT = "Helvetica, Arial, Liberation Sans, DejaVu Sans, Noto Sans, sans-serif";

/** Shared look: a white background, one font, readable axis and title sizes. */
export const CONFIG = {
  background: "white",
  font: FONT,
  title: { fontSize: 14, anchor: "start", offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titlePadding: 8, labelLimit: 260 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#ddd" },
} as const;

/** A positive, finite number (a size, a rate) from an option, or the default; anything else is refused. */
export function size(chart: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new ChartError(chart, `${name} ${value} must be a positive number`);
  return value;
}

/** The top-level keys every chart shares: schema, title, config. */
export function frame(options: ChartOptions, fallbackTitle?: string): Pick<VegaLiteSpec, "$schema" | "title"> & { config: Json } {
  const title = options.title ?? fallbackTitle;
  return { $schema: SCHEMA, ...(title ? { title } : {}), config: CONFIG };
}

/** A number rounded to `digits` significant digits, so inline data stays short. */
export function round(value: number, digits = 4): number {
  return Number.isFinite(value) ? Number(value.toPrecision(digits)) : value;
}

/** Labels: all strings, none empty-and-ambiguous, no duplicates. */
export function checkLabels(chart: string, labels: readonly string[], expected?: number): void {
  if (expected !== undefined && labels.length !== expected) {
    throw new ChartError(chart, `${labels.length} labels for ${expected} classes`);
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== "string") throw new ChartError(chart, `label ${JSON.stringify(label)} is not a string`);
    if (seen.has(label)) throw new ChartError(chart, `label ${JSON.stringify(label)} appears twice`);
    seen.add(label);
  }
}
