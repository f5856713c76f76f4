/**
 * The synthetic source: the same seed gives the same audio bytes (twice in one run, and in Deno's
 * V8 as in Bun's JavaScriptCore); another seed gives other audio; the styles differ in rhythm;
 * difficulty blurs what else tells them apart.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildManifest } from "../../core/dataset/build.ts";
import { hashBytes } from "../../core/dataset/hash.ts";
import { encodeWav16 } from "../../core/dataset/wav.ts";
import { resolveParams } from "../../core/params.ts";
import synthetic, { clipSpec, DEFAULT_DIFFICULTY, detExp, detSin, renderClip, SYNTHETIC_STYLES } from "../../plugins/sources/synthetic.ts";
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
    const here = (difficulty: number) => SYNTHETIC_STYLES.map((s) => hashBytes(encodeWav16(renderClip(clipSpec(s, 2, 5, difficulty), 1.5, 22050, 0.004), 22050)));
    expect(JSON.parse(deno.stdout.trim().split("\n").pop()!)).toEqual([...here(0), ...here(DEFAULT_DIFFICULTY)]);
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
    expect(resolveParams(synthetic, {})).toMatchObject({ per_class: 20, seconds: 5, seed: 0, sr: 22050, difficulty: DEFAULT_DIFFICULTY });
    expect(DEFAULT_DIFFICULTY).toBeGreaterThan(0);
    expect(() => resolveParams(synthetic, { difficulty: 1.5 })).toThrow("difficulty");
  }, SLOW);

  test("difficulty 0 renders the clips of the styles alone; above, each clip other audio from the same seed", () => {
    const sr = 22050;
    for (const style of SYNTHETIC_STYLES) {
      const easy = renderClip(clipSpec(style, 3, 1, 0), 1, sr, 0.004);
      const hard = renderClip(clipSpec(style, 3, 1, DEFAULT_DIFFICULTY), 1, sr, 0.004);
      expect(Array.from(renderClip(clipSpec(style, 3, 1), 1, sr, 0.004))).toEqual(Array.from(easy));
      expect(Array.from(renderClip(clipSpec(style, 3, 1, DEFAULT_DIFFICULTY), 1, sr, 0.004))).toEqual(Array.from(hard));
      expect(Array.from(hard)).not.toEqual(Array.from(easy));
      expect(hard.length).toBe(easy.length);
    }
  }, SLOW);

  test("tempo gives the son away at difficulty 0, not at the default: the styles' tempo ranges overlap", () => {
    const tempi = (difficulty: number) =>
      Object.fromEntries(SYNTHETIC_STYLES.map((s) => [s, Array.from({ length: 60 }, (_, i) => clipSpec(s, i, 0, difficulty).tempo)])) as Record<string, number[]>;
    // The best tempo threshold between son and the rest, as an accuracy.
    const separable = (t: Record<string, number[]>) => {
      const son = t.son_clave;
      const rest = [...t.rumba_clave, ...t.dance_beat];
      let best = 0;
      for (let cut = 80; cut <= 210; cut++) {
        const right = son.filter((v) => v >= cut).length + rest.filter((v) => v < cut).length;
        best = Math.max(best, right / (son.length + rest.length));
      }
      return best;
    };
    expect(separable(tempi(0))).toBe(1);
    const blurred = tempi(DEFAULT_DIFFICULTY);
    expect(separable(blurred)).toBeLessThan(1);
    expect(Math.min(...blurred.son_clave)).toBeLessThan(Math.max(...blurred.rumba_clave));
    expect(Math.min(...blurred.son_clave)).toBeLessThan(Math.max(...blurred.dance_beat));
    // The modes too: sons in minor, dance beats in major, at the default only.
    const modes = (difficulty: number, style: (typeof SYNTHETIC_STYLES)[number]) => new Set(Array.from({ length: 60 }, (_, i) => clipSpec(style, i, 0, difficulty).mode));
    expect([...modes(0, "son_clave")]).toEqual(["major"]);
    expect(modes(DEFAULT_DIFFICULTY, "son_clave").size).toBe(2);
    expect(modes(DEFAULT_DIFFICULTY, "dance_beat").size).toBe(2);
  }, SLOW);
});
