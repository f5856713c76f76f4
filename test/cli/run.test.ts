/** The README's main job, as a newcomer runs it: `npx clave run` on the embedded synthetic dataset. */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runClave, tempDir } from "../helpers.ts";

describe("clave run", () => {
  test("renders the synthetic dataset, trains and evaluates the default model, and records the run", () => {
    const cwd = tempDir("clave-run-");
    // Smaller than the default so the suite stays quick; the pipeline is the same.
    const { code, stdout, stderr } = runClave(["run", "--per-class", "8", "--seconds", "4", "--epochs", "6", "--json"], { cwd });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(existsSync(join(cwd, "data", "synthetic", "manifest.csv"))).toBe(true);
    const summary = JSON.parse(stdout.slice(stdout.indexOf("{\n"))) as { dir: string; summary: { model: string; features: string; backend: string; track: { accuracy: number } } };
    expect(summary.summary).toMatchObject({ model: "lstm", features: "stack417" });
    expect(summary.summary.track.accuracy).toBeGreaterThan(1 / 3); // above chance on held-out tracks
    const files = readdirSync(summary.dir);
    for (const f of ["config.json", "dataset.json", "backend.json", "history.json", "metrics.json", "confusion.csv", "run.json", "model"]) expect(files).toContain(f);
    expect(JSON.parse(readFileSync(join(summary.dir, "backend.json"), "utf8")).choice).toBe(summary.summary.backend);

    // A second run reuses the rendered dataset and the cached features.
    const again = runClave(["run", "--per-class", "8", "--seconds", "4", "--epochs", "1"], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("rendering the synthetic dataset");
    expect(runClave(["runs", "--json"], { cwd }).stdout).toContain('"model": "lstm"');
  }, 600_000);

  test("a bad option is a usage error", () => {
    const bad = runClave(["run", "--model", "nosuchmodel"], { cwd: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no model plugin named "nosuchmodel"');
  }, 120_000);
});
