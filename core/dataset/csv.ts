/**
 * CSV in and out, RFC 4180: fields holding a comma, a quote or a line break are quoted, quotes are
 * doubled. Reading goes through Arquero's parser (quoted commas and line breaks handled); writing is
 * the few lines below, so that column order and number formatting stay ours.
 */
import * as aq from "arquero";

export type CsvCell = string | number | boolean | null | undefined;

/** Every record of a CSV text as strings (empty fields as `""`), the header row included. */
export function parseCsvRecords(text: string): string[][] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") return [];
  const table = aq.fromCSV(body, { header: false, autoType: false });
  const columns = table.columnNames().map((name) => table.array(name) as ArrayLike<string | null | undefined>);
  const records: string[][] = [];
  for (let r = 0; r < table.numRows(); r++) records.push(columns.map((c) => c[r] ?? ""));
  return records;
}

function formatCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV text: the header line, then one line per row, `\n`-terminated. */
export function formatCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  const lines = [header.map(formatCell).join(",")];
  for (const row of rows) lines.push(row.map(formatCell).join(","));
  return `${lines.join("\n")}\n`;
}
