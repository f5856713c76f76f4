/**
 * A chart: a Vega-Lite spec that renders itself. Builders (confusionChart, specshowChart, ...) are pure
 * functions of their data; drawing happens only when asked, with the renderers loaded on first use.
 */
import { extname } from "node:path";
import { writeFileAtomic } from "../fsutil.ts";
import { notebookDisplay } from "../display.ts";
import { renderPng, renderSvg, type PngOptions } from "./render.ts";
import { ChartError, size, type VegaLiteSpec } from "./spec.ts";

export class Chart {
  #svg: Promise<string> | undefined;
  #drawn: string | undefined;

  constructor(
    /** What the chart shows, e.g. "confusion matrix" (for messages and the REPL). */
    readonly kind: string,
    /** The Vega-Lite spec: paste it into https://vega.github.io/editor or embed it with vega-embed. */
    readonly spec: VegaLiteSpec,
  ) {}

  /** The chart as a standalone SVG document (drawn once, then kept). */
  toSVG(): Promise<string> {
    this.#svg ??= renderSvg(this.spec).then((svg) => (this.#drawn = svg));
    return this.#svg;
  }

  /** Draw the chart now, so that printing it (a notebook cell's value) can show the figure. */
  async draw(): Promise<this> {
    await this.toSVG();
    return this;
  }

  /** The chart as PNG bytes; `scale` is pixels per SVG unit (default 2). */
  async toPNG(options: PngOptions = {}): Promise<Uint8Array> {
    size(this.kind, "scale", options.scale, 2);
    return renderPng(await this.toSVG(), options);
  }

  /** Write the chart to `path`, SVG or PNG by its extension, atomically (a reader never sees half a file). */
  async save(path: string, options: PngOptions = {}): Promise<void> {
    const ext = extname(path).toLowerCase();
    if (ext !== ".svg" && ext !== ".png") {
      throw new ChartError(this.kind, `cannot save ${path}: the file name must end in .svg or .png`);
    }
    await writeFileAtomic(path, ext === ".svg" ? await this.toSVG() : await this.toPNG(options));
  }

  /**
   * Draw the chart in a tslab notebook cell (inline SVG, which nbconvert keeps, unlike Vega-Lite
   * output) and return the SVG; outside tslab it only returns the SVG. Use `await chart.show()`.
   */
  async show(): Promise<string> {
    const svg = await this.toSVG();
    notebookDisplay()?.svg(svg);
    return svg;
  }

  /** `JSON.stringify(chart)` is the Vega-Lite spec. */
  toJSON(): VegaLiteSpec {
    return this.spec;
  }

  /**
   * tslab prints a cell's value with util.inspect: a drawn chart (from `plot.*` or `draw()`) shows as
   * the figure there; otherwise, and outside notebooks, a line, not the whole spec.
   */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const display = notebookDisplay();
    if (display && this.#drawn !== undefined) {
      display.svg(this.#drawn);
      return `Chart(${this.kind})`;
    }
    return `Chart(${this.kind}) — await chart.show() draws it; chart.save("figure.png") writes it`;
  }
}
