/**
 * The synthetic source: the same seed gives the same audio bytes (twice in one run, and in Deno's
 * V8 as in Bun's JavaScriptCore); another seed gives other audio; the styles differ in rhythm.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../core/dataset/build.ts";
import { hashBytes } from "../../core/dataset/hash.ts";
import { encodeWav16 } from "../../core/dataset/wav.ts";
import { resolveParams } from "../../core/params.ts";
import synthetic, { clipSpec, detExp, detSin, renderClip, SYNTHETIC_STYLES } from "../../plugins/sources/synthetic.ts";
import { ROOT, tempDir } from "../helpers.ts";

// Real ffmpeg runs and whole builds: slower than a unit test on a loaded 2-core machine.
const SLOW = 60_000;

const dir = tempDir("clave-synthetic-");

async function buildInto(name: string, values: Record<string, unknown>) {
  const out = join(dir, name, "manifest.csv");
  const result = await buildManifest(synthetic, resolveParams(synthetic, values) as Record<string, unknown>, { out });
  return { out, result };
}

function files(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const style of readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(join(folder, style.name))) out[`${style.name}/${f}`] = hashBytes(readFileSync(join(folder, style.name, f)));
  }
  return out;
}

describe("synthetic source", () => {
  test("the same seed gives the same bytes, file by file, and the same manifest", async () => {
    const a = await buildInto("a", { per_class: 4, seconds: 2, seed: 11 });
    const b = await buildInto("b", { per_class: 4, seconds: 2, seed: 11 });
    expect(Object.keys(files(join(dir, "a")))).toHaveLength(12);
    expect(files(join(dir, "b"))).toEqual(files(join(dir, "a")));
    expect(readFileSync(b.out, "utf8")).toBe(readFileSync(a.out, "utf8"));
    // open() gives the samples that were written.
    const row = a.result.manifest.rows[5];
    const signal = await synthetic.open!({ id: row.id, label: row.label }, resolveParams(synthetic, { per_class: 4, seconds: 2, seed: 11 }), { sr: 22050 });
    expect(hashBytes(encodeWav16(signal.y, signal.sr))).toBe(row.hash);
  }, SLOW);

  test("another seed gives other audio; clips within a seed all differ", async () => {
    const c = await buildInto("c", { per_class: 4, seconds: 2, seed: 12 });
    const a = files(join(dir, "a"));
    const hashes = Object.values(files(join(dir, "c")));
    expect(new Set(hashes).size).toBe(12);
    for (const h of hashes) expect(Object.values(a)).not.toContain(h);
    expect(c.result.manifest.rows.map((r) => r.extra.tempo_bpm)).not.toEqual((await buildInto("a2", { per_class: 4, seconds: 2, seed: 11 })).result.manifest.rows.map((r) => r.extra.tempo_bpm));
  }, SLOW);

  test("Deno (V8) renders the same bytes as Bun (JavaScriptCore)", () => {
    const deno = spawnSync(join(ROOT, "node_modules", ".bin", "deno"), ["run", "-A", "test/dataset/render-synthetic.ts"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    expect(deno.stderr).toBe("");
    expect(deno.status).toBe(0);
    const here = SYNTHETIC_STYLES.map((s) => hashBytes(encodeWav16(renderClip(clipSpec(s, 2, 5), 1.5, 22050, 0.004), 22050)));
    expect(JSON.parse(deno.stdout.trim().split("\n").pop()!)).toEqual(here);
  }, SLOW);

  test("deterministic sin and exp agree with Math's to 1e-9", () => {
    for (let x = -50; x <= 50; x += 0.37) expect(Math.abs(detSin(x) - Math.sin(x))).toBeLessThan(1e-9);
    for (let x = -30; x <= 5; x += 0.11) expect(Math.abs(detExp(x) - Math.exp(x)) / Math.exp(x)).toBeLessThan(1e-12);
  }, SLOW);

  test("clip length, and a random level per clip", () => {
    const sr = 22050;
    const y = renderClip(clipSpec("son_clave", 0, 1), 3, sr, 0);
    expect(y.length).toBe(3 * sr);
    const peak = y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThanOrEqual(0.25 - 1e-6);
    expect(peak).toBeLessThanOrEqual(0.9 + 1e-6);
    // Levels are random per clip, so loudness does not give the style away.
    const peaks = [0, 1, 2, 3, 4, 5].map((i) => renderClip(clipSpec("dance_beat", i, 1), 1, sr, 0).reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    expect(Math.max(...peaks) - Math.min(...peaks)).toBeGreaterThan(0.1);
  }, SLOW);

  test("params are validated: styles, per_class, seconds", () => {
    expect(() => resolveParams(synthetic, { styles: ["polka"] })).toThrow("styles");
    expect(() => resolveParams(synthetic, { per_class: 0 })).toThrow("per_class");
    expect(resolveParams(synthetic, {})).toMatchObject({ per_class: 20, seconds: 5, seed: 0, sr: 22050 });
  }, SLOW);
});
