/**
 * The classical model plugins (knn, svm, random_forest, boosted_trees, logistic_regression) trained on a
 * feature table as recorded runs, against scikit-learn on the same rows: standardisation fitted on the
 * training part only, scikit-learn's parameter names and defaults, the saved model predicting what
 * the run recorded. (core/ml's own tests hold the algorithms to scikit-learn more tightly.)
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadTableDataset, tableSplit } from "../../core/dataset/table.ts";
import { ParamError } from "../../core/errors.ts";
import { argmaxRows } from "../../core/metrics/probabilities.ts";
import type { ClassicalModel } from "../../core/ml/model.ts";
import { fitStandardizer } from "../../core/ml/standardize.ts";
import { ndarray } from "../../core/ndarray.ts";
import { openRun } from "../../core/run/recorded-run.ts";
import { scanRuns } from "../../core/run/run.ts";
import { trainTable } from "../../core/run/table.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { Registry } from "../../core/registry.ts";
import { runClave, tempDir } from "../helpers.ts";
import { sklearnPeer, writeSplit } from "../ml/fixtures.ts";
import { writeGtzanLike } from "../run/table-fixtures.ts";

const registry = new Registry(builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" })));
const dir = tempDir("clave-classical-");
const runs = join(dir, "runs");
// 10 genres × 40 tracks of 30-second rows, genres close enough that no model is perfect.
const csv = writeGtzanLike(join(dir, "features_30_sec.csv"), {
  genres: ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"],
  tracks: 40,
  seed: 4,
  separation: 0.45,
});
const data = await loadTableDataset(csv);
const split = tableSplit(data, { seed: 0 });
const rowsOf = (part: string) => split.flatMap((s, i) => (s === part ? [i] : []));
const trainRows = rowsOf("train");
const testRows = rowsOf("test");
const nCols = data.columns.length;
const take = (rows: number[]) => Float64Array.from(rows.flatMap((r) => Array.from(data.x.data.subarray(r * nCols, (r + 1) * nCols))));
const Xtr = take(trainRows);
const Xte = take(testRows);
const ytr = Int32Array.from(trainRows, (r) => data.y[r]);
const yte = Int32Array.from(testRows, (r) => data.y[r]);
const scaler = fitStandardizer(Xtr, trainRows.length, nCols);
const table = (X: Float64Array, y: Int32Array) => ({ X, y, nRows: y.length, nCols, nClasses: data.labels.length });
const rawDir = join(dir, "raw");
const stdDir = join(dir, "std");
for (const d of [rawDir, stdDir]) require("node:fs").mkdirSync(d);
writeSplit(rawDir, { train: table(Xtr, ytr), test: table(Xte, yte) });
writeSplit(stdDir, { train: table(scaler.transform(Xtr, trainRows.length), ytr), test: table(scaler.transform(Xte, testRows.length), yte) });
const scaled = sklearnPeer(stdDir, [
  { name: "knn", model: "knn" },
  { name: "logistic", model: "logistic" },
  { name: "svm", model: "svm" },
]);
const raw = sklearnPeer(rawDir, [
  { name: "forest", model: "forest", params: { random_state: 0 } },
  { name: "boosting", model: "boosting", params: { random_state: 0 } },
]);

const accuracy = (pred: ArrayLike<number>) => Array.from(pred).filter((p, i) => p === yte[i]).length / yte.length;

/** The run's model, loaded back from its folder, on the test rows: its scores and their argmax. */
async function predicted(runDir: string): Promise<{ scores: Float32Array; pred: Int32Array; model: ClassicalModel }> {
  const run = await openRun(runDir, { registry });
  const loaded = await run.model();
  const scores = await loaded.plugin.predict(loaded.model, ndarray(Float32Array.from(Xte), [testRows.length, nCols]));
  return { scores: scores.data as Float32Array, pred: argmaxRows(scores), model: loaded.model as ClassicalModel };
}

describe("classical model plugins on a feature table, against scikit-learn on the same split", () => {
  const trained = new Map<string, string>();
  for (const model of ["knn", "svm", "random_forest", "boosted_trees", "logistic_regression"]) {
    test(`${model}: a recorded run on the table's split, its model saved as JSON`, async () => {
      const run = await trainTable({ model, table: csv, runs, registry, seed: 0, progress: false });
      trained.set(model, run.dir);
      expect(existsSync(join(run.dir, "model", "classical.json"))).toBe(true);
      expect(run.record.features).toBe("table:features_30_sec.csv");
      expect(run.config.table?.columns).toHaveLength(57);
      expect(run.record.examples).toEqual({ train: trainRows.length, validation: 0, test: testRows.length });
      const recorded = JSON.parse(readFileSync(join(run.dir, "dataset.json"), "utf8")) as { splits: { test: string[] } };
      expect(recorded.splits.test).toEqual(testRows.map((r) => data.tracks[r]));
      // The saved model, loaded back, scores the test rows as the run did.
      const { pred } = await predicted(run.dir);
      expect(accuracy(pred)).toBeCloseTo(run.evaluation.segment.accuracy, 12);
    });
  }

  test("standardisation is fitted on the training rows only and kept in the model", async () => {
    const { model } = await predicted(trained.get("knn")!);
    expect(Array.from(model.standardizer!.mean)).toEqual(Array.from(scaler.mean));
    expect(Array.from(model.standardizer!.scale)).toEqual(Array.from(scaler.scale));
    expect((await predicted(trained.get("random_forest")!)).model.standardizer).toBeNull();
  });

  test("knn: the same predictions as KNeighborsClassifier", async () => {
    expect(Array.from((await predicted(trained.get("knn")!)).pred)).toEqual(Array.from(scaled.knn.pred));
  });

  test("logistic_regression: probabilities within 1e-4 of LogisticRegression's", async () => {
    const { scores } = await predicted(trained.get("logistic_regression")!);
    let worst = 0;
    for (let i = 0; i < scores.length; i++) worst = Math.max(worst, Math.abs(scores[i] - scaled.logistic.proba![i]));
    expect(worst).toBeLessThan(1e-4);
  });

  test("svm: the accuracy of SVC (±1 test row); scores are vote shares whose argmax is the prediction", async () => {
    const { scores, pred } = await predicted(trained.get("svm")!);
    expect(Math.abs(accuracy(pred) - accuracy(scaled.svm.pred)) * yte.length).toBeLessThanOrEqual(1);
    const k = data.labels.length;
    for (let i = 0; i < testRows.length; i++) {
      const row = Array.from(scores.subarray(i * k, (i + 1) * k));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      row.forEach((v) => expect(Math.round(v * 45) - v * 45).toBeCloseTo(0, 4));
    }
  });

  test("random_forest and boosted_trees: accuracy within 3 points of scikit-learn's", async () => {
    const forest = accuracy((await predicted(trained.get("random_forest")!)).pred);
    const boosting = accuracy((await predicted(trained.get("boosted_trees")!)).pred);
    expect(Math.abs(forest - accuracy(raw.forest.pred))).toBeLessThanOrEqual(0.03);
    expect(Math.abs(boosting - accuracy(raw.boosting.pred))).toBeLessThanOrEqual(0.03);
  });

  test("scikit-learn's parameter names; a bad value is refused before the table is read", async () => {
    await expect(trainTable({ model: "svm", table: join(dir, "absent.csv"), params: { C: -1 }, runs, registry })).rejects.toBeInstanceOf(ParamError);
    await expect(trainTable({ model: "knn", table: csv, params: { k: 3 }, runs, registry })).rejects.toThrow('knn: parameter "k": unknown parameter');
    const run = await trainTable({ model: "svm", table: csv, params: { C: 10, probability: true }, runs, registry, seed: 1, progress: false });
    expect(run.config.params).toMatchObject({ C: 10, gamma: "scale", probability: true, random_state: null, standardize: true });
    const { scores } = await predicted(run.dir);
    // Platt-scaled probabilities are not vote shares.
    expect(Array.from(scores).some((v) => Math.abs(v * 45 - Math.round(v * 45)) > 1e-3)).toBe(true);
  });

  test("a classical run missing its model file is listed as damaged", async () => {
    const victim = trained.get("logistic_regression")!;
    rmSync(join(victim, "model", "classical.json"));
    const listing = await scanRuns(runs);
    expect(listing.damaged.map((d) => d.dir)).toEqual([victim]);
  });
});

describe("clave train --table", () => {
  test("trains a classical model on a CSV from the command line; bad flag combinations are refused", () => {
    const r = runClave(["train", "--model", "knn", "--table", csv, "--param", "n_neighbors=9", "--runs", join(dir, "cli-runs"), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const { summary, dir: runDir } = JSON.parse(r.stdout) as { dir: string; summary: { model: string; features: string; examples: { test: number } } };
    expect(summary).toMatchObject({ model: "knn", features: "table:features_30_sec.csv", examples: { test: testRows.length } });
    const evaluated = runClave(["evaluate", runDir]);
    expect(evaluated.code).toBe(1);
    expect(evaluated.stderr).toContain("this run was trained on a feature table: its test metrics are in metrics.json");
    const both = runClave(["train", "--model", "knn", "--table", csv, "--dataset", "x.csv"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --table or --dataset, not both");
    const stray = runClave(["train", "--model", "knn", "--table", csv, "--segment", "3"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--segment: not with --table");
    const neither = runClave(["train", "--model", "knn"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("give --features and --dataset (a manifest), or --table");
    const label = runClave(["train", "--model", "knn", "--table", csv, "--label", "genre"]);
    expect(label.code).toBe(1);
    expect(label.stderr).toContain(`clave: ${csv}: no label column "genre"`);
  });
});
