/**
 * Dataset extraction throughput (part of bench/features.ts): N distinct 30 s WAV clips, the 417 set
 * plus mel and the spectral statistics, with 1 and 2 worker threads; clips/s, scaling and peak memory
 * (RSS of the process, which holds the workers). Memory is also shown for twice as many clips, to see
 * that it does not grow with the dataset.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpySync } from "../core/npy.ts";
import { encodeWav16 } from "../core/dataset/wav.ts";
import { extractDataset, type ClipJob, type FeatureJobSpec } from "../core/features/dataset.ts";

const REF = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../shared/reference/librosa");

const FEATURES: FeatureJobSpec[] = [
  { plugin: "mfcc", params: { n_mfcc: 13 }, as: "mfcc" },
  ...["chroma_stft", "spectral_contrast", "onset_strength", "tempogram", "melspectrogram", "spectral_centroid",
    "spectral_bandwidth", "spectral_rolloff", "zero_crossing_rate", "rms"].map((plugin) => ({ plugin, params: {}, as: plugin })),
];

/** n distinct 30 s clips: the reference signals, rotated and scaled differently for each. */
function makeClips(dir: string, n: number): ClipJob[] {
  const sources = ["synth", "real"].map((c) => readNpySync(join(REF, c, "y.npy")).data as Float32Array);
  const jobs: ClipJob[] = [];
  for (let i = 0; i < n; i++) {
    const src = sources[i % 2];
    const shift = (i * 7919 * 13) % src.length;
    const gain = 0.5 + 0.04 * i;
    const y = new Float32Array(src.length);
    for (let k = 0; k < y.length; k++) y[k] = src[(k + shift) % src.length] * gain;
    const path = join(dir, `clip${i}.wav`);
    writeFileSync(path, encodeWav16(y, 22050));
    jobs.push({ id: `clip${i}`, path, hash: "" });
  }
  return jobs;
}

/**
 * Each worker thread loads and JIT-compiles the library for itself: about 0.5 s of CPU over its first
 * ~10 clips, which a second worker pays while the other one works. Steady-state throughput, what a
 * dataset of thousands of clips sees, is measured after that.
 */
const WARM_CLIPS = 12;

interface Run {
  seconds: number;
  /** Clips per second once every worker is past its first WARM_CLIPS clips (module loading, JIT warm-up). */
  steady: number;
  peakMb: number;
  failed: number;
}

async function run(jobs: ClipJob[], workers: number, root: string): Promise<Run> {
  const cacheDir = mkdtempSync(join(root, "cache-"));
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const done: number[] = [];
  const result = await extractDataset(jobs, { features: FEATURES, cacheDir, workers, onClip: () => done.push(performance.now()) });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  rmSync(cacheDir, { recursive: true, force: true });
  const warm = done.slice(workers * WARM_CLIPS - 1);
  const steady = warm.length > 1 ? ((warm.length - 1) * 1000) / (warm[warm.length - 1] - warm[0]) : NaN;
  return { seconds, steady, peakMb: peak / 2 ** 20, failed: result.failures.length };
}

/**
 * How many cores this process can get right now: two threads spinning, CPU time / wall time. Linux
 * shares CPU between sessions (autogroups), so on a machine another session keeps busy, a process
 * gets about one core however many threads it runs; worker scaling is only visible when this is ~2.
 */
async function availableCores(): Promise<number> {
  const { Worker } = await import("node:worker_threads");
  const code = `const { parentPort } = require("node:worker_threads"); let x = 0; const t0 = Date.now(); while (Date.now() - t0 < 700) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i); parentPort.postMessage(x);`;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all([0, 1].map(() => new Promise((r) => { const w = new Worker(code, { eval: true }); w.once("message", () => void w.terminate().then(r)); })));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t0);
}

export async function benchDataset(perWorker = 36): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "clave-bench-"));
  try {
    const jobs = makeClips(root, 2 * perWorker);
    console.log(
      `\ndataset extraction: distinct 30 s WAV clips (decode + 417 set + mel + spectral stats + cache write), ${perWorker} per worker; steady = after each worker's first ${WARM_CLIPS}`,
    );
    await run(jobs.slice(0, 2), 1, root); // warm the file cache and the module loader
    const one = await run(jobs.slice(0, perWorker), 1, root);
    const twoHalf = await run(jobs.slice(0, perWorker), 2, root);
    const two = await run(jobs, 2, root);
    const cores = await availableCores();
    const line = (label: string, r: Run, clips: number) =>
      console.log(
        `${label.padEnd(22)} ${r.seconds.toFixed(2).padStart(6)} s  ${(clips / r.seconds).toFixed(1).padStart(5)} clips/s (steady ${r.steady.toFixed(1)})  peak RSS ${r.peakMb.toFixed(0)} MB${r.failed ? `  (${r.failed} failed)` : ""}`,
      );
    line(`1 worker, ${perWorker} clips`, one, perWorker);
    line(`2 workers, ${perWorker} clips`, twoHalf, perWorker);
    line(`2 workers, ${2 * perWorker} clips`, two, 2 * perWorker);
    const overall = (2 * perWorker) / two.seconds / (perWorker / one.seconds);
    console.log(
      `scaling 1 -> 2 workers (same clips per worker): ${(two.steady / one.steady).toFixed(2)}x steady, ${overall.toFixed(2)}x including start-up (linear: 2.00x); ` +
        `peak memory with ${2 * perWorker} vs ${perWorker} clips on 2 workers: ${(two.peakMb / twoHalf.peakMb).toFixed(2)}x`,
    );
    console.log(`cores this process could get just now (2 spinning threads, CPU/wall): ${cores.toFixed(2)} — scaling cannot exceed it`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
