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

/**
 * The first quoting fault of a CSV text, or null: a quoted field never closed (the parser would read
 * the rest of the file into it), or text after a field's closing quote (which the parser drops).
 * `line` is 1-based, where the faulty field starts.
 */
export function csvQuoteFault(text: string): { line: number; problem: string } | null {
  let line = 1;
  let fieldStart = true;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && fieldStart) {
      const opened = line;
      let closed = false;
      for (i++; i < text.length; i++) {
        if (text[i] === "\n") line++;
        if (text[i] !== '"') continue;
        if (text[i + 1] === '"') i++;
        else {
          closed = true;
          break;
        }
      }
      if (!closed) return { line: opened, problem: "a quoted field is never closed (a \" without its closing \")" };
      const next = text[i + 1];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        return { line, problem: "text after a quoted field's closing quote (quotes inside a field must be doubled, \"\")" };
      }
      fieldStart = false;
      continue;
    }
    if (c === "\n") line++;
    fieldStart = c === "," || c === "\n" || c === "\r";
  }
  return null;
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
