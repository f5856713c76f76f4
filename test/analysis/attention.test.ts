/**
 * Attention on a set where only one part of each clip carries the label: 3-second clips of noise
 * whose middle second holds a tone, low (about 500 Hz) or high (about 1400 Hz) by class. A token
 * attention model (each half-second token encoded alone, so its attention can only follow the
 * content) must attend to the middle; the per-class profile, the top steps, the per-file weights and
 * the most attended window (`segments`) must all say so.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { attention, embedding, neighbours, segments } from "../../core/analysis/index.ts";
import { loadAudio } from "../../core/audio/load.ts";
import { encodeWav16 } from "../../core/dataset/wav.ts";
import { mulberry32 } from "../../core/random.ts";
import { buildDataset, createRegistry, train, type Registry, type Run } from "../../index.ts";
import { runClave, tempDir } from "../helpers.ts";

const dir = tempDir("clave-attention-");
const sr = 22050;
const TONES: Record<string, number> = { low: 500, high: 1400 };
const quiet = { onWarning: () => {}, progress: false } as const;
let registry: Registry;
let run: Run;

/** Noise throughout; a tone of the class (± 5%) from 1 s to 2 s. */
function clip(hz: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const y = new Float32Array(3 * sr);
  for (let i = 0; i < y.length; i++) y[i] = 0.2 * (2 * random() - 1);
  const f = hz * (0.95 + 0.1 * random());
  for (let i = sr; i < 2 * sr; i++) y[i] += 0.5 * Math.sin((2 * Math.PI * f * i) / sr);
  return y;
}

beforeAll(async () => {
  registry = await createRegistry();
  const root = join(dir, "tones");
  for (const [label, hz] of Object.entries(TONES)) {
    mkdirSync(join(root, label), { recursive: true });
    for (let k = 0; k < 16; k++) writeFileSync(join(root, label, `clip${String(k).padStart(2, "0")}.wav`), encodeWav16(clip(hz, 1000 * hz + k), sr));
  }
  const ds = await buildDataset({ source: "folder", params: { path: root }, out: join(root, "manifest.csv"), seed: 1, ratios: [0.6, 0.15, 0.25], onWarning: () => {} });
  run = await train({
    model: "cnn_token_attention",
    params: { tokens: 6 },
    features: "melspectrogram",
    featureParams: { n_mels: 32 },
    dataset: ds,
    epochs: 10,
    segment: null,
    runs: join(dir, "runs"),
    registry,
    ...quiet,
  });
}, 180_000);

describe("attention", () => {
  test("each class attends to the middle second, where the label is", async () => {
    const result = await attention(run, { split: "all", top: 2, registry, ...quiet });
    expect(run.evaluation.track!.accuracy).toBe(1);
    const profile = result.tables.profile.objects() as { label: string; step: number; start_s: number; end_s: number; mean: number }[];
    for (const label of Object.keys(TONES)) {
      const mine = profile.filter((p) => p.label === label);
      expect(mine.length).toBe(6);
      expect(mine.reduce((s, p) => s + p.mean, 0)).toBeCloseTo(1, 5);
      expect(mine[2]).toMatchObject({ start_s: 1, end_s: 1.5 });
      const peak = mine.reduce((a, b) => (b.mean > a.mean ? b : a));
      expect([2, 3]).toContain(peak.step);
      // The middle third holds more than its uniform share (1/3) of the attention.
      expect(mine[2].mean + mine[3].mean).toBeGreaterThan(0.4);
    }
    const top = result.main.objects() as { label: string; rank: number; step: number; vs_uniform: number }[];
    expect(top.length).toBe(4);
    for (const t of top.filter((r) => r.rank === 1)) {
      expect([2, 3]).toContain(t.step);
      expect(t.vs_uniform).toBeGreaterThan(1);
    }
    for (const f of ["top.csv", "profile.csv", "attention.svg"]) expect(existsSync(join(result.out!, f))).toBe(true);
  }, 60_000);

  test("one file's attention per segment; from the CLI with --file", async () => {
    const file = join(dir, "probe.wav");
    writeFileSync(file, encodeWav16(clip(1400, 77), sr));
    const result = await attention(run, { file, registry, out: false, ...quiet });
    const rows = result.tables.file.objects() as { segment: number; step: number; start_s: number; weight: number; predicted: string }[];
    expect(rows.length).toBe(6);
    expect(rows.reduce((s, r) => s + r.weight, 0)).toBeCloseTo(1, 5);
    expect(rows[0].predicted).toBe("high");
    const peak = rows.reduce((a, b) => (b.weight > a.weight ? b : a));
    expect(peak.start_s).toBeGreaterThanOrEqual(1);
    expect(peak.start_s).toBeLessThan(2);
    expect(Object.keys(result.charts)).toEqual(["attention", "file"]);
    const cli = runClave(["analyze", run.dir, "attention", "--file", file, "--out", join(dir, "cli")]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain("attention of run");
    expect(existsSync(join(dir, "cli", "file.svg"))).toBe(true);
    const missing = runClave(["analyze", run.dir, "attention", "--file", join(dir, "missing.wav"), "--out", join(dir, "cli2")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(join(dir, "missing.wav"));
  }, 120_000);

  test("segments: the most attended second of each clip is its middle one, cut out as a WAV", async () => {
    const result = await segments(run, { split: "all", window: 1, per_class: 2, registry, ...quiet });
    const rows = result.main.objects() as { file: string; track: string; label: string; start_s: number; end_s: number; score: number; by: string }[];
    expect(rows.length).toBe(4);
    for (const r of rows) {
      expect(r.by).toBe("attention");
      expect(r.start_s).toBe(1);
      expect(r.end_s).toBe(2);
      expect(r.score).toBeGreaterThan(1);
      const audio = await loadAudio(join(result.out!, r.file), { sr });
      expect(audio.y.length).toBe(sr);
    }
    expect(rows.map((r) => r.label)).toEqual(["high", "high", "low", "low"]);
  }, 60_000);

  test("the token CNN's 128-d embeddings (a tap its plugin names) as the embedding's and the centroids' vectors", async () => {
    const result = await embedding(run, { source: "embeddings", split: "all", methods: ["pca"], dims: [2], registry, out: false, ...quiet });
    expect(result.notes[0]).toBe("vectors: embeddings of all splits, a point per segment");
    const summary = result.main.objects() as { points: number; trustworthiness: number }[];
    expect(summary[0].points).toBe(32);
    const near = await neighbours(run, { source: "embeddings", registry, out: false, ...quiet });
    expect(near.tables.centroids.columnNames().length).toBe(2 + 128);
    await expect(embedding(run, { source: "nothing", registry, out: false, ...quiet })).rejects.toThrow(/no output "nothing" \(it has: features, penultimate, attention, embeddings, probabilities\)/);
  }, 60_000);
});
