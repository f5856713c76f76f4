/** Cross-validation: repeated, stratified, grouped k-fold on a table and on a dataset's features; every fold a run. */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadTableDataset } from "../../core/dataset/table.ts";
import { UsageError } from "../../core/errors.ts";
import { crossValidate, type CvResult } from "../../core/run/cv.ts";
import { openRun } from "../../core/run/recorded-run.ts";
import { scanRuns } from "../../core/run/run.ts";
import { Registry } from "../../core/registry.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { ROOT, runClave, tempDir } from "../helpers.ts";
import { writeGtzanLike } from "./table-fixtures.ts";

const registry = new Registry(builtinPlugins.map((plugin) => ({ plugin, origin: "builtin" })));
const dir = tempDir("clave-cv-");
const runs = join(dir, "runs");
// 3-second rows: 4 genres × 10 tracks × 4 segments.
const csv = writeGtzanLike(join(dir, "features_3_sec.csv"), { tracks: 10, segments: 4, seed: 8, separation: 0.5 });

describe("crossValidate on a feature table", () => {
  let results: readonly CvResult[] = [];
  test("two models, 4 folds × 2 repeats: a CV folder per model, a run per fold, mean ± std of each metric", async () => {
    const report = await crossValidate({ model: ["knn", "logistic_regression"], table: csv, folds: 4, repeats: 2, runs, registry, seed: 3, modelParams: { knn: { n_neighbors: 3 } } });
    results = report.results;
    expect(results.map((r) => r.model)).toEqual(["knn", "logistic_regression"]);
    for (const r of results) {
      expect(r.folds).toHaveLength(8);
      expect(r.complete).toBe(true);
      expect(r.folds.map((f) => `${f.repeat}/${f.fold}`)).toEqual(["0/0", "0/1", "0/2", "0/3", "1/0", "1/1", "1/2", "1/3"]);
      const acc = r.folds.map((f) => f.metrics.accuracy!);
      const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
      expect(r.summary.accuracy!.mean).toBeCloseTo(mean, 12);
      expect(r.summary.accuracy!.std).toBeCloseTo(Math.sqrt(acc.reduce((a, v) => a + (v - mean) ** 2, 0) / acc.length), 12);
      // Every fold's rows are all the table's rows, once.
      expect(r.folds.slice(0, 4).reduce((a, f) => a + f.test, 0)).toBe(160);
      const saved = JSON.parse(readFileSync(join(r.dir, "cv.json"), "utf8")) as CvResult;
      expect(saved.summary).toEqual(r.summary);
      expect(saved.params).toMatchObject(r.model === "knn" ? { n_neighbors: 3 } : { C: 1 });
    }
    expect(report.table.numRows()).toBe(2);
    expect(report.table.columnNames()).toContain("accuracy_std");
    // Segments of a track are scored together at the track level.
    expect(results[0].summary.track_accuracy).toBeDefined();
  });

  test("no fold's training part holds a track of its test part, and each repeat's folds differ", async () => {
    const data = await loadTableDataset(csv);
    for (const r of results) {
      const testSets: string[][] = [];
      for (const f of r.folds) {
        const run = await openRun(join(r.dir, f.run), { registry });
        const { train, test } = run.dataset!.splits;
        expect(train.filter((t) => test.includes(t))).toEqual([]);
        expect(new Set([...train, ...test]).size).toBe(40);
        testSets.push([...test].sort());
      }
      expect(testSets.slice(0, 4)).not.toEqual(testSets.slice(4));
    }
    expect(data.tracks.length).toBe(160);
  });

  test("the CV folders are collections: clave runs skips them and lists their folds", async () => {
    const top = await scanRuns(runs);
    expect(top.runs).toEqual([]);
    expect(top.damaged).toEqual([]);
    const inside = await scanRuns(results[0].dir);
    expect(inside.runs).toHaveLength(8);
  });

  test("bad requests are refused before any fold", async () => {
    await expect(crossValidate({ model: "knn", table: csv, folds: 1, runs, registry })).rejects.toThrow("folds 1: expected an integer >= 2");
    await expect(crossValidate({ model: "knn", runs, registry })).rejects.toBeInstanceOf(UsageError);
    await expect(crossValidate({ model: "svm", modelParams: { knn: { n_neighbors: 2 } }, table: csv, runs, registry })).rejects.toThrow("params for knn, which is not among the models");
    await expect(crossValidate({ model: "knn", table: csv, folds: 41, runs, registry })).rejects.toThrow("40 groups (id) cannot fill 41 folds");
  });
});

describe("clave cv", () => {
  test("one row per model with mean ± std, from the command line", () => {
    const r = runClave(["cv", "--model", "knn,svm", "--table", csv, "--folds", "3", "--repeats", "2", "--runs", join(dir, "cli"), "--param", "svm.C=10"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("3-fold cross-validation, 2 repeats, grouped by id");
    expect(r.stdout).toMatch(/\nknn +3x2 +\d+\.\d\d ± \d+\.\d\d/);
    expect(r.stdout).toMatch(/\nsvm +3x2 +\d+\.\d\d ± \d+\.\d\d/);
    expect(r.stdout).toContain("track_accuracy");
  });

  test("on a dataset's features (audio), grouped by track", () => {
    const args = ["cv", "--model", "knn", "--dataset", join(ROOT, "data", "tour", "manifest.csv"), "--features", "mfcc", "--segment", "1", "--folds", "3"];
    const r = runClave([...args, "--runs", join(dir, "audio"), "--cache", join(dir, "cache"), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [result] = JSON.parse(r.stdout) as CvResult[];
    expect(result.folds).toHaveLength(3);
    expect(result.data.features?.name).toBe("mfcc");
    // 30 tracks of 4 s: 4 one-second segments each, every track in one fold.
    expect(result.folds.reduce((a, f) => a + f.test, 0)).toBe(120);
    expect(result.summary.track_accuracy).toBeDefined();
    expect(existsSync(join(result.dir, result.folds[0].run, "model", "classical.json"))).toBe(true);
  }, 120_000);
});
