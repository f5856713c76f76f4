/**
 * The one place that loads the renderers: Vega-Lite compiles a spec to Vega, Vega draws it to SVG
 * (headless, renderer "none"), resvg rasterises the SVG to PNG.
 *
 * Each is loaded with a dynamic `import()` on first use, never at module top level: vega 6 is ESM-only
 * with top-level await, so a static import would break `require("clave")` (the CommonJS build that
 * tslab notebooks load) and would make every user of the library pay for the renderers. esbuild keeps
 * `import()` of an external package as a real dynamic import in the CommonJS bundle.
 */
import { createHash } from "node:crypto";
import type { VegaLiteSpec } from "./spec.ts";

/** How a PNG is rasterised. */
export interface PngOptions {
  /** Pixels per SVG unit (default 2: crisp on high-density screens and in documents). */
  readonly scale?: number;
  /** Extra font files; the system's fonts are always loaded. */
  readonly fontFiles?: readonly string[];
  /** Extra folders of font files. */
  readonly fontDirs?: readonly string[];
}

interface VegaLibraries {
  readonly vegaLite: typeof import("vega-lite");
  readonly vega: typeof import("vega");
}

let vegaLibraries: Promise<VegaLibraries> | undefined;
let resvgLibrary: Promise<typeof import("@resvg/resvg-js")> | undefined;

function loadVega(): Promise<VegaLibraries> {
  vegaLibraries ??= Promise.all([import("vega-lite"), import("vega")]).then(([vegaLite, vega]) => ({ vegaLite, vega }));
  return vegaLibraries;
}

function loadResvg(): Promise<typeof import("@resvg/resvg-js")> {
  // A CommonJS package: Node exposes its exports as named bindings, other loaders only as `default`.
  resvgLibrary ??= import("@resvg/resvg-js").then((m) => (typeof m.renderAsync === "function" ? m : (m as unknown as { default: typeof m }).default));
  return resvgLibrary;
}

/** The SVG document Vega draws for a Vega-Lite spec. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vegaLite, vega } = await loadVega();
  const compiled = vegaLite.compile(spec as unknown as import("vega-lite").TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return tidySvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Vega's SVG, tidied:
 * - path coordinates to two decimals and fills as hex: Vega writes coordinates in full double
 *   precision and colours as `rgb(r, g, b)`, which makes the SVG of a chart with thousands of cells (a
 *   spectrogram) several times larger for no visible difference;
 * - rect marks drawn with crisp edges: anti-aliased, adjacent cells of a heatmap leave light seams
 *   between them (in resvg and in browsers); axis-aligned bars lose nothing;
 * - gradient and clip ids made from the content: Vega numbers them with process-wide counters, so the
 *   same chart would differ from one render to the next, while two different charts inline in one
 *   notebook page must not share an id (the second would draw with the first one's legend gradient).
 */
function tidySvg(svg: string): string {
  const hex = (c: string) => Number(c).toString(16).padStart(2, "0");
  return contentIds(svg)
    .replace(/<g class="mark-rect /g, '<g shape-rendering="crispEdges" class="mark-rect ')
    .replace(/ d="([^"]*)"/g, (_, d: string) => ` d="${d.replace(/-?\d+\.\d{3,}(?:e-?\d+)?/g, (n) => String(Math.round(Number(n) * 100) / 100))}"`)
    .replace(/ fill="rgb\((\d+), (\d+), (\d+)\)"/g, (_, r: string, g: string, b: string) => ` fill="#${hex(r)}${hex(g)}${hex(b)}"`);
}

const DEF_REFERENCE = /(id="|url\(#)((?:p_)?gradient_|clip)(\d+)(?=[")])/g;

/** Vega's def ids renumbered in order of appearance, each suffixed with a hash of the whole SVG. */
function contentIds(svg: string): string {
  const numbers = new Map<string, number>();
  const canonical = svg.replace(DEF_REFERENCE, (_, lead: string, kind: string, n: string) => {
    const key = kind + n;
    if (!numbers.has(key)) numbers.set(key, numbers.size);
    return `${lead}${kind}${numbers.get(key)}\u0000`;
  });
  if (numbers.size === 0) return svg;
  const tag = createHash("sha256").update(canonical).digest("hex").slice(0, 10);
  return canonical.replaceAll("\u0000", `-${tag}`);
}

/** The SVG rasterised to PNG bytes. */
export async function renderPng(svg: string, options: PngOptions = {}): Promise<Uint8Array> {
  const resvg = await loadResvg();
  const image = await resvg.renderAsync(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    background: "white",
    font: { loadSystemFonts: true, fontFiles: [...(options.fontFiles ?? [])], fontDirs: [...(options.fontDirs ?? [])] },
    logLevel: "off",
  });
  const png = image.asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
