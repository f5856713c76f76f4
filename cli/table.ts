/**
 * Terminal output: plain-text tables (columns padded to their widest cell, numbers right-aligned,
 * one number of decimals per column) and `printable`, which every piece of data printed goes through.
 */

export type Cell = string | number | boolean | null | undefined;

import { messageLine, printable } from "../core/text.ts";

export { messageLine, printable };

const MAX_DECIMALS = 4;

/** Decimals that show `value` exactly, up to `MAX_DECIMALS` + 1 (more means: not exact within the cap). */
function decimalsNeeded(value: number): number {
  for (let d = 0; d <= MAX_DECIMALS; d++) if (Number(value.toFixed(d)) === value) return d;
  return MAX_DECIMALS + 1;
}

/**
 * The decimals of a column: as many as its most precise number needs, at most 4, and more when the
 * smallest non-zero number would show fewer than 2 significant digits (at most 8).
 */
export function columnDecimals(values: readonly Cell[]): number {
  const numbers = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  let decimals = 0;
  let smallest = Infinity;
  for (const v of numbers) {
    decimals = Math.max(decimals, Math.min(decimalsNeeded(v), MAX_DECIMALS));
    if (v !== 0 && decimalsNeeded(v) > MAX_DECIMALS) smallest = Math.min(smallest, Math.abs(v));
  }
  if (smallest < 0.01) decimals = Math.max(decimals, Math.min(8, Math.ceil(-Math.log10(smallest)) + 1));
  return decimals;
}

function show(value: Cell, decimals: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? value.toFixed(decimals) : String(value);
  return printable(String(value));
}

export interface TableOptions {
  /** Decimals of some columns (percentages: 2, losses: 4); the others get `columnDecimals`. */
  readonly decimals?: Readonly<Record<string, number>>;
}

export function formatTable(
  rows: readonly Record<string, Cell>[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
  options: TableOptions = {},
): string {
  const decimals = columns.map((c) => options.decimals?.[c] ?? columnDecimals(rows.map((r) => r[c])));
  const cells = rows.map((row) => columns.map((c, i) => show(row[c], decimals[i])));
  const header = columns.map(printable);
  const widths = header.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] == null));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
