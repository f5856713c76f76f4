/** Tables as text and HTML (what a notebook cell or console.log shows), outside a notebook. */
import { describe, expect, test } from "bun:test";
import { inspect } from "node:util";
import { aq, inNotebook, tableHtml, tableText } from "../../index.ts";

const table = aq.table({ genre: ["son", "rumba\u001b[31m", "<b>linear</b>"], tracks: [66, 44, 3], f1: [0.05, 0.15, 1] });

describe("display", () => {
  test("outside tslab there is no notebook", () => {
    expect(inNotebook()).toBe(false);
  });

  test("a table prints as aligned text with fixed decimals per column, escapes shown, not sent", () => {
    const text = tableText(table);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^genre\s+tracks\s+f1$/);
    expect(text).toContain("0.0500");
    expect(text).toContain("0.1500");
    expect(text).toContain("1.0000");
    expect(text).not.toContain("\u001b");
    expect(text).toContain("rumba\\x1b[31m");
    expect(lines.at(-1)).toBe("(3 rows × 3 columns)");
    // Numbers are right-aligned: every row's f1 ends at the same column.
    const ends = lines.slice(2, 5).map((l) => l.length);
    expect(new Set(ends).size).toBe(1);
  });

  test("console.log / util.inspect of a table is that text, not the table's internals", () => {
    const shown = inspect(table);
    expect(shown).toBe(tableText(table));
    expect(shown).not.toContain("_data");
  });

  test("HTML: escaped cells, a row limit and a count", () => {
    const many = aq.table({ i: Array.from({ length: 50 }, (_, i) => i) });
    const html = tableHtml(many, 5);
    expect(html).toContain("<table");
    expect((html.match(/<tr/g) ?? []).length).toBe(6); // header + 5 rows
    expect(html).toContain("5 of 50 rows × 1 columns");
    expect(tableHtml(table)).toContain("&lt;b&gt;linear&lt;/b&gt;");
  });
});
