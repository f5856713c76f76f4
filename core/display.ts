/**
 * Rich display in TypeScript notebooks (tslab): `show(x)` puts a chart up as an inline SVG figure and
 * an Arquero table as an HTML table; anywhere else it prints text. Arquero tables also show this way
 * when they are a cell's value, and print as aligned text from `console.log` in scripts, instead of
 * their internals.
 *
 * A chart made by `plot.*` is drawn when it is made, so it too shows as a figure when it is a cell's
 * value (tslab prints a cell's value with console.log, which cannot wait for a drawing).
 *
 *     import { show, aq } from "clave";
 *     show(aq.table({ genre: ["son", "rumba"], tracks: [66, 44] }));
 */
import { readFile } from "node:fs/promises";
import { inspect } from "node:util";
import { ColumnTable } from "arquero";
import { escapeHtml, printable } from "./text.ts";

/** What tslab's `display` offers (the subset clave uses). */
export interface NotebookDisplay {
  html(s: string): void;
  svg(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

/** Something that renders itself as an SVG figure (a chart). */
export interface SvgRenderable {
  toSVG(): Promise<string> | string;
}

/**
 * The running tslab kernel's display functions, or undefined outside a notebook. tslab evaluates
 * cells with `globalThis.__tslab__.require`, whose `require("tslab")` returns the kernel's own module,
 * the one wired to the running cell; a `tslab` resolved from clave's folder could be another copy.
 */
export function notebookDisplay(): NotebookDisplay | undefined {
  const host = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (typeof host?.require !== "function") return undefined;
  try {
    const display = (host.require("tslab") as { display?: NotebookDisplay } | null)?.display;
    return typeof display?.svg === "function" && typeof display.html === "function" ? display : undefined;
  } catch {
    return undefined;
  }
}

/** Whether clave runs inside a tslab notebook kernel. */
export function inNotebook(): boolean {
  return notebookDisplay() !== undefined;
}

/** Rows shown of a table by default (pandas shows 60 before it cuts; a notebook page stays short). */
export const TABLE_ROWS = 50;

const TABLE_STYLE = {
  table: "border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px;",
  th: "padding: 3px 8px; border-bottom: 1px solid #999;",
  td: "padding: 2px 8px; border-bottom: 1px solid #eee;",
};

/** A table as HTML: the first `rows` rows, and a line saying how many there are. */
export function tableHtml(table: ColumnTable, rows = TABLE_ROWS): string {
  const n = table.numRows();
  const html = table.toHTML({ limit: rows, style: TABLE_STYLE, maxdigits: 4 });
  const more = n > rows ? `${rows} of ${n} rows × ${table.numCols()} columns` : `${n} rows × ${table.numCols()} columns`;
  return `<div>${html}<p style="font-size: 12px; color: #666;">${more}</p></div>`;
}

function cellText(value: unknown, decimals: number): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return value.toFixed(decimals);
  return printable(String(value));
}

/**
 * A table as aligned text: the first `rows` rows; numbers right-aligned, with 4 decimals throughout
 * a column that holds any fraction and none in a column of whole numbers.
 */
export function tableText(table: ColumnTable, rows = TABLE_ROWS): string {
  const names = table.columnNames();
  const objects = table.objects({ limit: rows }) as Record<string, unknown>[];
  const numeric = names.map((n) => objects.every((o) => o[n] === null || o[n] === undefined || typeof o[n] === "number"));
  const decimals = names.map((n) => (objects.some((o) => typeof o[n] === "number" && !Number.isInteger(o[n])) ? 4 : 0));
  const cells = objects.map((o) => names.map((n, j) => cellText(o[n], decimals[j])));
  const widths = names.map((n, j) => Math.max(n.length, ...cells.map((r) => r[j].length)));
  const line = (values: string[]) => values.map((v, j) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join("  ").trimEnd();
  const out = [line(names), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  const n = table.numRows();
  out.push(n > rows ? `(${rows} of ${n} rows × ${names.length} columns)` : `(${n} rows × ${names.length} columns)`);
  return out.join("\n");
}

/** An audio player for WAV (or other) bytes, as HTML with the sound inline (no file is served). */
export function audioHtml(bytes: Uint8Array, mime = "audio/wav", caption = ""): string {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const label = caption ? `<div style="font-size: 12px; color: #444;">${escapeHtml(caption)}</div>` : "";
  return `<div>${label}<audio controls preload="none" src="data:${mime};base64,${data}"></audio></div>`;
}

/**
 * Play a sound in a notebook: a WAV file's path (or its bytes) becomes an audio player in the cell.
 * Outside a notebook it prints what it would play.
 */
export async function showAudio(audio: string | Uint8Array, caption = typeof audio === "string" ? audio : ""): Promise<void> {
  const bytes = typeof audio === "string" ? new Uint8Array(await readFile(audio)) : audio;
  const display = notebookDisplay();
  if (display) display.html(audioHtml(bytes, "audio/wav", caption));
  else process.stdout.write(`${printable(caption || "audio")} (${bytes.length} bytes of audio)\n`);
}

function isSvgRenderable(value: unknown): value is SvgRenderable {
  return typeof value === "object" && value !== null && typeof (value as SvgRenderable).toSVG === "function";
}

/**
 * Show a value: a chart as an SVG figure, an Arquero table as an HTML table, anything else as text.
 * In a notebook the figure appears in the cell's output; elsewhere tables print as text and charts
 * print nothing (save them with `chart.save("figure.svg")`). Resolves when the output is sent.
 */
export async function show(value: unknown): Promise<void> {
  const display = notebookDisplay();
  if (value instanceof ColumnTable) {
    if (display) display.html(tableHtml(value));
    else process.stdout.write(`${tableText(value)}\n`);
    return;
  }
  if (isSvgRenderable(value)) {
    const svg = await value.toSVG();
    if (display) display.svg(svg);
    return;
  }
  if (display) display.text(typeof value === "string" ? value : inspect(value, { depth: 4 }));
  else process.stdout.write(`${typeof value === "string" ? value : inspect(value, { depth: 4 })}\n`);
}

// A table that is a cell's value reaches tslab through console.log → util.inspect: show it as HTML
// there, and as aligned text in a terminal, rather than the object's internals.
const proto = ColumnTable.prototype as unknown as Record<symbol, unknown>;
if (!(inspect.custom in proto)) {
  proto[inspect.custom] = function (this: ColumnTable): string {
    const display = notebookDisplay();
    if (display) {
      display.html(tableHtml(this));
      return `ColumnTable (${this.numRows()} rows × ${this.numCols()} columns)`;
    }
    return tableText(this);
  };
}
