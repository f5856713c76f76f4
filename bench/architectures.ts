/**
 * The architectures the training benchmarks run (bench/train.ts and bench/train-parallel.ts for speed,
 * bench/train-memory.ts for memory), each a clave model plugin with its params and one example's
 * shape; bench/train_torch.py builds the PyTorch twin of each from the same plugin name and params.
 * Also what those benchmarks share: the random training set and PyTorch's speed run.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "../core/random.ts";
export interface Arch {
  /** Row name. */
  name: string;
  /** Model plugin (default: `name`). */
  plugin?: string;
  params?: Record<string, unknown>;
  /** One example's shape. */
  input: number[];
  /** Whether the network has convolutions (stock wasm cannot train those). */
  conv?: boolean;
  /**
   * Small networks (a step of ~1 ms): 30x the batches per epoch, so per-epoch costs do not dominate,
   * and a warm-up run before timing, so the JIT's first few hundred steps do not either.
   */
  small?: boolean;
  /**
   * Networks with a step of ~20–30 ms: 10x the batches per epoch, so an epoch lasts long enough
   * (~1 s) that a garbage collection or a JIT pause in it does not decide the rate (at 3 batches,
   * crnn_1d_lstm's rate swung 1014–1593 samples/s between back-to-back runs).
   */
  short?: boolean;
}

/** cnn2d's plain layout (its default before the course CNN). */
export const CNN2D_PLAIN = { filters: [32, 64], batch_norm: false, pooling: "flatten", block_dropout: 0.3, dense_units: 128 };

export const ARCHS: Arch[] = [
  { name: "lstm", input: [130, 417] },
  { name: "bilstm_attention", input: [130, 417] },
  { name: "bilstm_attention_bn", input: [130, 417] },
  { name: "crnn", input: [130, 128], conv: true },
  { name: "crnn_1d_lstm", plugin: "crnn", params: { conv: "1d", rnn: "lstm" }, input: [130, 128], conv: true, short: true },
  { name: "cnn_token_attention", input: [130, 128], conv: true },
  { name: "cnn2d", input: [130, 128], conv: true },
  { name: "cnn2d_plain", plugin: "cnn2d", params: CNN2D_PLAIN, input: [130, 128], conv: true },
  { name: "dense2", input: [417], small: true },
  { name: "mlp", input: [417], small: true },
  { name: "autoencoder", input: [417], small: true },
  { name: "softmax_autoencoder", input: [417], small: true },
];

/** Classes of the benchmarks' random labels (GTZAN's 10 genres). */
export const CLASSES = 10;

/** `n` random examples of `input`'s shape in [−1, 1) (seeded) and labels cycling through the classes. */
export function randomSet(input: readonly number[], n: number, classes = CLASSES): { x: Float32Array; y: Int32Array } {
  const random = mulberry32(7);
  const x = new Float32Array(n * input.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = 2 * random() - 1;
  return { x, y: Int32Array.from({ length: n }, (_, i) => i % classes) };
}

/** The PyTorch twin bench/train_torch.py builds: the clave plugin and params, one example's shape, batch and classes. */
export interface TwinSpec {
  name: string;
  plugin: string;
  params: Record<string, unknown>;
  input: number[];
  batch: number;
  classes: number;
}

/** One architecture's PyTorch speed run (bench/train_torch.py's spec). */
export interface TorchSpeedSpec extends TwinSpec {
  warmup: number;
  steps: number;
}

export interface TorchResult {
  name: string;
  min_ms: number;
  median_ms: number;
  params: number;
}

/**
 * PyTorch's step times of the twins, by architecture name, on `threads` threads (one thread: process
 * CPU time; more: wall time, as CPU time adds the threads up).
 */
export function torchSteps(specs: readonly TorchSpeedSpec[], threads = 1): Map<string, TorchResult> {
  const t = String(threads);
  const run = spawnSync("/usr/bin/python3", [fileURLToPath(new URL("./train_torch.py", import.meta.url)), JSON.stringify(specs.map((s) => ({ ...s, threads })))], {
    encoding: "utf8",
    env: { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t },
    timeout: 1_800_000,
  });
  if (run.status !== 0) throw new Error(`bench/train_torch.py failed: ${run.stderr}`);
  const out = new Map<string, TorchResult>();
  for (const line of run.stdout.trim().split("\n")) {
    const r = JSON.parse(line) as TorchResult;
    out.set(r.name, r);
  }
  return out;
}
