/**
 * Accuracy parity with PyTorch (bench, not a test): the same architecture trained in clave and in
 * PyTorch on the same features and splits reaches the same test accuracy, mean over seeds.
 * `npx bun bench/parity.ts [architecture ...] [--per-class N] [--seconds S] [--epochs N] [--seeds N]`.
 *
 * The data: a synthetic dataset at its default difficulty (plugins/sources/synthetic.ts, hard enough
 * that no model reaches 100%), split by track (train/validation/test), cut into 1.5 s segments; the
 * CNNs take a 64-band log-mel spectrogram, the recurrent models 20 MFCCs, computed once by clave's
 * pipeline (core/run/data.ts) and handed to both sides as the same float32 arrays.
 * Each side trains the model with the clave plugin's defaults (optimizer, learning rate, batch,
 * class weights, early stopping on the validation loss with the best epoch restored, and the
 * plugin's epochs, 50, unless `--epochs` caps them: a cap of 12 compared models that had not finished
 * learning, where the seed decides how far each has got, and crnn's 3-seed difference came out at
 * +3.9 points there and +1.0 trained to the end), standardised per feature (per mel band) with the
 * training set's statistics;
 * PyTorch's model is the plugin's twin, and where torch's stock layers are another network than
 * tfjs's, an exact one (train_torch.py `build(..., tfjs=True)`; crnn: tfjs's GRU cell, its
 * per-sequence dropout masks on input and state, tfjs's initialisers), with Adam's ε = 1e-7 as clave's,
 * for each of `--seeds` seeds; clave in a child process (tfjs wasm, one thread), PyTorch in another
 * (Debian's /usr/bin/python3, bench/train_torch.py --parity, one thread). Accuracy is per segment on
 * the test part. Printed: each side's mean ± std accuracy, the difference of the means with its
 * standard error (seeds vary a model by about 2 points here, so 3 seeds resolve a difference to
 * about ±1.5: `--seeds 10` to tell a 2-point gap from noise), the CPU time per seed and the peak RSS
 * of each process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { peakRssMb } from "./peak-rss.ts";

/** An architecture of the parity table: a model plugin with params, and the feature it takes. */
interface ParityArch {
  name: string;
  plugin: string;
  params: Record<string, unknown>;
  feature: "mel" | "mfcc";
}

const PARITY_ARCHS: ParityArch[] = [
  { name: "cnn2d", plugin: "cnn2d", params: {}, feature: "mel" },
  { name: "lstm", plugin: "lstm", params: {}, feature: "mfcc" },
  { name: "crnn", plugin: "crnn", params: {}, feature: "mel" },
  { name: "bilstm_attention", plugin: "bilstm_attention", params: {}, feature: "mfcc" },
];

/** What a child trains: the arrays are raw float32/int32 files. */
interface ParitySpec {
  name: string;
  plugin: string;
  params: Record<string, unknown>;
  /** Training settings resolved from the clave plugin (PyTorch follows them). */
  training: { batch_size: number; learning_rate: number; weight_decay: number; class_weight: string; early_stopping: number; epochs: number };
  input: number[];
  classes: number;
  seeds: number[];
  files: Record<"x_train" | "y_train" | "x_validation" | "y_validation" | "x_test" | "y_test", string>;
  counts: { train: number; validation: number; test: number };
}

interface ParityResult {
  name: string;
  /** Test accuracy of each seed. */
  acc: number[];
  /** Epochs each seed trained. */
  epochs: number[];
  cpu_s: number;
  peak_mb: number;
}


async function child(spec: ParitySpec): Promise<void> {
  process.env.CLAVE_BACKEND = "wasm";
  const { readFileSync } = await import("node:fs");
  const { loadTf } = await import("../core/backend.ts");
  const { resolveParams } = await import("../core/params.ts");
  const { builtinPlugins } = await import("../plugins/index.ts");
  const { ndarray } = await import("../core/ndarray.ts");
  const tf = await loadTf();
  if (tf.getBackend() !== "wasm") throw new Error(`bench/parity.ts: backend is ${tf.getBackend()}, not wasm`);
  const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === spec.plugin);
  if (!plugin || plugin.kind !== "model") throw new Error(`bench/parity.ts: no model plugin ${spec.plugin}`);
  const f32 = (file: string) => {
    const b = readFileSync(file);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const i32 = (file: string) => {
    const b = readFileSync(file);
    return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const part = (x: string, y: string, n: number) => ({ x: ndarray(f32(x), [n, ...spec.input]), y: i32(y) });
  const train = part(spec.files.x_train, spec.files.y_train, spec.counts.train);
  const validation = part(spec.files.x_validation, spec.files.y_validation, spec.counts.validation);
  const test = part(spec.files.x_test, spec.files.y_test, spec.counts.test);
  const acc: number[] = [];
  const epochs: number[] = [];
  const started = process.cpuUsage();
  for (const seed of spec.seeds) {
    const params = resolveParams(plugin, { ...spec.params, epochs: spec.training.epochs });
    const model = await plugin.build({ inputShape: spec.input, nClasses: spec.classes, seed }, params);
    const history = await plugin.fit(model, train, { seed, validation, progress: false });
    const p = await plugin.predict(model, test.x);
    let right = 0;
    for (let i = 0; i < spec.counts.test; i++) {
      let best = 0;
      for (let c = 1; c < spec.classes; c++) if (p.data[i * spec.classes + c] > p.data[i * spec.classes + best]) best = c;
      if (best === test.y[i]) right++;
    }
    acc.push(right / spec.counts.test);
    epochs.push(history.loss?.length ?? 0);
    (model as { network?: { dispose(): void } }).network?.dispose();
  }
  const cpu = process.cpuUsage(started);
  const result: ParityResult = { name: spec.name, acc, epochs, cpu_s: (cpu.user + cpu.system) / 1e6, peak_mb: peakRssMb() };
  console.log(JSON.stringify(result));
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ParityResult {
  const out = spawnSync(command, args, { encoding: "utf8", env, timeout: 3_600_000, maxBuffer: 16 << 20 });
  if (out.status !== 0) throw new Error(`${command} ${args[0]} failed (${out.status ?? out.signal}): ${out.stderr.slice(-2000)}`);
  return JSON.parse(out.stdout.trim().split("\n").pop()!) as ParityResult;
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]) as ParitySpec);
  process.exit(0);
}

const option = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const valued = ["--per-class", "--seconds", "--epochs", "--seeds"];
const perClass = option("--per-class", 40);
const seconds = option("--seconds", 6);
// Default: each plugin's own epochs (50, fewer with early stopping), what a user's training runs.
const maxEpochs = option("--epochs", 0) || undefined;
const seedCount = option("--seeds", 3);
const noTorch = args.includes("--no-torch");
const wanted = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && valued.includes(args[i - 1])));
const unknown = wanted.filter((w) => !PARITY_ARCHS.some((a) => a.name === w));
if (unknown.length > 0) {
  console.error(`bench/parity.ts: unknown architecture ${unknown.join(", ")} (known: ${PARITY_ARCHS.map((a) => a.name).join(", ")})`);
  process.exit(2);
}
const archs = wanted.length > 0 ? PARITY_ARCHS.filter((a) => wanted.includes(a.name)) : PARITY_ARCHS.slice(0, 2);

const { buildDataset } = await import("../core/dataset/open.ts");
const { registryOrDefault, setBuiltinPlugins } = await import("../core/defaults.ts");
const { builtinPlugins } = await import("../plugins/index.ts");
const { resolveFeatureSpec } = await import("../core/run/features.ts");
const { datasetArrays } = await import("../core/run/data.ts");
const { resolveParams } = await import("../core/params.ts");
const { DEFAULT_DIFFICULTY } = await import("../plugins/sources/synthetic.ts");
type SegmentSet = import("../core/run/data.ts").SegmentSet;

const dir = mkdtempSync(join(tmpdir(), "clave-parity-"));
try {
  setBuiltinPlugins(builtinPlugins);
  const registry = await registryOrDefault();
  const ds = await buildDataset({ registry, source: "synthetic", params: { per_class: perClass, seconds, seed: 11 }, out: join(dir, "data", "manifest.csv"), seed: 11, ratios: [0.4, 0.1, 0.5], onWarning: () => {} });
  const features = {
    mel: resolveFeatureSpec(registry, "melspectrogram", { n_mels: 64, db: true }, { segment_s: 1.5 }),
    mfcc: resolveFeatureSpec(registry, "mfcc", { n_mfcc: 20 }, { segment_s: 1.5 }),
  };
  const files = new Map<string, { input: number[]; files: ParitySpec["files"]; counts: ParitySpec["counts"]; labels: string[] }>();
  for (const kind of new Set(archs.map((a) => a.feature))) {
    const spec = features[kind];
    const data = await datasetArrays(ds.manifest, ds.file, spec, registry.feature(spec.plugin), { label: kind });
    if (!data.train || !data.validation || !data.test) throw new Error("bench/parity.ts: a split is empty; raise --per-class");
    const write = (name: string, array: Float32Array | Int32Array) => {
      const file = join(dir, `${kind}.${name}.bin`);
      writeFileSync(file, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return file;
    };
    const parts = { train: data.train, validation: data.validation, test: data.test } satisfies Record<string, SegmentSet>;
    files.set(kind, {
      input: data.train.x.shape.slice(1),
      labels: data.labels,
      counts: { train: parts.train.y.length, validation: parts.validation.y.length, test: parts.test.y.length },
      files: {
        x_train: write("x_train", parts.train.x.data),
        y_train: write("y_train", Int32Array.from(parts.train.y)),
        x_validation: write("x_validation", parts.validation.x.data),
        y_validation: write("y_validation", Int32Array.from(parts.validation.y)),
        x_test: write("x_test", parts.test.x.data),
        y_test: write("y_test", Int32Array.from(parts.test.y)),
      },
    });
  }

  const first = files.values().next().value!;
  console.log(
    `accuracy parity, clave (tfjs wasm, 1 thread) vs PyTorch (1 thread): synthetic, difficulty ${DEFAULT_DIFFICULTY}, ${perClass} clips of ${seconds} s per class (${first.labels.length} classes), ` +
      `1.5 s segments: ${first.counts.train} train / ${first.counts.validation} validation / ${first.counts.test} test; ` +
      `${maxEpochs ? `at most ${maxEpochs}` : "the plugin's default"} epochs, early stopping as the plugin's defaults; ${seedCount} seeds\n`,
  );
  const self = fileURLToPath(import.meta.url);
  const torchScript = fileURLToPath(new URL("./train_torch.py", import.meta.url));
  const oneThread = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  const rows: string[][] = [];
  const stats = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const squares = v.reduce((a, b) => a + (b - mean) ** 2, 0);
    // Squared standard error of the mean (sample variance / n), for the difference's.
    return { mean, std: Math.sqrt(squares / v.length), se2: v.length > 1 ? squares / (v.length - 1) / v.length : 0 };
  };
  const pct = (v: number) => (100 * v).toFixed(1);
  for (const arch of archs) {
    const plugin = builtinPlugins.find((p) => p.kind === "model" && p.name === arch.plugin)!;
    const resolved = resolveParams(plugin, arch.params) as Record<string, unknown>;
    const data = files.get(arch.feature)!;
    const spec: ParitySpec = {
      name: arch.name,
      plugin: arch.plugin,
      params: arch.params,
      training: {
        batch_size: Number(resolved.batch_size),
        learning_rate: Number(resolved.learning_rate),
        weight_decay: Number(resolved.weight_decay),
        class_weight: String(resolved.class_weight),
        early_stopping: Number(resolved.early_stopping),
        epochs: maxEpochs ?? Number(resolved.epochs),
      },
      input: data.input,
      classes: data.labels.length,
      seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
      files: data.files,
      counts: data.counts,
    };
    const clave = run(process.execPath, [self, "--child", JSON.stringify(spec)]);
    const torch = noTorch ? undefined : run("/usr/bin/python3", [torchScript, "--parity", JSON.stringify(spec)], oneThread);
    const c = stats(clave.acc);
    const t = torch ? stats(torch.acc) : undefined;
    const row = [
      arch.name,
      `[${data.input.join(", ")}]`,
      `${pct(c.mean)} ± ${pct(c.std)}`,
      t ? `${pct(t.mean)} ± ${pct(t.std)}` : "—",
      t ? `${(100 * (c.mean - t.mean)).toFixed(1)} ± ${pct(Math.sqrt(c.se2 + t.se2))}` : "—",
      `${clave.epochs.join(",")}`,
      torch ? torch.epochs.join(",") : "—",
      (clave.cpu_s / seedCount).toFixed(1),
      torch ? (torch.cpu_s / seedCount).toFixed(1) : "—",
      clave.peak_mb.toFixed(0),
      torch ? torch.peak_mb.toFixed(0) : "—",
    ];
    rows.push(row);
    console.error(`  ${row.join("  ")}   clave ${clave.acc.map(pct).join(" ")}  torch ${torch?.acc.map(pct).join(" ") ?? ""}`);
  }
  const header = ["architecture", "input", "clave acc %", "torch acc %", "diff", "clave epochs", "torch epochs", "clave cpu s/seed", "torch cpu s/seed", "clave peak MB", "torch peak MB"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(`\naccuracy: per test segment, mean ± std over seeds; diff = clave − torch in points ± its standard error (target |diff| ≤ 2); peak = the maximum resident set (VmHWM) of each side's process (all seeds).`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
