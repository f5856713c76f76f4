import { describe, expect, test } from "bun:test";
import { fitForest, ForestModel } from "../../core/ml/forest.ts";
import { binTable } from "../../core/ml/binning.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { ParamError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { agreement, clusteredTable, sklearnPeer, splitTable, writeSplit } from "./fixtures.ts";

const split = splitTable(clusteredTable(1000, 20, 4, 5), 500);
const dir = tempDir("clave-forest-");
writeSplit(dir, split);
const SEEDS = [0, 1, 2];
const peer = sklearnPeer(
  dir,
  SEEDS.flatMap((seed) => [
    { name: `rf${seed}`, model: "forest", params: { random_state: seed } },
    { name: `depth${seed}`, model: "forest", params: { random_state: seed, max_depth: 4, n_estimators: 30 } },
  ]),
);
const { train, test: held } = split;

/** Mean test accuracy over the seeds: single forests differ by a point or so from seed to seed. */
function meanAccuracy(predictions: Int32Array[]): number {
  return predictions.reduce((sum, p) => sum + agreement(p, held.y), 0) / predictions.length;
}

describe("random forest against scikit-learn's RandomForestClassifier", () => {
  test("defaults (100 trees, sqrt features, bootstrap): accuracy within 2 points", () => {
    const ours = meanAccuracy(SEEDS.map((seed) => fitForest(train.X, train.nRows, train.nCols, train.y, 4, { seed }).predict(held.X, held.nRows)));
    const theirs = meanAccuracy(SEEDS.map((seed) => peer[`rf${seed}`].pred));
    expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.02);
  });

  test("maxDepth 4, 30 trees: accuracy within 2 points", () => {
    const ours = meanAccuracy(
      SEEDS.map((seed) => fitForest(train.X, train.nRows, train.nCols, train.y, 4, { seed, maxDepth: 4, nEstimators: 30 }).predict(held.X, held.nRows)),
    );
    const theirs = meanAccuracy(SEEDS.map((seed) => peer[`depth${seed}`].pred));
    expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.02);
  });

  test("one tree on every row and feature fits distinct training rows exactly; depth limits hold", () => {
    const full = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { nEstimators: 1, bootstrap: false, maxFeatures: "all" });
    expect(agreement(full.predict(train.X, train.nRows), train.y)).toBe(1);
    const stump = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { nEstimators: 1, maxDepth: 1 });
    expect(stump.trees[0].nLeaves).toBe(2);
    const limited = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { nEstimators: 1, maxLeafNodes: 7 });
    expect(limited.trees[0].nLeaves).toBe(7);
  });

  test("deterministic for a seed; saved and loaded, the same probabilities", () => {
    const a = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { seed: 9, nEstimators: 20 });
    const again = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { seed: 9, nEstimators: 20 });
    const other = fitForest(train.X, train.nRows, train.nCols, train.y, 4, { seed: 10, nEstimators: 20 });
    const pa = a.predictProba(held.X, held.nRows);
    expect(Array.from(again.predictProba(held.X, held.nRows))).toEqual(Array.from(pa));
    expect(Array.from(other.predictProba(held.X, held.nRows))).not.toEqual(Array.from(pa));
    const loaded = ForestModel.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(Array.from(loaded.predictProba(held.X, held.nRows))).toEqual(Array.from(pa));
    for (let i = 0; i < held.nRows; i++) expect(pa[i * 4] + pa[i * 4 + 1] + pa[i * 4 + 2] + pa[i * 4 + 3]).toBeCloseTo(1, 12);
  });

  test("binning: at most maxBins quantile bins; few distinct values get midpoints", () => {
    const X = new Float64Array(1000 * 2);
    for (let i = 0; i < 1000; i++) {
      X[i * 2] = i;
      X[i * 2 + 1] = i % 3;
    }
    const table = binTable(X, 1000, 2, { maxBins: 255 });
    expect(Array.from(table.nBins)).toEqual([255, 3]);
    expect(Array.from(table.thresholds.subarray(254))).toEqual([0.5, 1.5]);
    // Bin b holds the values x with thresholds[b − 1] < x ≤ thresholds[b]: about 1000 / 255 each.
    const counts = new Int32Array(255);
    for (let i = 0; i < 1000; i++) counts[table.codes[i]]++;
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
  });

  test("bad input: typed errors", () => {
    const X = new Float64Array([0, 1, 2, 3]);
    expect(() => fitForest(X, 4, 1, new Int32Array([0, 0, 0, 0]), 2)).toThrow(ModelDataError);
    expect(() => fitForest(X, 4, 1, new Int32Array([0, 1, 0, 1]), 2, { maxFeatures: 2 })).toThrow(ParamError);
    expect(() => fitForest(X, 4, 1, new Int32Array([0, 1, 0, 1]), 2, { nEstimators: 0 })).toThrow(ParamError);
    const model = fitForest(X, 4, 1, new Int32Array([0, 1, 0, 1]), 2, { nEstimators: 2 });
    const saved = model.toJSON() as unknown as { trees: { feature: number[] }[] };
    saved.trees[0].feature[0] = 3;
    expect(() => ForestModel.fromJSON(saved)).toThrow(/trees\[0\]: node 0 splits on column 3/);
  });
});
