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
 * The ceiling column (`--no-ceiling` leaves it out) is what splitting a batch can give on this machine
 * at best: `--workers` separate processes, each training on one thread at its part of the batch, at
 * the same time, without exchanging anything. Their samples/s added up, over clave's one-thread rate,
 * is the speed-up data-parallel training would reach if handing parts and gradients over cost nothing.
 * It is below N when a smaller batch uses a core less well per example (the per-op costs stay) and
 * when cores slow each other down (a shared cache, memory bandwidth, a virtual machine's host);
 * "clave of ceiling" is how much of it the workers reach.
 *
 * Wall time on a shared machine: run it with nothing else busy (the load average is printed before
 * and after; near or above 1 on 2 cores means the figures were taken under load).
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { ARCHS, CLASSES, randomSet, torchSteps, type Arch } from "./architectures.ts";
import { peakRssMb } from "./peak-rss.ts";

process.env.CLAVE_BACKEND = "wasm";
const { loadTf } = await import("../core/backend.ts");
const { resolveParams } = await import("../core/params.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const { ndarray } = await import("../core/ndarray.ts");
const { partSizes } = await import("../core/train/parallel.ts");
type ModelPlugin = import("../core/plugin.ts").ModelPlugin;

const args = process.argv.slice(2);
/** A ceiling child (see the header): `--child-rate JSON` trains one architecture on one thread and prints its epochs' stamps. */
const childSpec = args[0] === "--child-rate" ? (JSON.parse(args[1]) as { name: string; batch: number; steps: number; epochs: number }) : undefined;
const valued = ["--steps", "--epochs", "--workers"];
const option = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
// A ceiling child takes its parent's.
const steps = childSpec?.steps ?? option("--steps", 12);
const epochs = option("--epochs", 3);
const workers = option("--workers", 2);
const noTorch = args.includes("--no-torch");
const noCeiling = args.includes("--no-ceiling");
const wanted = childSpec ? [] : args.filter((a, i) => !a.startsWith("--") && !(i > 0 && valued.includes(args[i - 1])));
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

/**
 * Wall-clock stamps (ms since the epoch of the Unix clock, comparable across processes) of the start
 * of training and the end of each epoch, on `threads` threads with batches of `batch` (default: the
 * plugin's), `batchesOf(arch)` batches an epoch.
 */
async function claveEpochs(arch: Arch, threads: number, batch = batchOf(arch), epochCount = epochs): Promise<{ stamps: number[]; n: number }> {
  const plugin = pluginOf(arch);
  const values: Record<string, unknown> = { ...arch.params, workers: threads, batch_size: batch };
  if (arch.name === "autoencoder") values.pretrain_epochs = epochCount;
  const n = batch * batchesOf(arch);
  const { x, y } = randomSet(arch.input, n);
  const model = (await plugin.build({ inputShape: arch.input, nClasses: CLASSES, seed: 1 }, resolveParams(plugin, values))) as {
    network: { dispose(): void };
  };
  const now = () => performance.timeOrigin + performance.now();
  const stamps = [now()];
  await plugin.fit(model, { x: ndarray(x, [n, ...arch.input]), y }, {
    epochs: arch.name === "autoencoder" ? 0 : epochCount,
    seed: 1,
    progress: false,
    onEpoch: () => {
      stamps.push(now());
    },
  });
  model.network.dispose();
  return { stamps, n };
}

/** Start and end of each epoch after the first (which also starts the workers and warms the JIT). */
const epochsAfterFirst = (stamps: number[]) => stamps.slice(2).map((end, i) => ({ start: stamps[i + 1], end }));

/** Samples/s of the best epoch after the first (wall time), on `threads` threads. */
async function claveRate(arch: Arch, threads: number): Promise<number> {
  const { stamps, n } = await claveEpochs(arch, threads);
  return n / (Math.min(...epochsAfterFirst(stamps).map((e) => e.end - e.start)) / 1000);
}

if (childSpec) {
  const arch = ARCHS.find((a) => a.name === childSpec.name)!;
  console.log(JSON.stringify(await claveEpochs(arch, 1, childSpec.batch, childSpec.epochs)));
  process.exit(0);
}

/**
 * The ceiling of `arch` on `parts` cores (see the header): `parts` one-thread processes at once, each
 * at its part of the batch; each one's rate is its best epoch after the first among those that ran
 * while all the others were past their first epoch and not yet done (all its epochs after the
 * first if none did: then marked with a star). Returns their summed samples/s.
 */
async function ceilingRate(arch: Arch, parts: number): Promise<{ rate: number; overlapped: boolean }> {
  const self = fileURLToPath(import.meta.url);
  const sizes = partSizes(batchOf(arch), parts).filter((s) => s > 0);
  // Two more epochs than the main runs, so that enough of them overlap.
  const runs = await Promise.all(sizes.map((batch) => child(self, { name: arch.name, batch, steps, epochs: epochs + 2 })));
  const from = Math.max(...runs.map((r) => r.stamps[1]));
  const to = Math.min(...runs.map((r) => r.stamps[r.stamps.length - 1]));
  let overlapped = true;
  let rate = 0;
  for (const { stamps, n } of runs) {
    const timed = epochsAfterFirst(stamps);
    let inside = timed.filter((e) => e.start >= from && e.end <= to);
    if (inside.length === 0) {
      overlapped = false;
      inside = timed;
    }
    rate += n / (Math.min(...inside.map((e) => e.end - e.start)) / 1000);
  }
  return { rate, overlapped };
}

/** Run a ceiling child; its last stdout line is its epochs' stamps. Bounded by a timeout. */
function child(self: string, spec: NonNullable<typeof childSpec>): Promise<{ stamps: number[]; n: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [self, "--child-rate", JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"], timeout: 1_800_000 });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      if (code !== 0) reject(new Error(`bench/train-parallel.ts ceiling child ${spec.name} failed (${code ?? signal}): ${err.slice(-2000)}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!) as { stamps: number[]; n: number });
    });
  });
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
  const ceiling = noCeiling ? undefined : await ceilingRate(arch, workers);
  const t1 = torch1?.get(arch.name);
  const tn = torchN?.get(arch.name);
  const row = [
    arch.name,
    String(batchOf(arch)),
    fmt(one),
    fmt(many),
    `${fmt(many / one, 2)}x`,
    ceiling ? `${fmt(ceiling.rate / one, 2)}x${ceiling.overlapped ? "" : "*"}` : "—",
    ceiling ? `${fmt((100 * many) / ceiling.rate, 0)}%` : "—",
    fmt(t1),
    fmt(tn),
    t1 && tn ? `${fmt(tn / t1, 2)}x` : "—",
    tn ? fmt(many / tn, 3) : "—",
  ];
  rows.push(row);
  console.error(`  ${row.join("  ")}`);
}
const header = [
  "architecture",
  "batch",
  "clave 1 thread",
  `clave ${workers} workers`,
  "clave speed-up",
  "ceiling",
  "clave of ceiling",
  "torch 1 thread",
  `torch ${workers} threads`,
  "torch speed-up",
  `clave/torch on ${workers}`,
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log("samples/s\n" + line(header));
for (const row of rows) console.log(line(row));
if (!noCeiling) console.log(`\nceiling: ${workers} one-thread processes at once, each at its part of the batch, their samples/s added, over clave's one-thread rate (* : their timed epochs did not overlap).`);
console.log(`\npeak RSS of this process ${peakRssMb().toFixed(0)} MB; load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
