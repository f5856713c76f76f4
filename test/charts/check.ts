/**
 * Checks the chart tests share: an SVG that resvg parses and that holds the expected text; a PNG that
 * resvg itself decodes (embedded as an image in an SVG) into pixels that are not all one colour.
 */
import { expect } from "bun:test";
import { Resvg } from "@resvg/resvg-js";
import type { Chart, Datum } from "../../core/charts/index.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** XML text as it appears in the SVG. */
const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A parseable SVG document (resvg reads it) that contains each of `texts` as text. */
export function expectSvg(svg: string, texts: readonly string[]): void {
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  const parsed = new Resvg(svg, { font: { loadSystemFonts: false } });
  expect(parsed.width).toBeGreaterThan(50);
  expect(parsed.height).toBeGreaterThan(50);
  for (const text of texts) expect(svg).toContain(`>${xml(text)}<`);
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** RGBA. */
  readonly pixels: Uint8Array;
}

/** Decode a PNG with resvg: an SVG holding only that image, rendered at its own size. */
export function decodePng(png: Uint8Array): DecodedPng {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const href = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image width="${width}" height="${height}" href="${href}"/></svg>`;
  const image = new Resvg(svg, { font: { loadSystemFonts: false } }).render();
  return { width, height, pixels: new Uint8Array(image.pixels) };
}

/** Distinct colours and the fraction of pixels that are not the background white. */
export function pixelStats(image: DecodedPng): { colours: number; inked: number } {
  const colours = new Set<number>();
  let inked = 0;
  const p = image.pixels;
  for (let i = 0; i < p.length; i += 4) {
    colours.add((p[i] << 16) | (p[i + 1] << 8) | p[i + 2]);
    if (p[i] < 245 || p[i + 1] < 245 || p[i + 2] < 245) inked++;
  }
  return { colours: colours.size, inked: inked / (p.length / 4) };
}

/** The chart renders: SVG with `texts`, PNG of the SVG's size × scale, with drawing on it. */
export async function expectRenders(chart: Chart, texts: readonly string[], minInked = 0.02): Promise<{ svg: string; png: DecodedPng }> {
  const svg = await chart.toSVG();
  expectSvg(svg, texts);
  const bytes = await chart.toPNG({ scale: 1 });
  expect(bytes.length).toBeGreaterThan(2000);
  const png = decodePng(bytes);
  const size = new Resvg(svg, { font: { loadSystemFonts: false } });
  expect(png.width).toBe(Math.round(size.width));
  expect(png.height).toBe(Math.round(size.height));
  const stats = pixelStats(png);
  expect(stats.colours).toBeGreaterThan(8);
  expect(stats.inked).toBeGreaterThan(minInked);
  return { svg, png };
}

/** The inline data rows of a chart's spec. */
export function rowsOf(chart: Chart): readonly Datum[] {
  const values = chart.spec.data?.values;
  if (!values) throw new Error(`${chart.kind}: the spec has no inline data`);
  return values;
}

/** A spec node by path, for checks on marks and encodings (the spec is plain JSON). */
export function at(value: unknown, ...path: (string | number)[]): any {
  let node = value as any;
  for (const key of path) node = node?.[key];
  return node;
}
