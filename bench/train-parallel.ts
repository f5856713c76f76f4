/**
 * Training on several cores (bench, not a test): `npx bun bench/train-parallel.ts [architecture ...]
 * [--workers N] [--steps N] [--epochs N] [--no-torch]`.
 *
 * For each architecture of bench/architectures.ts, its clave plugin (default params) trains on random
 * data through its real `fit` on tfjs's wasm backend, first on one thread (`workers: 1`), then
 * data-parallel on `--workers` threads (default 2: each batch split among the threads, gradients
 * averaged; core/train/parallel.ts). Rates are samples/s of the best epoch after the first, in wall
 * time (CPU time adds the threads up). PyTorch's twin (bench/train_torch.py) runs on 1 and on N
 * threads in the same run (best step after one warm-up, wall time for N > 1), so the speed-ups stand
 * side by side; the issue's target is ≥ 1.6x for clave on 2 cores. Peak RSS of the whole process is
 * printed at the end (the workers' replicas and their wasm heaps included).
 *
 * Wall time on a shared machine: run it with nothing else busy (the load average is printed before
 * and after; near or above 1 on 2 cores means the figures were taken under load).
 */
import { loadavg } from "node:os";
import { ARCHS, CLASSES, randomSet, torchSteps, type Arch } from "./architectures.ts";
import { peakRssMb } from "./peak-rss.ts";

process.env.CLAVE_BACKEND = "wasm";
const { loadTf } = await import("../core/backend.ts");
const { resolveParams } = await import("../core/params.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const { ndarray } = await import("../core/ndarray.ts");
type ModelPlugin = import("../core/plugin.ts").ModelPlugin;

const args = process.argv.slice(2);
const valued = ["--steps", "--epochs", "--workers"];
const option = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = option("--steps", 12);
const epochs = option("--epochs", 3);
const workers = option("--workers", 2);
const noTorch = args.includes("--no-torch");
const wanted = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && valued.includes(args[i - 1])));
const unknown = wanted.filter((w) => !ARCHS.some((a) => a.name === w));
if (unknown.length > 0) {
  console.error(`bench/train-parallel.ts: unknown architecture ${unknown.join(", ")} (known: ${ARCHS.map((a) => a.name).join(", ")})`);
  process.exit(2);
}
const archs = wanted.length > 0 ? ARCHS.filter((a) => wanted.includes(a.name)) : ARCHS;

const tf = await loadTf();
if (tf.getBackend() !== "wasm") throw new Error(`bench/train-parallel.ts: backend is ${tf.getBackend()}, not wasm`);

const pluginOf = (arch: Arch): ModelPlugin => {
  const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === (arch.plugin ?? arch.name));
  if (!plugin) throw new Error(`bench/train-parallel.ts: no model plugin ${arch.plugin ?? arch.name}`);
  return plugin as ModelPlugin;
};

const batchOf = (arch: Arch) => Number((resolveParams(pluginOf(arch), arch.params ?? {}) as { batch_size?: number }).batch_size ?? 32);
/** Small and short-step networks: more batches per epoch, so that an epoch is long enough to time. */
const batchesOf = (arch: Arch) => (arch.small ? 50 * steps : arch.short ? 10 * steps : steps);

/** Samples/s of the best epoch after the first (wall time), on `threads` threads. */
async function claveRate(arch: Arch, threads: number): Promise<number> {
  const plugin = pluginOf(arch);
  const values: Record<string, unknown> = { ...arch.params, workers: threads };
  if (arch.name === "autoencoder") values.pretrain_epochs = epochs;
  const batch = batchOf(arch);
  const n = batch * batchesOf(arch);
  const { x, y } = randomSet(arch.input, n);
  const model = (await plugin.build({ inputShape: arch.input, nClasses: CLASSES, seed: 1 }, resolveParams(plugin, values))) as {
    network: { dispose(): void };
  };
  const stamps = [performance.now()];
  await plugin.fit(model, { x: ndarray(x, [n, ...arch.input]), y }, {
    epochs: arch.name === "autoencoder" ? 0 : epochs,
    seed: 1,
    progress: false,
    onEpoch: () => {
      stamps.push(performance.now());
    },
  });
  model.network.dispose();
  // The first epoch also starts the workers and warms the JIT.
  const times = stamps.slice(2).map((t, i) => t - stamps[i + 1]);
  return n / (Math.min(...times) / 1000);
}

/** PyTorch's samples/s on `threads` threads (one-thread CPU time, else wall time). */
function torchRates(threads: number): Map<string, number> {
  const specs = archs.map((a) => ({ name: a.name, plugin: pluginOf(a).name, params: a.params ?? {}, input: a.input, batch: batchOf(a), classes: CLASSES, warmup: 1, steps: Math.max(3, batchesOf(a)) }));
  const rates = new Map<string, number>();
  for (const [name, r] of torchSteps(specs, threads)) rates.set(name, (1000 * batchOf(archs.find((a) => a.name === name)!)) / r.min_ms);
  return rates;
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits));
console.log(`clave: ${epochs} epochs, best after the first, wall time; ${workers} workers vs 1; load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
const torch1 = noTorch ? undefined : torchRates(1);
const torchN = noTorch ? undefined : torchRates(workers);
const rows: string[][] = [];
for (const arch of archs) {
  const one = await claveRate(arch, 1);
  const many = await claveRate(arch, workers);
  const t1 = torch1?.get(arch.name);
  const tn = torchN?.get(arch.name);
  const row = [arch.name, String(batchOf(arch)), fmt(one), fmt(many), `${fmt(many / one, 2)}x`, fmt(t1), fmt(tn), t1 && tn ? `${fmt(tn / t1, 2)}x` : "—", tn ? fmt(many / tn, 3) : "—"];
  rows.push(row);
  console.error(`  ${row.join("  ")}`);
}
const header = ["architecture", "batch", "clave 1 thread", `clave ${workers} workers`, "clave speed-up", "torch 1 thread", `torch ${workers} threads`, "torch speed-up", `clave/torch on ${workers}`];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log("samples/s\n" + line(header));
for (const row of rows) console.log(line(row));
console.log(`\npeak RSS of this process ${peakRssMb().toFixed(0)} MB; load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
