/**
 * Charts render on every runtime clave promises: Deno from the sources, Node from a CommonJS bundle
 * made as scripts/build.ts makes dist/cjs (vega is ESM-only with top-level await, so it must stay a
 * dynamic import there), and a tslab notebook, where `await chart.show()` puts the SVG in the cell.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT, tempDir } from "../helpers.ts";

// Inside the repository so that the bundle's `import("vega")` resolves from node_modules, as it does
// for dist/cjs; removed at the end.
const BUNDLES = join(ROOT, "node_modules", ".cache", `clave-charts-test-${process.pid}`);
const SAMPLE = join(BUNDLES, "runtime-sample.cjs");
const LIBRARY = join(BUNDLES, "charts.cjs");
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function run(command: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 300_000, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** scripts/build.ts's CommonJS options. */
async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "warning",
    define: { "import.meta.url": "__clave_import_meta_url" },
    banner: { js: 'const __clave_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  });
}

interface SampleOutput {
  kind: string;
  svg: string;
  svgLength: number;
  texts: string[];
  png: number[];
  pngLength: number;
}

function expectSample(stdout: string): void {
  const out = JSON.parse(stdout.trim().split("\n").at(-1)!) as SampleOutput[];
  expect(out.map((o) => o.kind)).toEqual(["confusion matrix", "specshow", "waveform"]);
  expect(out.map((o) => o.texts)).toEqual([["salsa"], ["C#"], ["tone"]]);
  for (const o of out) {
    expect(o.svg).toBe("<svg");
    expect(o.svgLength).toBeGreaterThan(5000);
    expect(o.png).toEqual(PNG_SIGNATURE);
    expect(o.pngLength).toBeGreaterThan(5000);
  }
}

beforeAll(async () => {
  mkdirSync(BUNDLES, { recursive: true });
  await bundle(join(ROOT, "test", "charts", "runtime-sample.ts"), SAMPLE);
  await bundle(join(ROOT, "core", "charts", "index.ts"), LIBRARY);
}, 60_000);
afterAll(() => rmSync(BUNDLES, { recursive: true, force: true }));

describe("charts on every runtime", () => {
  test("the CommonJS bundle loads the renderers with import(), never require()", () => {
    const code = readFileSync(LIBRARY, "utf8");
    for (const name of ["vega", "vega-lite", "@resvg/resvg-js"]) {
      expect(code).toContain(`import("${name}")`);
      expect(code).not.toContain(`require("${name}")`);
    }
  });

  test("Node 20, CommonJS: require() the bundle, render SVG and PNG", () => {
    expectSample(run("node", [SAMPLE]));
  }, 120_000);

  test("Deno, from the TypeScript sources", () => {
    expectSample(run(join(ROOT, "node_modules", ".bin", "deno"), ["run", "-A", "test/charts/runtime-sample.ts"]));
  }, 120_000);

  test("a tslab notebook: `await chart.show()` leaves the chart in the cell as SVG, and so does a drawn chart as a cell's value", () => {
    const prefix = tempDir("clave-charts-jupyter-");
    const tslab = join(ROOT, "node_modules", "tslab", "bin", "tslab");
    run("node", [tslab, "install", "--python=/usr/bin/python3", `--binary=${tslab}`, `--prefix=${prefix}`]);
    const cell = (source: string) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: [source] });
    const notebook = {
      cells: [
        cell(`const charts = require(${JSON.stringify(LIBRARY)});`),
        cell(`const chart = charts.confusionChart([[9, 1], [2, 8]], ["son", "salsa"], { title: "From tslab" });\nawait chart.show();`),
        cell("chart"),
      ],
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const input = join(prefix, "charts.ipynb");
    const output = join(prefix, "out.ipynb");
    writeFileSync(input, JSON.stringify(notebook));
    run(
      "jupyter",
      ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", "--ExecutePreprocessor.timeout=300", "--output", output, input],
      { JUPYTER_PATH: join(prefix, "share", "jupyter") },
    );
    type Output = { output_type: string; data?: Record<string, string | string[]>; text?: string[] };
    const cells = (JSON.parse(readFileSync(output, "utf8")) as { cells: { outputs: Output[] }[] }).cells;
    expect(cells.flatMap((c) => c.outputs).some((o) => o.output_type === "error")).toBe(false);
    const shown = cells[1].outputs.filter((o) => o.output_type === "display_data" && o.data?.["image/svg+xml"]);
    expect(shown.length).toBe(1);
    const svg = ([] as string[]).concat(shown[0].data!["image/svg+xml"]).join("");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(">From tslab<");
    expect(svg).toContain(">salsa<");
    // A drawn chart as a cell's value shows as the figure again, and prints one line, not the whole spec.
    expect(cells[2].outputs.some((o) => o.output_type === "display_data" && o.data?.["image/svg+xml"])).toBe(true);
    expect(cells[2].outputs.flatMap((o) => o.text ?? []).join("")).toContain("Chart(confusion matrix)");
  }, 300_000);
});
