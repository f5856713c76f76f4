import { describe, expect, test } from "bun:test";
import { fitSvm, SvmModel } from "../../core/ml/svm.ts";
import { fitStandardizer } from "../../core/ml/standardize.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { ParamError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { agreement, clusteredTable, sklearnPeer, splitTable, writeSplit, type Split } from "./fixtures.ts";

function standardized(split: Split): Split {
  const scaler = fitStandardizer(split.train.X, split.train.nRows, split.train.nCols);
  return {
    train: { ...split.train, X: scaler.transform(split.train.X, split.train.nRows) },
    test: { ...split.test, X: scaler.transform(split.test.X, split.test.nRows) },
  };
}

// Unscaled (gamma="scale" sees the raw column scales) and standardized, 4 classes; and 2 classes.
const raw = splitTable(clusteredTable(600, 20, 4, 31), 450);
const scaled = standardized(raw);
const binary = splitTable(clusteredTable(400, 10, 2, 32), 300);
const dirs = { raw: tempDir("clave-svm-"), scaled: tempDir("clave-svm-s-"), binary: tempDir("clave-svm-b-") };
writeSplit(dirs.raw, raw);
writeSplit(dirs.scaled, scaled);
writeSplit(dirs.binary, binary);
const peers = {
  raw: sklearnPeer(dirs.raw, [{ name: "svc", model: "svm" }]).svc,
  scaled: sklearnPeer(dirs.scaled, [
    { name: "svc", model: "svm" },
    { name: "c10", model: "svm", params: { C: 10 } },
    { name: "proba", model: "svm", params: { probability: true, random_state: 0 } },
  ]),
  binary: sklearnPeer(dirs.binary, [{ name: "svc", model: "svm" }]).svc,
};

function accuracyPoints(pred: Int32Array, y: Int32Array): number {
  return agreement(pred, y) * y.length;
}

describe("SVM against scikit-learn's SVC (RBF, one-vs-one)", () => {
  for (const [name, split, peer, params] of [
    ["4 classes, raw columns", raw, peers.raw, {}],
    ["4 classes, standardized", scaled, peers.scaled.svc, {}],
    ["4 classes, standardized, C=10", scaled, peers.scaled.c10, { C: 10 }],
    ["2 classes", binary, peers.binary, {}],
  ] as const) {
    test(`${name}: accuracy equal (±1 test row), predictions agree on >= 98%`, () => {
      const { train, test: held } = split;
      const model = fitSvm(train.X, train.nRows, train.nCols, train.y, train.nClasses, params);
      const pred = model.predict(held.X, held.nRows);
      expect(Math.abs(accuracyPoints(pred, held.y) - accuracyPoints(peer.pred, held.y))).toBeLessThanOrEqual(1);
      expect(agreement(pred, peer.pred)).toBeGreaterThanOrEqual(0.98);
      // The same dual solution up to the stopping tolerance: decision values close.
      const ours = model.decisionFunction(held.X, held.nRows);
      const sign = train.nClasses === 2 ? -1 : 1;
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - sign * peer.decision![i]));
      expect(maxDiff).toBeLessThan(0.01);
    });
  }

  test("probability: Platt-scaled probabilities close to libsvm's (different folds), saved and loaded the same", () => {
    const { train, test: held } = scaled;
    const model = fitSvm(train.X, train.nRows, train.nCols, train.y, 4, { probability: true, seed: 3 });
    const proba = model.predictProba(held.X, held.nRows);
    const theirs = peers.scaled.proba.proba!;
    let meanDiff = 0;
    for (let i = 0; i < proba.length; i++) meanDiff += Math.abs(proba[i] - theirs[i]) / proba.length;
    // The cross-validation folds are drawn differently, so the sigmoids differ a little.
    expect(meanDiff).toBeLessThan(0.02);
    for (let i = 0; i < held.nRows; i++) expect(proba[i * 4] + proba[i * 4 + 1] + proba[i * 4 + 2] + proba[i * 4 + 3]).toBeCloseTo(1, 6);
    const loaded = SvmModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(loaded.predictProba(held.X, held.nRows))).toEqual(Array.from(proba));
    expect(Array.from(loaded.predict(held.X, held.nRows))).toEqual(Array.from(model.predict(held.X, held.nRows)));
  });

  test("a small kernel cache (rows evicted and recomputed) gives the same model", () => {
    const { train, test: held } = scaled;
    const big = fitSvm(train.X, train.nRows, train.nCols, train.y, 4);
    // A pair has about 225 rows: 0.01 MB holds 11 kernel rows of 225 floats.
    const small = fitSvm(train.X, train.nRows, train.nCols, train.y, 4, { cacheSize: 0.01 });
    expect(Array.from(small.decisionFunction(held.X, held.nRows))).toEqual(Array.from(big.decisionFunction(held.X, held.nRows)));
  });

  test("without probability, predictProba refuses; bad input: typed errors", () => {
    const X = new Float64Array([0, 0, 1, 1, 0, 1, 1, 0]);
    const model = fitSvm(X, 4, 2, new Int32Array([0, 0, 1, 1]), 2);
    expect(() => model.predictProba(X, 4)).toThrow(/probability: true/);
    expect(() => fitSvm(X, 4, 2, new Int32Array([0, 0, 0, 0]), 2)).toThrow(ModelDataError);
    expect(() => fitSvm(X, 4, 2, new Int32Array([0, 0, 1, 1]), 2, { gamma: -1 })).toThrow(ParamError);
    expect(() => fitSvm(X, 4, 2, new Int32Array([0, 0, 1, 1]), 2, { kernel: "linear" } as never)).toThrow(/unknown parameter/);
  });
});
