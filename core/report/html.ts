/**
 * The pieces of a self-contained HTML report: escaped text, tables from Arquero tables, figures from
 * charts (inline SVG: no scripts, no network, readable offline and kept by every viewer), sections.
 */
import type * as aq from "arquero";
import type { Chart } from "../charts/chart.ts";
import { escapeHtml } from "../text.ts";

export { escapeHtml };

/** How a table's numbers are shown: a column's decimals, or a percentage. */
export interface TableFormat {
  readonly decimals?: Readonly<Record<string, number>>;
  readonly percent?: readonly string[];
}

function cell(value: unknown, column: string, format: TableFormat): { text: string; numeric: boolean } {
  if (value === null || value === undefined) return { text: "", numeric: false };
  if (typeof value === "number") {
    if (format.percent?.includes(column)) return { text: `${(100 * value).toFixed(2)}%`, numeric: true };
    const d = format.decimals?.[column] ?? (Number.isInteger(value) ? 0 : 4);
    return { text: Number.isFinite(value) ? value.toFixed(d) : String(value), numeric: true };
  }
  return { text: escapeHtml(String(value)), numeric: false };
}

/** An Arquero table as an HTML table (every row), numbers right-aligned. */
export function htmlTable(table: aq.ColumnTable, format: TableFormat = {}): string {
  const names = table.columnNames();
  const rows = table.objects() as Record<string, unknown>[];
  const head = names.map((n) => `<th>${escapeHtml(n)}</th>`).join("");
  const body = rows
    .map((row) => {
      const cells = names.map((n) => {
        const c = cell(row[n], n, format);
        return c.numeric ? `<td class="num">${c.text}</td>` : `<td>${c.text}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A chart as an inline SVG figure with a caption. */
export async function htmlFigure(chart: Chart, caption: string): Promise<string> {
  return `<figure>${await chart.toSVG()}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** A section with an id (for links and tests), a heading and its parts. */
export function htmlSection(id: string, title: string, parts: readonly string[]): string {
  return `<section id="${escapeHtml(id)}">\n<h2>${escapeHtml(title)}</h2>\n${parts.join("\n")}\n</section>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.25rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; font-variant-numeric: tabular-nums; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #e4e4e4; text-align: left; overflow-wrap: anywhere; }
th { border-bottom: 1px solid #888; }
td.num { text-align: right; }
figure { margin: .8rem 0 1.4rem; overflow-x: auto; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .85rem; }
nav a { margin-right: .8rem; }
`;

/** The whole document: title, a line under it, a table of contents and the sections. */
export function htmlDocument(title: string, meta: string, sections: readonly { id: string; title: string; html: string }[]): string {
  const nav = sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">${escapeHtml(meta)}</p>
<nav>${nav}</nav>
${sections.map((s) => s.html).join("\n")}
</body>
</html>
`;
}
