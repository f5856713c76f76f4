/**
 * The five studies as notebooks: each runs top to bottom on the tslab kernel through nbconvert (no
 * --allow-errors: a failing cell fails the test), shows its figures as inline SVG and its tables as
 * HTML, and imports from "clave" alone.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "../helpers.ts";

const STUDIES = ["01-salsa-subgenres", "02-cnn-token-attention", "03-raw-audio-autoencoder", "04-crnn-sweep", "05-classical-multimodal-transfer"];
const prefix = tempDir("clave-studies-");
const tslab = join(ROOT, "node_modules", "tslab", "bin", "tslab");

type Output = { output_type: string; text?: string[]; data?: Record<string, string | string[]> };
type Notebook = { cells: { cell_type: string; source: string[]; outputs?: Output[] }[] };

function run(command: string, args: string[], env: Record<string, string> = {}): void {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 1_200_000, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
}

beforeAll(() => {
  // The kernel runs the Node build: make it from the current sources, then register tslab.
  run(process.execPath, ["scripts/build.ts"]);
  run("node", [tslab, "install", "--python=/usr/bin/python3", `--binary=${tslab}`, `--prefix=${prefix}`]);
}, 300_000);

describe("the studies' notebooks", () => {
  test("every notebook in notebooks/ is one of the studies or the tour", () => {
    expect(readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort()).toEqual(["00-tour.ipynb", ...STUDIES.map((s) => `${s}.ipynb`)]);
  });

  test("each imports from \"clave\" alone", () => {
    for (const name of ["00-tour", ...STUDIES]) {
      const notebook = JSON.parse(readFileSync(join(ROOT, "notebooks", `${name}.ipynb`), "utf8")) as Notebook;
      const code = notebook.cells.filter((c) => c.cell_type === "code").map((c) => c.source.join("")).join("\n");
      const imports = [...code.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
      expect({ name, imports: [...new Set(imports)] }).toEqual({ name, imports: ["clave"] });
    }
  });

  for (const name of STUDIES) {
    test(`${name} runs top to bottom with figures and tables`, () => {
      const output = join(prefix, `${name}.out.ipynb`);
      run(
        "jupyter",
        ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", "--ExecutePreprocessor.timeout=900", "--output", output, `notebooks/${name}.ipynb`],
        { JUPYTER_PATH: join(prefix, "share", "jupyter") },
      );
      const notebook = JSON.parse(readFileSync(output, "utf8")) as Notebook;
      const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
      expect(outputs.filter((o) => o.output_type === "error")).toEqual([]);
      const shown = (mime: string) => outputs.filter((o) => o.output_type === "display_data" && o.data?.[mime]).map((o) => ([] as string[]).concat(o.data![mime]).join(""));
      const svgs = shown("image/svg+xml");
      expect(svgs.length).toBeGreaterThanOrEqual(2);
      for (const svg of svgs) expect(svg.startsWith("<svg")).toBe(true);
      const html = shown("text/html");
      expect(html.some((h) => h.includes("<table"))).toBe(true);
      // Every markdown cell is prose about the step, and no cell printed raw object internals.
      expect(outputs.flatMap((o) => o.text ?? []).join("")).not.toContain("_data:");
    }, 1_200_000);
  }

  test("the salsa study plays its representative segments", () => {
    const notebook = JSON.parse(readFileSync(join(prefix, "01-salsa-subgenres.out.ipynb"), "utf8")) as Notebook;
    const html = notebook.cells.flatMap((c) => c.outputs ?? []).flatMap((o) => ([] as string[]).concat(o.data?.["text/html"] ?? []).join(""));
    expect(html.some((h) => h.includes("<audio controls") && h.includes("data:audio/wav;base64,"))).toBe(true);
  });
});
