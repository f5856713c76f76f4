import { describe, expect, test } from "bun:test";
import { BoostingModel, fitBoosting } from "../../core/ml/boosting.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { ParamError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { agreement, clusteredTable, sklearnPeer, splitTable, writeSplit } from "./fixtures.ts";

const four = splitTable(clusteredTable(1000, 20, 4, 5), 500);
const two = splitTable(clusteredTable(600, 10, 2, 8), 300);
const dirFour = tempDir("clave-boosting-");
const dirTwo = tempDir("clave-boosting2-");
writeSplit(dirFour, four);
writeSplit(dirTwo, two);
const peerFour = sklearnPeer(dirFour, [
  { name: "defaults", model: "boosting" },
  { name: "depth3", model: "boosting", params: { max_depth: 3, max_leaf_nodes: null, learning_rate: 0.2, max_iter: 50, l2_regularization: 1.0 } },
]);
const peerTwo = sklearnPeer(dirTwo, [{ name: "defaults", model: "boosting" }]);

describe("gradient boosting against scikit-learn's HistGradientBoostingClassifier", () => {
  for (const [name, params] of [
    ["defaults", {}],
    ["depth3", { maxDepth: 3, maxLeafNodes: null, learningRate: 0.2, maxIter: 50, l2Regularization: 1 }],
  ] as const) {
    test(`4 classes, ${name}: accuracy within 2 points, predictions mostly the same`, () => {
      const { train, test: held } = four;
      const model = fitBoosting(train.X, train.nRows, train.nCols, train.y, 4, params);
      expect(model.trees.length).toBe(4 * (name === "defaults" ? 100 : 50));
      const pred = model.predict(held.X, held.nRows);
      const theirs = peerFour[name].pred;
      expect(Math.abs(agreement(pred, held.y) - agreement(theirs, held.y))).toBeLessThanOrEqual(0.02);
      // The same algorithm on nearly the same bins: most test rows get the same class.
      expect(agreement(pred, theirs)).toBeGreaterThanOrEqual(0.95);
    });
  }

  test("2 classes: one tree a round (log-odds), accuracy within 2 points", () => {
    const { train, test: held } = two;
    const model = fitBoosting(train.X, train.nRows, train.nCols, train.y, 2);
    expect(model.trees.length).toBe(100);
    expect(model.nOutputs).toBe(1);
    const pred = model.predict(held.X, held.nRows);
    expect(Math.abs(agreement(pred, held.y) - agreement(peerTwo.defaults.pred, held.y))).toBeLessThanOrEqual(0.02);
  });

  test("trees respect maxLeafNodes and minSamplesLeaf", () => {
    const { train } = four;
    const model = fitBoosting(train.X, train.nRows, train.nCols, train.y, 4, { maxIter: 3, maxLeafNodes: 5, minSamplesLeaf: 40 });
    for (const tree of model.trees) expect(tree.nLeaves).toBeLessThanOrEqual(5);
    const strict = fitBoosting(train.X, train.nRows, train.nCols, train.y, 4, { maxIter: 1, minSamplesLeaf: 250 });
    // 500 rows, 250 a leaf at least: one split at most.
    for (const tree of strict.trees) expect(tree.nLeaves).toBeLessThanOrEqual(2);
  });

  test("early stopping stops once the validation loss stops improving", () => {
    const { train } = four;
    const model = fitBoosting(train.X, train.nRows, train.nCols, train.y, 4, { earlyStopping: true, learningRate: 0.5, maxIter: 200 });
    expect(model.rounds).toBeLessThan(200);
    expect(model.rounds).toBeGreaterThan(10);
  });

  test("saved and loaded, the same probabilities; a class absent from training gets 0", () => {
    const { train, test: held } = four;
    const y = Int32Array.from(train.y, (c) => (c === 1 ? 0 : c));
    const model = fitBoosting(train.X, train.nRows, train.nCols, y, 4, { maxIter: 10 });
    expect(Array.from(model.classes)).toEqual([0, 2, 3]);
    const proba = model.predictProba(held.X, held.nRows);
    for (let i = 0; i < held.nRows; i++) expect(proba[i * 4 + 1]).toBe(0);
    const loaded = BoostingModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(loaded.predictProba(held.X, held.nRows))).toEqual(Array.from(proba));
  });

  test("bad input: typed errors", () => {
    const X = new Float64Array([0, 1, 2, 3]);
    expect(() => fitBoosting(X, 4, 1, new Int32Array([1, 1, 1, 1]), 2)).toThrow(ModelDataError);
    expect(() => fitBoosting(X, 4, 1, new Int32Array([0, 1, 0, 1]), 2, { learningRate: 0 })).toThrow(ParamError);
    expect(() => fitBoosting(X, 4, 1, new Int32Array([0, 1, 0, 1]), 2, { maxBins: 256 })).toThrow(ParamError);
    expect(() => BoostingModel.fromJSON({ kind: "boosting", version: 2 })).toThrow(/format version 2/);
  });
});
