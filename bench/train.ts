/**
 * Training speed of every model architecture on the wasm backend, against the same network in
 * PyTorch on the same core (bench, not a test): `npx bun bench/train.ts [architecture ...]`.
 *
 * For each architecture, its clave plugin with default params (plugins/models/) trains on random
 * data through its real `fit` (clave's training engine: AdamW, class weights, metrics) on tfjs's
 * wasm backend, one thread:
 *   - stock: tfjs-backend-wasm's own kernels, plus clave's Conv2DBackpropFilter where the model has
 *     convolutions (stock wasm has none, so they cannot train at all without it);
 *   - clave: with clave's kernels (core/kernels/).
 * Each run is `--epochs` epochs (stock: 2) of `--steps` batches; the first epoch is warm-up, the rate
 * is the best later epoch. Networks with a step of ~20–30 ms (crnn_1d_lstm) take 10x the batches
 * per epoch, so that an epoch lasts about a second. The small dense networks take 30x, and before their
 * timed run a throwaway model of the same plugin trains `--warmup` batches (default 600): a step of
 * theirs is ~1 ms, and the JIT needs the first few hundred steps (which take 2-4x the steady state)
 * before the rate is the steady one that PyTorch's best step is compared with. PyTorch (Debian's /usr/bin/python3, one thread, OPENBLAS/OMP/MKL_NUM_THREADS=1) trains
 * the twin network in bench/train_torch.py (best of `--steps` steps after one warm-up step).
 * Both sides are timed in process CPU time (one thread each), so that other work on a shared
 * machine inflates neither; cache and memory-bandwidth contention still can.
 * Options: --steps N (batches per epoch, default 3; 30x for the small dense networks), --epochs N
 * (default 3), --warmup N (batches of warm-up before timing a small network, default 600), --no-stock, --no-torch, --profile (time every wasm kernel of the clave runs),
 * --threads2 (also PyTorch on 2 threads, timed in wall time, beside its one-thread rate: clave trains
 * on one thread, tfjs-backend-wasm's threaded build needs workers from blob: URLs that Node's
 * worker_threads refuse).
 */
import { loadavg } from "node:os";
import { ARCHS, CLASSES, randomSet, torchSteps, type Arch, type TorchResult } from "./architectures.ts";

process.env.CLAVE_BACKEND = "wasm";
const { loadTf, backendInfo } = await import("../core/backend.ts");
const { registerClaveKernels, unregisterClaveKernels, CLAVE_KERNELS } = await import("../core/kernels/index.ts");
const { resolveParams } = await import("../core/params.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const { ndarray } = await import("../core/ndarray.ts");
type ModelPlugin = import("../core/plugin.ts").ModelPlugin;


const args = process.argv.slice(2);
const option = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const steps = option("--steps", 3);
const epochs = option("--epochs", 3);
const warmup = option("--warmup", 600);
/** Batches per epoch of an architecture's timed runs. */
const batchesOf = (arch: Arch): number => (arch.small ? 30 * steps : arch.short ? 10 * steps : steps);
const flags = new Set(args.filter((a) => a.startsWith("--no-") || a === "--profile" || a === "--threads2"));
const wanted = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && ["--steps", "--epochs", "--warmup"].includes(args[i - 1])));
const unknown = wanted.filter((w) => !ARCHS.some((a) => a.name === w));
if (unknown.length > 0) {
  console.error(`bench/train.ts: unknown architecture ${unknown.join(", ")} (known: ${ARCHS.map((a) => a.name).join(", ")})`);
  process.exit(2);
}
const archs = wanted.length > 0 ? ARCHS.filter((a) => wanted.includes(a.name)) : ARCHS;

const tf = await loadTf();
const info = await backendInfo();
if (tf.getBackend() !== "wasm") throw new Error(`bench/train.ts: backend is ${tf.getBackend()}, not wasm`);

const pluginOf = (arch: Arch): ModelPlugin => {
  const name = arch.plugin ?? arch.name;
  const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === name);
  if (!plugin) throw new Error(`bench/train.ts: no model plugin ${name}`);
  return plugin as ModelPlugin;
};

function params(arch: Arch, plugin: ModelPlugin, epochs = 1): { values: Record<string, unknown>; batch: number } {
  const values: Record<string, unknown> = { ...arch.params };
  // The autoencoder is timed in its reconstruction pretraining (the phase every run has).
  if (arch.name === "autoencoder") values.pretrain_epochs = epochs;
  const resolved = resolveParams(plugin, values) as Record<string, unknown>;
  return { values, batch: Number(resolved.batch_size ?? 32) };
}

/**
 * Milliseconds per batch of the plugin's own fit (best epoch after the first), and the parameter
 * count; `epochs` epochs of `batches` batches each.
 */
async function tfjsStep(arch: Arch, epochs: number, batches = batchesOf(arch)): Promise<{ ms: number; params: number }> {
  const plugin = pluginOf(arch);
  const { values, batch } = params(arch, plugin, epochs);
  const n = batch * batches;
  const { x, y } = randomSet(arch.input, n);
  const model = (await plugin.build({ inputShape: arch.input, nClasses: CLASSES, seed: 1 }, resolveParams(plugin, values))) as {
    network: { countParams(): number; dispose(): void };
  };
  // Process CPU time, not wall time: the machine is shared, and one thread's CPU time is what it costs.
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const stamps = [cpuMs()];
  await plugin.fit(model, { x: ndarray(x, [n, ...arch.input]), y }, {
    epochs: arch.name === "autoencoder" ? 0 : epochs,
    seed: 1,
    progress: false,
    onEpoch: () => {
      stamps.push(cpuMs());
    },
  });
  const times = stamps.slice(1).map((t, i) => t - stamps[i]);
  const params_ = model.network.countParams();
  model.network.dispose();
  return { ms: Math.min(...times.slice(Math.min(1, times.length - 1))) / batches, params: params_ };
}

/** Time every wasm kernel (by name and input shapes) until `restore`; wasm kernels run synchronously. */
function profileKernels(): { report(steps: number): string; restore(): void } {
  type Config = NonNullable<ReturnType<typeof tf.getKernel>>;
  const originals: Config[] = tf.getKernelsForBackend("wasm");
  const times = new Map<string, { ms: number; calls: number }>();
  for (const config of originals) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (a) => {
        const t0 = performance.now();
        const out = inner(a);
        const shapes = Object.values(a.inputs).map((t) => (t ? `[${t.shape.join(",")}]` : "-"));
        const key = `${config.kernelName} ${shapes.join(" ")}`;
        const entry = times.get(key) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - t0;
        entry.calls++;
        times.set(key, entry);
        return out;
      },
    });
  }
  return {
    report(steps) {
      const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const total = rows.reduce((sum, [, v]) => sum + v.ms, 0);
      const calls = rows.reduce((sum, [, v]) => sum + v.calls, 0);
      const top = rows.slice(0, Number(process.env.CLAVE_PROFILE_ROWS ?? 15)).map(([k, v]) => `    ${(v.ms / steps).toFixed(1).padStart(8)} ms ${String(Math.round(v.calls / steps)).padStart(6)}x  ${k}`);
      return [`  kernels per batch: ${(total / steps).toFixed(0)} ms in ${Math.round(calls / steps)} calls; top:`, ...top].join("\n");
    },
    restore() {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, "wasm");
        tf.registerKernel(config);
      }
    },
  };
}

/** PyTorch's step times of the chosen architectures. */
function torchRun(threads = 1): Map<string, TorchResult> {
  return torchSteps(
    archs.map((a) => {
      const plugin = pluginOf(a);
      return { name: a.name, plugin: plugin.name, params: a.params ?? {}, input: a.input, batch: params(a, plugin).batch, classes: CLASSES, warmup: 1, steps: Math.max(3, batchesOf(a)) };
    }),
    threads,
  );
}

const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits));
console.log(
  `tfjs ${info.tfjsVersion} wasm (SIMD ${info.simd}, ${info.threads} thread); clave kernels: ${CLAVE_KERNELS.map((k) => k.kernelName).join(", ")}`,
);
console.log(
  `tfjs: ${epochs} epochs of ${steps} batches (crnn_1d_lstm: ${10 * steps}; small networks: ${30 * steps}, after ${warmup} batches of warm-up), best epoch after the first; CPU time; load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`,
);

const torch = flags.has("--no-torch") ? new Map<string, TorchResult>() : torchRun();
const torch2 = flags.has("--threads2") && !flags.has("--no-torch") ? torchRun(2) : undefined;
const rows: string[][] = [];
for (const arch of archs) {
  const batch = params(arch, pluginOf(arch)).batch;
  let stock: { ms: number; params: number } | undefined;
  if (!flags.has("--no-stock")) {
    unregisterClaveKernels(tf);
    if (arch.conv) registerClaveKernels(tf, ["Conv2DBackpropFilter"]);
    stock = await tfjsStep(arch, Math.min(epochs, 2));
  }
  unregisterClaveKernels(tf);
  registerClaveKernels(tf);
  // Warm the JIT up on a throwaway model (its own epoch of `warmup` batches), so the timed run is steady.
  if (arch.small && warmup > 0) await tfjsStep(arch, 1, warmup);
  const profiler = flags.has("--profile") ? profileKernels() : undefined;
  const clave = await tfjsStep(arch, epochs);
  if (profiler) {
    profiler.restore();
    console.error(`${arch.name} (clave, all ${epochs} epochs)\n${profiler.report(epochs * batchesOf(arch))}`);
  }
  const t = torch.get(arch.name);
  const rate = (ms: number | undefined) => (ms === undefined ? undefined : (1000 * batch) / ms);
  const [rs, rc, rt] = [rate(stock?.ms), rate(clave.ms), rate(t?.min_ms)];
  const row = [
    arch.name,
    String(batch),
    `[${arch.input.join(", ")}]`,
    `${clave.params}/${t?.params ?? "—"}`,
    fmt(rs) + (arch.conv && stock ? "*" : ""),
    fmt(rc),
    fmt(rt),
    rs && rt ? fmt(rs / rt, 3) : "—",
    rc && rt ? fmt(rc / rt, 3) : "—",
    rs && rc ? `${fmt(rc / rs, 1)}x` : "—",
    ...(torch2 ? twoThreads(torch2.get(arch.name), rate, rt) : []),
  ];
  rows.push(row);
  console.error(`  ${row.join("  ")}`);
}

/** PyTorch's 2-thread rate and its speed-up over one thread. */
function twoThreads(t2: TorchResult | undefined, rate: (ms: number | undefined) => number | undefined, one: number | undefined): string[] {
  const two = rate(t2?.min_ms);
  return [fmt(two), two && one ? `${fmt(two / one, 2)}x` : "—"];
}

const header = ["architecture", "batch", "input", "params tfjs/torch", "stock samples/s", "clave samples/s", "torch samples/s", "stock/torch", "clave/torch", "clave/stock"];
if (torch2) header.push("torch 2 threads samples/s", "torch 2/1 threads");
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(`\n* stock wasm cannot train convolutions (no Conv2DBackpropFilter kernel): these stock runs use clave's.`);
if (torch2) console.log(`torch 2 threads: wall time (best step); clave trains on one thread here (workers: 1); bench/train-parallel.ts times it on several.`);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (2 cores; anything near or above 1 means the figures were taken under load)`);
