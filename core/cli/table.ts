/** Plain-text tables for terminal output: columns padded to their widest cell, numbers right-aligned. */

export type Cell = string | number | boolean | null | undefined;

function show(value: Cell): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

export function formatTable(rows: readonly Record<string, Cell>[], columns: readonly string[] = Object.keys(rows[0] ?? {})): string {
  const cells = rows.map((row) => columns.map((c) => show(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === "number" || r[c] == null));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line([...columns]), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
