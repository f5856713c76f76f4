/**
 * Classical models (core/ml/) against scikit-learn and XGBoost (bench, not a test):
 * `npx bun bench/classical.ts [--rows N] [--cols N] [--classes N]`.
 *
 * One seeded table (default 2,000 × 50, 10 classes: two Gaussian clusters per class, 5% flipped labels;
 * test/ml/fixtures.ts), split 1,500 / 500 and standardized on the training rows, is written as .npy;
 * every model is fitted on it with default params, by clave and by scikit-learn 1.2 (Debian's
 * /usr/bin/python3, OMP/OPENBLAS/MKL threads = 1; bench/classical.py), and XGBoost's hist trees for
 * reference. Each side runs each model in a fresh process: one warm-up fit + predict, then the median
 * of several, in wall and in CPU time (one thread each; the ratio is CPU time, which other work on a
 * shared machine inflates less), test accuracy, and peak memory = the process's VmHWM less that of a
 * process that only loaded the data and libraries.
 * Targets: accuracy within 2 points of scikit-learn; time ≤ 2× scikit-learn for KNN, logistic
 * regression and SVM, ≤ 3× for the forest and boosting.
 *
 * `--plugins` measures the model plugins instead (plugins/models/: knn, logistic_regression, svm,
 * random_forest, boosted_trees, default params), as `clave train --table` runs them: build, fit on the
 * float32 examples (standardised inside the plugin on the training rows), predict — the path a run
 * takes, less its file writes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeNpy } from "../core/npy.ts";
import type { Classifier, Features } from "../core/ml/common.ts";
import { fitBoosting } from "../core/ml/boosting.ts";
import { fitForest } from "../core/ml/forest.ts";
import { fitKnn } from "../core/ml/knn.ts";
import { fitLogistic } from "../core/ml/logistic.ts";
import { fitStandardizer } from "../core/ml/standardize.ts";
import { fitSvm } from "../core/ml/svm.ts";
import { clusteredTable, splitTable, writeSplit } from "../test/ml/fixtures.ts";
import { ndarray } from "../core/ndarray.ts";
import type { ModelPlugin } from "../core/plugin.ts";
import { builtinPlugins } from "../plugins/index.ts";

/** The model plugin of each core/ml model (`--plugins`). */
const PLUGINS: Readonly<Record<string, string>> = { knn: "knn", logistic: "logistic_regression", svm: "svm", forest: "random_forest", boosting: "boosted_trees" };

interface Measure {
  wall: number;
  cpu: number;
  accuracy: number;
  hwm_kb: number;
}

type Fit = (X: Features, nRows: number, nCols: number, y: Int32Array, nClasses: number) => Classifier;
const MODELS: Record<string, { fit?: Fit; reps: number; target?: number }> = {
  standardize: { reps: 9 },
  knn: { fit: fitKnn, reps: 9, target: 2 },
  logistic: { fit: fitLogistic, reps: 9, target: 2 },
  svm: { fit: fitSvm, reps: 7, target: 2 },
  forest: { fit: fitForest, reps: 3, target: 3 },
  boosting: { fit: fitBoosting, reps: 3, target: 3 },
};
const SELF = fileURLToPath(import.meta.url);
const PEER = join(fileURLToPath(new URL(".", import.meta.url)), "classical.py");
const HWM = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? process.resourceUsage().maxRSS);

const args = process.argv.slice(2);
if (args[0] === "--one") {
  // Child process: one model of clave, measured.
  const [, dir, model, , via] = args;
  const read = (name: string) => decodeNpy(readFileSync(join(dir, `${name}.npy`)), name);
  const Xtr = read("Xtr"), Xte = read("Xte");
  const ytr = Int32Array.from(read("ytr").data as BigInt64Array | Int32Array, Number);
  const yte = Int32Array.from(read("yte").data as BigInt64Array | Int32Array, Number);
  const [nTrain, nCols] = Xtr.shape;
  const nTest = Xte.shape[0];
  const nClasses = Math.max(...ytr) + 1;
  if (model === "none") {
    console.log(JSON.stringify({ hwm_kb: HWM() }));
    process.exit(0);
  }
  const { fit, reps } = MODELS[model];
  const plugin = via === "plugin" && PLUGINS[model] ? (builtinPlugins.find((p) => p.kind === "model" && p.name === PLUGINS[model]) as ModelPlugin) : null;
  const x32 = (X: Float64Array | Float32Array, n: number) => ndarray(Float32Array.from(X), [n, nCols]);
  const runPlugin = async (): Promise<number> => {
    const m = await plugin!.build({ inputShape: [nCols], nClasses, seed: 0 }, {});
    await plugin!.fit(m, { x: x32(Xtr.data as Float64Array, nTrain), y: ytr }, { seed: 0, progress: false });
    const scores = (await plugin!.predict(m, x32(Xte.data as Float64Array, nTest))).data;
    let right = 0;
    for (let i = 0; i < nTest; i++) {
      let best = 0;
      for (let k = 1; k < nClasses; k++) if (scores[i * nClasses + k] > scores[i * nClasses + best]) best = k;
      if (best === yte[i]) right++;
    }
    return right / nTest;
  };
  const run = (): number => {
    if (!fit) {
      fitStandardizer(Xtr.data as Float64Array, nTrain, nCols).transform(Xte.data as Float64Array, nTest);
      return NaN;
    }
    const pred = fit(Xtr.data as Float64Array, nTrain, nCols, ytr, nClasses).predict(Xte.data as Float64Array, nTest);
    let right = 0;
    for (let i = 0; i < nTest; i++) if (pred[i] === yte[i]) right++;
    return right / nTest;
  };
  if (plugin) await runPlugin();
  else run();
  const walls: number[] = [], cpus: number[] = [];
  let accuracy = NaN;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    accuracy = plugin ? await runPlugin() : run();
    walls.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
  }
  console.log(JSON.stringify({ wall: median(walls), cpu: median(cpus), accuracy, hwm_kb: HWM() }));
  process.exit(0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const option = (flag: string, fallback: number): number => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const nRows = option("--rows", 2000), nCols = option("--cols", 50), nClasses = option("--classes", 10);
const nTrain = Math.round(nRows * 0.75);
const split = splitTable(clusteredTable(nRows, nCols, nClasses, 2024), nTrain);
const scaler = fitStandardizer(split.train.X, split.train.nRows, nCols);
const dir = mkdtempSync(join(tmpdir(), "clave-bench-classical-"));
writeSplit(dir, {
  train: { ...split.train, X: scaler.transform(split.train.X, split.train.nRows) },
  test: { ...split.test, X: scaler.transform(split.test.X, split.test.nRows) },
});

const THREADS = { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
function measure(command: string, argv: string[]): Measure {
  const r = spawnSync(command, argv, { encoding: "utf8", env: { ...process.env, ...THREADS }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${command} ${argv.join(" ")}: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split("\n").pop()!) as Measure;
  // JSON has no NaN: a model without accuracy (the standardizer) comes back null.
  return { ...m, accuracy: m.accuracy ?? NaN };
}
const viaPlugins = args.includes("--plugins");
const clave = (model: string, reps = 0) => measure(process.execPath, [SELF, "--one", dir, model, String(reps), viaPlugins ? "plugin" : "core"]);
const python = (model: string, reps: number) => measure("/usr/bin/python3", [PEER, dir, model, String(reps)]);

console.log(`table: ${nRows} × ${nCols}, ${nClasses} classes, train ${nTrain} / test ${nRows - nTrain}, standardized; runtime ${process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.versions.node}`}`);
if (viaPlugins) console.log("clave side: the model plugins (build, fit with standardisation inside, predict), default params");
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (2 cores shared: numbers are only meaningful near 0)\n`);
const baseClave = clave("none").hwm_kb;
const basePython = python("none", 0).hwm_kb;
const ms = (s: number) => `${(s * 1000).toFixed(1)}`.padStart(8);
const mb = (kb: number) => `${(kb / 1024).toFixed(1)}`.padStart(6);
const pct = (a: number) => (Number.isNaN(a) ? "     -" : `${(a * 100).toFixed(1)}`.padStart(6));
console.log(
  `${"model".padEnd(12)}${"clave ms".padStart(9)}${"(cpu)".padStart(9)}${"sklearn".padStart(9)}${"(cpu)".padStart(9)}${"ratio".padStart(7)}${"target".padStart(7)}` +
    `${"acc".padStart(7)}${"skl acc".padStart(8)}${"Δ pts".padStart(7)}${"peak MB".padStart(8)}${"skl MB".padStart(8)}`,
);
for (const [model, { reps, target }] of Object.entries(MODELS)) {
  const ours = clave(model, reps);
  const theirs = python(model, reps);
  const ratio = ours.cpu / theirs.cpu;
  const delta = (ours.accuracy - theirs.accuracy) * 100;
  console.log(
    `${model.padEnd(12)}${ms(ours.wall)} ${ms(ours.cpu)} ${ms(theirs.wall)} ${ms(theirs.cpu)}${ratio.toFixed(2).padStart(7)}${(target ? `≤${target}` : "").padStart(7)}` +
      `${pct(ours.accuracy)}${pct(theirs.accuracy).padStart(8)}${(Number.isNaN(delta) ? "-" : delta.toFixed(1)).padStart(7)}` +
      `${mb(ours.hwm_kb - baseClave).padStart(8)}${mb(theirs.hwm_kb - basePython).padStart(8)}`,
  );
}
const xgb = python("xgboost", 3);
console.log(`${"xgboost".padEnd(12)}${"".padStart(18)} ${ms(xgb.wall)} ${ms(xgb.cpu)}${"".padStart(14)}${"".padStart(7)}${pct(xgb.accuracy).padStart(8)}${"".padStart(15)}${mb(xgb.hwm_kb - basePython).padStart(8)}`);
console.log(`\n(xgboost: XGBClassifier hist, defaults (100 rounds, depth 6, eta 0.3), n_jobs=1; peak MB: max RSS above a process that only loaded data and libraries, clave ${(baseClave / 1024).toFixed(0)} MB, python ${(basePython / 1024).toFixed(0)} MB)`);
console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
rmSync(dir, { recursive: true, force: true });
