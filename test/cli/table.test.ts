/** Terminal tables: one number of decimals per column, numbers right-aligned, data never printed raw. */
import { describe, expect, test } from "bun:test";
import { columnDecimals, formatTable, messageLine, printable } from "../../cli/table.ts";

describe("formatTable", () => {
  test("a column's numbers share one number of decimals (not 0.05000 beside 0.1500)", () => {
    const table = formatTable([
      { label: "a", loss: 0.05, acc: 100 },
      { label: "b", loss: 0.15, acc: 85.5 },
      { label: "c", loss: 1.123456, acc: 0 },
    ]);
    expect(table.split("\n")).toEqual([
      "label    loss    acc",
      "-----  ------  -----",
      "a      0.0500  100.0",
      "b      0.1500   85.5",
      "c      1.1235    0.0",
    ]);
  });

  test("integer columns stay integers; tiny numbers keep two significant digits; NaN and empty cells", () => {
    expect(columnDecimals([1, 2, 300])).toBe(0);
    expect(columnDecimals([0.05, 0.15])).toBe(2);
    expect(columnDecimals([0.5, 0.000031])).toBe(6);
    expect(columnDecimals([1 / 3, null, "x"])).toBe(4);
    const table = formatTable([{ v: Number.NaN }, { v: 0.25 }, { v: null }]);
    expect(table.split("\n").slice(2)).toEqual([" NaN", "0.25", ""]);
  });

  test("a caller may fix a column's decimals (percentages 2, losses 4)", () => {
    const rows = [
      { label: "a", precision: 50, loss: 0.5 },
      { label: "b", precision: 66.6667, loss: 0.123456 },
    ];
    expect(formatTable(rows, undefined, { decimals: { precision: 2, loss: 4 } }).split("\n").slice(2)).toEqual(["a          50.00  0.5000", "b          66.67  0.1235"]);
  });

  test("cells and headers with terminal escapes or line breaks are shown escaped", () => {
    const table = formatTable([{ "\x1b[31mlabel": "\x1b[2Jsalsa\nson", n: 1 }]);
    expect(table).not.toContain("\x1b");
    expect(table.split("\n")).toHaveLength(3);
    expect(table).toContain("\\x1b[2Jsalsa\\nson");
    expect(table).toContain("\\x1b[31mlabel");
  });
});

describe("printable", () => {
  test("C0 and C1 controls, DEL and bidirectional overrides are escaped; other text is kept", () => {
    expect(printable("a\x1b[31mb\x07\x7f\x9b\t\r\n")).toBe("a\\x1b[31mb\\x07\\x7f\\x9b\\t\\r\\n");
    expect(printable("evil\u202etxt.wav")).toBe("evil\\u202etxt.wav");
    expect(printable("café — 日本 ñ")).toBe("café — 日本 ñ");
    expect(messageLine("x\ny")).toBe("clave: x\\ny\n");
  });
});
