/**
 * The same toolkit from every runtime it promises: Bun (sources), Node 20 (the build, as ESM and as
 * CommonJS), Deno (sources, npm packages from node_modules) and a Jupyter notebook on the tslab kernel.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createRegistry } from "../../index.ts";
import { ROOT, tempDir } from "../helpers.ts";

const EXPECTED = ["source:folder", "feature:rms", "model:mlp"];

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 300_000, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function lastJsonLine(stdout: string): string[] {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as string[];
}

beforeAll(() => {
  // The Node and notebook checks run the build, so build it from the current sources.
  run(process.execPath, ["scripts/build.ts"]);
}, 120_000);

describe("runtimes list the plugins", () => {
  test("Bun, from the TypeScript sources", async () => {
    const registry = await createRegistry({ config: false });
    expect(registry.describe().map((p) => `${p.kind}:${p.name}`)).toEqual(expect.arrayContaining(EXPECTED));
  }, 300_000);

  test("Node 20, ESM import of the build", () => {
    const script = `import { createRegistry } from "clave";
const r = await createRegistry({ config: false });
console.log(process.versions.node.split(".")[0], JSON.stringify(r.describe().map((p) => p.kind + ":" + p.name)));`;
    const out = run("node", ["--input-type=module", "-e", script]).trim();
    const [major, json] = [out.slice(0, out.indexOf(" ")), out.slice(out.indexOf(" ") + 1)];
    expect(Number(major)).toBeGreaterThanOrEqual(20);
    expect(JSON.parse(json)).toEqual(expect.arrayContaining(EXPECTED));
  }, 300_000);

  test("Node 20, CommonJS require of the build (what tslab compiles cells to)", () => {
    const script = `const { createRegistry } = require("clave");
createRegistry({ config: false }).then((r) => console.log(JSON.stringify(r.describe().map((p) => p.kind + ":" + p.name))));`;
    expect(lastJsonLine(run("node", ["-e", script]))).toEqual(expect.arrayContaining(EXPECTED));
  }, 300_000);

  test("Deno, from the TypeScript sources", () => {
    const deno = join(ROOT, "node_modules", ".bin", "deno");
    expect(lastJsonLine(run(deno, ["run", "-A", "test/runtime/list-plugins.ts"]))).toEqual(expect.arrayContaining(EXPECTED));
  }, 300_000);

  test("the tour notebook, executed headless on the tslab kernel: figures as SVG, tables as HTML", () => {
    const prefix = tempDir("clave-jupyter-");
    run("node", [join(ROOT, "node_modules", "tslab", "bin", "tslab"), "install", "--python=/usr/bin/python3", `--binary=${join(ROOT, "node_modules", "tslab", "bin", "tslab")}`, `--prefix=${prefix}`]);
    const output = join(prefix, "out.ipynb");
    // No --allow-errors: nbconvert exits 1 on a failing cell, which fails this test.
    run(
      "jupyter",
      ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", "--ExecutePreprocessor.timeout=300", "--output", output, "notebooks/00-tour.ipynb"],
      { JUPYTER_PATH: join(prefix, "share", "jupyter") },
    );
    type Output = { output_type: string; text?: string[]; data?: Record<string, string | string[]> };
    const notebook = JSON.parse(readFileSync(output, "utf8")) as { cells: { outputs?: Output[] }[] };
    const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.some((o) => o.output_type === "error")).toBe(false);
    const shown = (mime: string) => outputs.filter((o) => o.output_type === "display_data" && o.data?.[mime]).map((o) => ([] as string[]).concat(o.data![mime]).join(""));
    const svgs = shown("image/svg+xml");
    // balance, two spectrograms, confusion matrix, training curves
    expect(svgs.length).toBe(5);
    for (const svg of svgs) expect(svg.startsWith("<svg")).toBe(true);
    expect(svgs.some((s) => s.includes("Predicted label"))).toBe(true);
    const tables = shown("text/html");
    expect(tables.length).toBeGreaterThanOrEqual(4);
    for (const html of tables) expect(html).toContain("<table");
    const text = outputs.flatMap((o) => o.text ?? []).join("");
    // Keras-style progress: a line per epoch; the model's layers; every plugin in the last table.
    expect(text).toMatch(/dense2 +1\/12 /);
    expect(text).toContain("Total params");
    for (const name of EXPECTED) expect(tables.at(-1)).toContain(name.split(":")[1]);
    expect(text).not.toContain("_data");
  }, 300_000);
});
