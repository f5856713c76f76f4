import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readNpy } from "../../index.ts";
import { CC_AUDIO, ROOT, runClave, tempDir } from "../helpers.ts";

const dir = tempDir();
const indexTs = JSON.stringify(join(ROOT, "index.ts"));
writeFileSync(
  join(dir, "loudest.ts"),
  `import { defineFeature, ndarray, z } from ${indexTs};
export default defineFeature({
  name: "loudest",
  description: "The largest absolute sample of the clip.",
  params: z.object({ scale: z.number().positive().default(1).describe("multiplier") }),
  shape: () => [1],
  extract: ({ y }, p) => ndarray(Float32Array.of(p.scale * y.reduce((m, v) => Math.max(m, Math.abs(v)), 0)), [1]),
});`,
);
writeFileSync(
  join(dir, "broken.ts"),
  `import { defineModel, z } from ${indexTs};
export default defineModel({ name: "broken", description: "no hooks", params: z.object({}) } as never);`,
);
writeFileSync(join(dir, "throws.ts"), `throw new Error("boom at import");`);

describe("clave plugins", () => {
  test("--json lists the built-ins with their params", () => {
    const { code, stdout } = runClave(["plugins", "--json"]);
    expect(code).toBe(0);
    const plugins = JSON.parse(stdout) as { kind: string; name: string; params: { name: string }[] }[];
    const names = plugins.map((p) => `${p.kind}:${p.name}`);
    expect(names).toEqual(expect.arrayContaining(["source:folder", "feature:rms", "model:mlp"]));
    for (const p of plugins) expect(Array.isArray(p.params)).toBe(true);
    expect(plugins.find((p) => p.name === "mlp")!.params.map((p) => p.name)).toContain("hidden_units");
  }, 120_000);

  test("--kind filters, and a bad kind is a usage error (exit 2)", () => {
    const models = JSON.parse(runClave(["plugins", "--kind", "model", "--json"]).stdout) as { kind: string }[];
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((p) => p.kind === "model")).toBe(true);
    const bad = runClave(["plugins", "--kind", "filters"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--kind filters: expected one of source, feature, model");
  }, 120_000);

  test("a plugin file given with --plugin is listed and runs", async () => {
    const { code, stdout } = runClave(["--plugin", join(dir, "loudest.ts"), "plugins", "--json", "--kind", "feature"]);
    expect(code).toBe(0);
    const loudest = (JSON.parse(stdout) as { name: string; origin: string; params: { name: string; default: unknown }[] }[]).find(
      (p) => p.name === "loudest",
    )!;
    expect(loudest.origin).toBe(join(dir, "loudest.ts"));
    expect(loudest.params).toEqual([{ name: "scale", type: "number", required: false, default: 1, description: "multiplier" }] as never);

    // ... and runs: extracted from a real recording, with a param from the command line.
    const out = join(dir, "out");
    const clip = join(CC_AUDIO, "sorohanro_-_solo-trumpet-06.hq.ogg");
    const extracted = runClave(["--plugin", join(dir, "loudest.ts"), "features", "extract", clip, "--features", "loudest,rms", "--param", "loudest.scale=2", "--out", out, "--no-cache"]);
    expect(extracted.stderr).toBe("");
    expect(extracted.code).toBe(0);
    const loud = await readNpy(join(out, "loudest.npy"));
    const rms = await readNpy(join(out, "rms.npy"));
    expect(loud.shape).toEqual([1]);
    expect(rms.shape[0]).toBe(1);
    // Twice the peak is above the loudest frame's RMS and below 2 (samples are within [-1, 1)).
    expect(loud.data[0]).toBeGreaterThan(Math.max(...(rms.data as Float32Array)));
    expect(loud.data[0]).toBeLessThanOrEqual(2);
  }, 120_000);

  test("a malformed plugin is refused with its file and what is wrong (exit 1)", () => {
    const broken = runClave(["--plugin", join(dir, "broken.ts"), "plugins"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`plugin "broken" (${join(dir, "broken.ts")}): build: missing hook`);
    const throws = runClave(["--plugin", join(dir, "throws.ts"), "plugins"]);
    expect(throws.code).toBe(1);
    expect(throws.stderr).toContain(`${join(dir, "throws.ts")}: cannot load module: boom at import`);
    const missing = runClave(["--plugin", join(dir, "nope.ts"), "plugins"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, "nope.ts")}: plugin file not found`);
  }, 120_000);
});

describe("clave usage", () => {
  test("--help on every command exits 0 and explains", () => {
    const top = runClave(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Usage: clave");
    for (const command of ["plugins", "doctor"]) {
      const help = runClave([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: clave ${command}`);
    }
  }, 120_000);

  test("an unknown command or option exits 2", () => {
    expect(runClave(["frobnicate"]).code).toBe(2);
    expect(runClave(["plugins", "--frob"]).code).toBe(2);
  }, 120_000);
});

describe("clave doctor", () => {
  test("reports the backend it chose and each tool with its install command", () => {
    const { code, stdout } = runClave(["doctor", "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      backend: { choice: string; tfBackend: string; skipped: Record<string, string> };
      tools: { name: string; ok: boolean; install: string }[];
    };
    // tfjs-node cannot install on this kind of machine, so wasm comes up; it must really run wasm.
    expect(["node-gpu", "node", "wasm"]).toContain(report.backend.choice);
    if (report.backend.choice === "wasm") expect(report.backend.tfBackend).toBe("wasm");
    expect(report.tools.map((t) => t.name)).toEqual(["ffmpeg", "yt-dlp", "jupyter", "tslab"]);
    for (const tool of report.tools) expect(tool.install.length).toBeGreaterThan(0);
    expect((report as unknown as { cores: number }).cores).toBeGreaterThanOrEqual(1);
  }, 120_000);

  test("shows the wasm backend's threads (CLAVE_THREADS), and how to use more than one core", () => {
    const { code, stdout } = runClave(["doctor"], { env: { CLAVE_BACKEND: "wasm", CLAVE_THREADS: "2" } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend {3}wasm .*, 2 thread\(s\)\)$/m);
    const cores = (JSON.parse(runClave(["doctor", "--json"]).stdout) as { cores: number }).cores;
    if (cores > 1) expect(stdout).toContain(`--param workers=${cores} (data-parallel)`);
  }, 120_000);

  test("CLAVE_BACKEND forces a backend, and an unknown one fails clearly", () => {
    const cpu = JSON.parse(runClave(["doctor", "--json"], { env: { CLAVE_BACKEND: "cpu" } }).stdout) as { backend: { choice: string; tfBackend: string } };
    expect(cpu.backend).toMatchObject({ choice: "cpu", tfBackend: "cpu" });
    const bad = runClave(["doctor"], { env: { CLAVE_BACKEND: "tpu" } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("CLAVE_BACKEND=tpu: expected one of node-gpu, node, wasm, cpu");
  }, 120_000);
});
