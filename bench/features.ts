/**
 * Feature extraction speed against librosa (bench, not a test): `npx bun bench/features.ts`.
 *
 * 1. One decoded 30 s clip, one core: the 417-dim set (mfcc 13, chroma_stft, spectral_contrast,
 *    onset_strength, tempogram) plus the mel spectrogram and the spectral statistics (centroid,
 *    bandwidth, rolloff, zero-crossing rate, rms), sharing one STFT: warm median vs librosa's
 *    "ALL (shared STFT)" in the reference meta.json, and the FFT-only floor (the STFT alone).
 * 2. Per-feature breakdown (each in a fresh context, so each pays its own STFT).
 * 3. Dataset extraction with 1 and 2 worker threads (`--skip-dataset` to leave out): clips/s, scaling
 *    and peak memory.
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpySync } from "../core/npy.ts";
import type { FeaturePlugin, Signal } from "../core/plugin.ts";
import { createFeatureContext, extractFeatures, type FeatureRequest } from "../core/features/extract.ts";
import { powerSpectrogram } from "../core/dsp/stft.ts";
import { builtinPlugins } from "../plugins/index.ts";

const REF = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../shared/reference/librosa");
const meta = JSON.parse(readFileSync(join(REF, "synth/meta.json"), "utf8")) as {
  timings: Record<string, { warm_median_s: number }>;
};
const librosaAll = meta.timings["ALL (shared STFT)"].warm_median_s;
const librosaStft = meta.timings["stft only"].warm_median_s;

const feature = (name: string) => builtinPlugins.find((p) => p.kind === "feature" && p.name === name) as FeaturePlugin;
const SET: FeatureRequest[] = [
  { plugin: feature("mfcc"), params: { n_mfcc: 13 } },
  { plugin: feature("chroma_stft") },
  { plugin: feature("spectral_contrast") },
  { plugin: feature("onset_strength") },
  { plugin: feature("tempogram") },
  { plugin: feature("melspectrogram") },
  { plugin: feature("spectral_centroid") },
  { plugin: feature("spectral_bandwidth") },
  { plugin: feature("spectral_rolloff") },
  { plugin: feature("zero_crossing_rate") },
  { plugin: feature("rms") },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Warm median wall time in seconds; `cpu` receives the median CPU time (what a busy shared machine does not inflate). */
async function timeIt(reps: number, f: () => unknown, warmup = 6, cpu?: (s: number) => void): Promise<number> {
  for (let i = 0; i < warmup; i++) await f(); // until the JIT has settled
  const times: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    times.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  cpu?.(median(cpus));
  return median(times);
}

const signal: Signal = { y: readNpySync(join(REF, "synth/y.npy")).data as Float32Array, sr: 22050 };
const reps = 15;
console.log(`clip: 30 s synth, ${signal.y.length} samples at ${signal.sr} Hz; warm medians of ${reps} runs, one core`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (2 cores shared: numbers are only meaningful near 0)\n`);

let allCpu = NaN, fftCpu = NaN;
const all = await timeIt(reps, () => extractFeatures(signal, SET), 12, (c) => (allCpu = c));
const fft = await timeIt(reps, () => powerSpectrogram(signal.y, { nFft: 2048, hopLength: 512 }), 6, (c) => (fftCpu = c));
const row = (label: string, s: number, extra = "") => console.log(`${label.padEnd(44)} ${(s * 1000).toFixed(1).padStart(7)} ms ${extra}`);
row("clave: 417 set + mel + spectral stats", all, `(${(librosaAll / all).toFixed(2)}x faster than librosa; target >= 3x; CPU time ${(allCpu * 1000).toFixed(1)} ms)`);
row("librosa: ALL (shared STFT), meta.json", librosaAll);
console.log(`${"ratio clave / librosa".padEnd(44)} ${(all / librosaAll).toFixed(3).padStart(7)}    (target <= 0.333)`);
row("clave: STFT only (FFT floor)", fft, `(librosa stft only: ${(librosaStft * 1000).toFixed(1)} ms; CPU time ${(fftCpu * 1000).toFixed(1)} ms)`);

console.log("\nper feature, each alone (own STFT):");
for (const r of SET) {
  const t = await timeIt(7, () => extractFeatures(signal, [r]), 3);
  row(`  ${r.plugin.name}`, t);
}
console.log("\nincremental cost inside one shared context (after the STFT):");
{
  const times = new Map<string, number[]>();
  for (let rep = 0; rep < 12; rep++) {
    const ctx = createFeatureContext();
    let t0 = performance.now();
    for (const r of SET) {
      await extractFeatures(signal, [r], { ctx });
      const t1 = performance.now();
      const list = times.get(r.plugin.name) ?? [];
      list.push((t1 - t0) / 1000);
      times.set(r.plugin.name, list);
      t0 = t1;
    }
  }
  for (const [name, ts] of times) row(`  + ${name}`, median(ts.slice(5)));
}

console.log(`\nload average: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
if (!process.argv.includes("--skip-dataset")) {
  const { benchDataset } = await import("./features-dataset.ts");
  await benchDataset();
}
