/**
 * Peak memory of training each architecture on the wasm backend, beside PyTorch's for the same
 * network, batch and data, as the dataset grows (bench, not a test):
 * `npx bun bench/train-memory.ts [architecture ...] [--examples N] [--scales 1,4] [--epochs N] [--no-torch]`.
 *
 * Each run is a fresh process (peak RSS is per process): clave trains the plugin with its default
 * params (bench/architectures.ts) through its real `fit` — batches streamed from the feature arrays,
 * a validation set of a tenth of the examples evaluated after each epoch, then a prediction of it —
 * on random features of the architecture's input shape; PyTorch (Debian's /usr/bin/python3, one
 * thread) trains the twin (bench/train_torch.py --memory) on tensors of the same size, in batches
 * of the same size, evaluating the same validation set. 1x is `--examples` (default 540: 100 GTZAN
 * tracks cut into segments less the test tracks, 36 MB of 128-band log-mel for the CNNs).
 * Reported: the peak RSS (VmHWM, bench/peak-rss.ts), the data's size, clave/torch, and the growth of the peak
 * from the first scale to the others beside the growth of the data.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { peakRssMb } from "./peak-rss.ts";
import { ARCHS, CLASSES, type Arch, type TwinSpec } from "./architectures.ts";

interface Result {
  name: string;
  /** Peak RSS before the data was made (runtime, libraries, the network). */
  base_mb: number;
  /** Training plus validation features. */
  data_mb: number;
  peak_mb: number;
  cpu_s: number;
}

interface Spec extends TwinSpec {
  examples: number;
  validation: number;
  epochs: number;
}


/** The clave side of one run, in this (child) process. */
async function child(spec: Spec): Promise<void> {
  process.env.CLAVE_BACKEND = "wasm";
  const { loadTf } = await import("../core/backend.ts");
  const { resolveParams } = await import("../core/params.ts");
  const { builtinPlugins } = await import("../plugins/index.ts");
  const { ndarray } = await import("../core/ndarray.ts");
  const { mulberry32 } = await import("../core/random.ts");
  const tf = await loadTf();
  if (tf.getBackend() !== "wasm") throw new Error(`bench/train-memory.ts: backend is ${tf.getBackend()}, not wasm`);
  const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === spec.plugin);
  if (!plugin || plugin.kind !== "model") throw new Error(`bench/train-memory.ts: no model plugin ${spec.plugin}`);
  const model = await plugin.build({ inputShape: spec.input, nClasses: spec.classes, seed: 1 }, resolveParams(plugin, spec.params));
  const base = peakRssMb();
  const random = mulberry32(7);
  const size = spec.input.reduce((a, b) => a * b, 1);
  const set = (n: number) => {
    const x = new Float32Array(n * size);
    for (let i = 0; i < x.length; i++) x[i] = 2 * random() - 1;
    return { x: ndarray(x, [n, ...spec.input]), y: Int32Array.from({ length: n }, (_, i) => i % spec.classes) };
  };
  const train = set(spec.examples);
  const validation = set(spec.validation);
  const started = process.cpuUsage();
  await plugin.fit(model, train, { seed: 1, epochs: spec.epochs, batchSize: spec.batch, validation, progress: false });
  await plugin.predict(model, validation.x);
  const cpu = process.cpuUsage(started);
  const result: Result = {
    name: spec.name,
    base_mb: base,
    data_mb: (train.x.data.byteLength + validation.x.data.byteLength) / 2 ** 20,
    peak_mb: peakRssMb(),
    cpu_s: (cpu.user + cpu.system) / 1e6,
  };
  console.log(JSON.stringify(result));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Result {
  const out = spawnSync(command, args, { encoding: "utf8", env, timeout: 3_600_000, maxBuffer: 16 << 20 });
  if (out.status !== 0) throw new Error(`${command} ${args[0]} failed (${out.status ?? out.signal}): ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split("\n").pop()!) as Result;
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]) as Spec);
  process.exit(0);
}

const option = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : fallback;
};
const examples = Number(option("--examples", "540"));
const epochs = Number(option("--epochs", "1"));
const scales = option("--scales", "1,4").split(",").map(Number);
const noTorch = args.includes("--no-torch");
const wanted = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && ["--examples", "--epochs", "--scales"].includes(args[i - 1])));
const unknown = wanted.filter((w) => !ARCHS.some((a) => a.name === w));
if (unknown.length > 0) {
  console.error(`bench/train-memory.ts: unknown architecture ${unknown.join(", ")} (known: ${ARCHS.map((a) => a.name).join(", ")})`);
  process.exit(2);
}
const archs = wanted.length > 0 ? ARCHS.filter((a) => wanted.includes(a.name)) : ARCHS;

const { resolveParams } = await import("../core/params.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const batchOf = (arch: Arch): number => {
  const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === (arch.plugin ?? arch.name))!;
  return Number((resolveParams(plugin, arch.params ?? {}) as Record<string, unknown>).batch_size ?? 32);
};

const self = fileURLToPath(import.meta.url);
const torchScript = fileURLToPath(new URL("./train_torch.py", import.meta.url));
const oneThread = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };

console.log(`peak RSS of training, wasm backend vs PyTorch (one thread); ${epochs} epoch(s), validation = a tenth of the examples; 1x = ${examples} examples\n`);
const rows: string[][] = [];
const fmt = (v: number | undefined, digits = 0) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits));
for (const arch of archs) {
  const batch = batchOf(arch);
  const results: { scale: number; clave: Result; torch?: Result }[] = [];
  for (const scale of scales) {
    const n = Math.round(examples * scale);
    const spec: Spec = {
      name: arch.name,
      plugin: arch.plugin ?? arch.name,
      params: arch.params ?? {},
      input: arch.input,
      batch,
      classes: CLASSES,
      examples: n,
      validation: Math.max(1, Math.round(n / 10)),
      epochs,
    };
    const clave = run(process.execPath, [self, "--child", JSON.stringify(spec)]);
    const torch = noTorch ? undefined : run("/usr/bin/python3", [torchScript, "--memory", JSON.stringify(spec)], oneThread);
    results.push({ scale, clave, ...(torch ? { torch } : {}) });
    const first = results[0];
    const row = [
      arch.name,
      String(batch),
      `${scale}x`,
      fmt(clave.data_mb),
      fmt(clave.peak_mb),
      fmt(torch?.peak_mb),
      torch ? fmt(clave.peak_mb / torch.peak_mb, 2) : "—",
      scale === first.scale ? "" : fmt(clave.peak_mb - first.clave.peak_mb),
      scale === first.scale || !torch || !first.torch ? "" : fmt(torch.peak_mb - first.torch.peak_mb),
      scale === first.scale ? "" : fmt(clave.data_mb - first.clave.data_mb),
      fmt(clave.cpu_s),
      fmt(torch?.cpu_s),
    ];
    rows.push(row);
    console.error(`  ${row.join("  ")}`);
  }
}

const header = ["architecture", "batch", "data", "data MB", "clave peak MB", "torch peak MB", "clave/torch", "clave growth", "torch growth", "data growth", "clave cpu s", "torch cpu s"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(`\npeak = the process's maximum resident set (VmHWM): runtime and libraries included (Bun + tfjs ~130 MB, Python + torch ~230 MB);`);
console.log(`growth = the peak's rise from ${scales[0]}x, beside the features' (training + validation) rise.`);
