/** What every chart does: render, save atomically, show in tslab or hand back the SVG. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { Resvg } from "@resvg/resvg-js";
import { confusionChart } from "../../core/charts/index.ts";
import { ChartError, ClaveError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { decodePng, pixelStats } from "./check.ts";

const chart = confusionChart(
  [
    [5, 1],
    [2, 7],
  ],
  ["son", "salsa"],
);

describe("a chart", () => {
  test("the text is drawn in the PNG: it differs from the same SVG rendered with no fonts at all", async () => {
    const svg = await chart.toSVG();
    const withText = decodePng(await chart.toPNG({ scale: 1 })).pixels;
    const withoutText = new Resvg(svg, { font: { loadSystemFonts: false }, background: "white" }).render().pixels;
    expect(withText.length).toBe(withoutText.length);
    let differing = 0;
    for (let i = 0; i < withText.length; i += 4) if (Math.abs(withText[i] - withoutText[i]) > 40) differing++;
    // Titles, tick labels and six numbers: well over a thousand pixels of glyphs.
    expect(differing).toBeGreaterThan(1500);
  });

  test("toPNG scales: twice the pixels each way at scale 2 (the default); a bad scale is refused", async () => {
    const one = decodePng(await chart.toPNG({ scale: 1 }));
    const two = decodePng(await chart.toPNG());
    expect(two.width).toBe(2 * one.width);
    expect(two.height).toBe(2 * one.height);
    expect(pixelStats(two).colours).toBeGreaterThan(8);
    await expect(chart.toPNG({ scale: 0 })).rejects.toThrow(ChartError);
    await expect(chart.toPNG({ scale: NaN })).rejects.toThrow(/scale NaN must be a positive number/);
  });

  test("save writes SVG or PNG by extension, whole, replacing an old file and leaving no temporary", async () => {
    const dir = tempDir("clave-charts-");
    const svgPath = join(dir, "figures", "confusion.svg");
    const pngPath = join(dir, "figures", "confusion.PNG");
    writeFileSync(join(dir, "old.svg"), "stale");
    await chart.save(svgPath);
    await chart.save(pngPath, { scale: 1 });
    await chart.save(join(dir, "old.svg"));
    expect(readFileSync(svgPath, "utf8")).toBe(await chart.toSVG());
    expect(readFileSync(join(dir, "old.svg"), "utf8").startsWith("<svg")).toBe(true);
    expect(decodePng(new Uint8Array(readFileSync(pngPath))).width).toBeGreaterThan(100);
    expect(readdirSync(join(dir, "figures")).sort()).toEqual(["confusion.PNG", "confusion.svg"]);
    const error = await chart.save(join(dir, "figure.jpg")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChartError);
    expect(error).toBeInstanceOf(ClaveError);
    expect((error as Error).message).toContain(`${join(dir, "figure.jpg")}: the file name must end in .svg or .png`);
    expect(existsSync(join(dir, "figure.jpg"))).toBe(false);
  });

  test("the same chart renders to the same SVG; two charts inline in one page never share a gradient id", async () => {
    const other = confusionChart([[1, 0], [0, 1]], ["a", "b"]);
    const [first, again, second] = [await chart.toSVG(), await chart.toSVG(), await other.toSVG()];
    expect(again).toBe(first);
    const ids = (svg: string) => [...svg.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(first).length).toBeGreaterThan(0);
    for (const id of ids(first)) expect(first).toContain(`url(#${id})`);
    expect(ids(first).filter((id) => ids(second).includes(id))).toEqual([]);
  });

  test("outside tslab, show() draws nothing and returns the SVG; the REPL prints one line; JSON is the spec", async () => {
    expect(await chart.show()).toBe(await chart.toSVG());
    expect(inspect(chart)).toBe('Chart(confusion matrix) — await chart.show() draws it; chart.save("figure.png") writes it');
    expect(JSON.parse(JSON.stringify(chart))).toEqual(JSON.parse(JSON.stringify(chart.spec)));
    expect(chart.spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v6.json");
  });
});
