/**
 * Feature tables for the classical-model tests and bench/classical.ts, from a seed, and the bridge to
 * scikit-learn: the table written as .npy, test/ml/sklearn_peer.py run on it, its outputs read back.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeNpy, decodeNpy } from "../../core/npy.ts";
import { ndarray } from "../../core/ndarray.ts";
import { mulberry32 } from "../../core/random.ts";

export interface Table {
  readonly X: Float64Array;
  readonly y: Int32Array;
  readonly nRows: number;
  readonly nCols: number;
  readonly nClasses: number;
}

export interface Split {
  readonly train: Table;
  readonly test: Table;
}

/**
 * `nRows × nCols` rows of `nClasses` classes: each class is two Gaussian clusters on the first half of the
 * columns (so no single hyperplane separates it), the other half is noise; columns have different
 * scales and offsets; `flip` of the labels are replaced by a random class. Rows are in random order.
 */
export function clusteredTable(nRows: number, nCols: number, nClasses: number, seed: number, spread = 1.6, flip = 0.05): Table {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const informative = Math.max(1, Math.floor(nCols / 2));
  const centres = new Float64Array(nClasses * 2 * informative);
  for (let i = 0; i < centres.length; i++) centres[i] = spread * normal();
  const colScale = new Float64Array(nCols);
  const colOffset = new Float64Array(nCols);
  for (let j = 0; j < nCols; j++) {
    colScale[j] = 0.5 + 3 * random();
    colOffset[j] = 10 * (random() - 0.5);
  }
  const X = new Float64Array(nRows * nCols);
  const y = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    const c = Math.floor(random() * nClasses);
    const cluster = random() < 0.5 ? 0 : 1;
    const centre = (c * 2 + cluster) * informative;
    for (let j = 0; j < nCols; j++) {
      const v = (j < informative ? centres[centre + j] : 0) + normal();
      X[i * nCols + j] = v * colScale[j] + colOffset[j];
    }
    y[i] = random() < flip ? Math.floor(random() * nClasses) : c;
  }
  return { X, y, nRows, nCols, nClasses };
}

/** The first `nTrain` rows for training, the rest for testing (the rows are already in random order). */
export function splitTable(t: Table, nTrain: number): Split {
  const part = (from: number, to: number): Table => ({
    X: t.X.slice(from * t.nCols, to * t.nCols),
    y: t.y.slice(from, to),
    nRows: to - from,
    nCols: t.nCols,
    nClasses: t.nClasses,
  });
  return { train: part(0, nTrain), test: part(nTrain, t.nRows) };
}

/** Fraction of equal entries. */
export function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

export const PYTHON = "/usr/bin/python3";
const PEER = resolve(fileURLToPath(new URL(".", import.meta.url)), "sklearn_peer.py");

/** Write a split as Xtr.npy, ytr.npy, Xte.npy, yte.npy in `dir`. */
export function writeSplit(dir: string, split: Split): void {
  const { train, test } = split;
  writeFileSync(join(dir, "Xtr.npy"), encodeNpy(ndarray(train.X, [train.nRows, train.nCols])));
  writeFileSync(join(dir, "ytr.npy"), encodeNpy(ndarray(train.y, [train.nRows])));
  writeFileSync(join(dir, "Xte.npy"), encodeNpy(ndarray(test.X, [test.nRows, test.nCols])));
  writeFileSync(join(dir, "yte.npy"), encodeNpy(ndarray(test.y, [test.nRows])));
}

export interface PeerResult {
  readonly pred: Int32Array;
  readonly proba: Float64Array | undefined;
  /** StandardScaler only: the transformed test rows. */
  readonly transformed: Float64Array | undefined;
  /** SVC only: one-vs-one decision values (for two classes, scikit-learn's sign: positive is the second class). */
  readonly decision: Float64Array | undefined;
}

export interface PeerJob {
  /** Names the outputs. */
  readonly name: string;
  /** One of sklearn_peer.py's: standardize, knn, logistic, svm, forest, boosting. */
  readonly model: string;
  /** scikit-learn's parameter names and values. */
  readonly params?: Record<string, unknown>;
}

/**
 * Fit scikit-learn's models on the split in `dir` (one Python process for all the jobs: importing
 * scikit-learn is most of the cost) and read back their test predictions and probabilities.
 */
export function sklearnPeer(dir: string, jobs: readonly PeerJob[]): Record<string, PeerResult> {
  const r = spawnSync(PYTHON, [PEER, dir, JSON.stringify(jobs)], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (r.status !== 0) throw new Error(`sklearn_peer.py failed (${r.status ?? r.signal}): ${r.stderr}`);
  const written = new Set(r.stdout.split("\n"));
  const read = (file: string) => (written.has(file) ? decodeNpy(readFileSync(join(dir, `${file}.npy`)), file).data : undefined);
  const out: Record<string, PeerResult> = {};
  for (const { name } of jobs) {
    const pred = read(`${name}_pred`) as BigInt64Array | undefined;
    out[name] = {
      pred: pred ? Int32Array.from(pred, Number) : new Int32Array(0),
      proba: read(`${name}_proba`) as Float64Array | undefined,
      transformed: read(`${name}_transformed`) as Float64Array | undefined,
      decision: read(`${name}_dec`) as Float64Array | undefined,
    };
  }
  return out;
}
