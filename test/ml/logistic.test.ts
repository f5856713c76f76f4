import { describe, expect, test } from "bun:test";
import { fitLogistic, LogisticModel } from "../../core/ml/logistic.ts";
import { minimizeLbfgs } from "../../core/ml/lbfgs.ts";
import { fitStandardizer } from "../../core/ml/standardize.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { ParamError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { clusteredTable, sklearnPeer, splitTable, writeSplit, type Split } from "./fixtures.ts";

/** A split standardized on its training rows (what a pipeline feeds logistic regression). */
function standardized(split: Split): Split {
  const scaler = fitStandardizer(split.train.X, split.train.nRows, split.train.nCols);
  return {
    train: { ...split.train, X: scaler.transform(split.train.X, split.train.nRows) },
    test: { ...split.test, X: scaler.transform(split.test.X, split.test.nRows) },
  };
}

const four = standardized(splitTable(clusteredTable(600, 20, 4, 21), 450));
const two = standardized(splitTable(clusteredTable(400, 10, 2, 22), 300));
const dirFour = tempDir("clave-logistic-");
const dirTwo = tempDir("clave-logistic2-");
writeSplit(dirFour, four);
writeSplit(dirTwo, two);
const peerFour = sklearnPeer(dirFour, [
  { name: "c1", model: "logistic" },
  { name: "c01", model: "logistic", params: { C: 0.1 } },
]);
const peerTwo = sklearnPeer(dirTwo, [{ name: "c1", model: "logistic" }]);

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("logistic regression against scikit-learn's LogisticRegression (lbfgs)", () => {
  for (const [name, C] of [
    ["c1", 1],
    ["c01", 0.1],
  ] as const) {
    test(`4 classes (multinomial), C=${C}: probabilities within 1e-3, the same predictions`, () => {
      const { train, test: held } = four;
      const model = fitLogistic(train.X, train.nRows, train.nCols, train.y, 4, { C });
      expect(model.converged).toBe(true);
      expect(maxAbsDiff(model.predictProba(held.X, held.nRows), peerFour[name].proba!)).toBeLessThan(1e-3);
      expect(Array.from(model.predict(held.X, held.nRows))).toEqual(Array.from(peerFour[name].pred));
    });
  }

  test("2 classes (binomial, one coefficient vector as scikit-learn): probabilities within 1e-3", () => {
    const { train, test: held } = two;
    const model = fitLogistic(train.X, train.nRows, train.nCols, train.y, 2);
    expect(model.coef.length).toBe(train.nCols);
    expect(maxAbsDiff(model.predictProba(held.X, held.nRows), peerTwo.c1.proba!)).toBeLessThan(1e-3);
    expect(Array.from(model.predict(held.X, held.nRows))).toEqual(Array.from(peerTwo.c1.pred));
  });

  test("a class absent from training gets probability 0; saved and loaded, the same probabilities", () => {
    const { train, test: held } = four;
    const y = Int32Array.from(train.y, (c) => (c === 2 ? 3 : c));
    const model = fitLogistic(train.X, train.nRows, train.nCols, y, 5);
    expect(Array.from(model.classes)).toEqual([0, 1, 3]);
    const proba = model.predictProba(held.X, held.nRows);
    for (let i = 0; i < held.nRows; i++) {
      expect(proba[i * 5 + 2]).toBe(0);
      expect(proba[i * 5 + 4]).toBe(0);
      expect(proba[i * 5] + proba[i * 5 + 1] + proba[i * 5 + 3]).toBeCloseTo(1, 12);
    }
    const loaded = LogisticModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(loaded.predictProba(held.X, held.nRows))).toEqual(Array.from(proba));
  });

  test("L-BFGS minimises the Rosenbrock function", () => {
    const rosenbrock = (x: Float64Array, g: Float64Array) => {
      g[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]);
      g[1] = 200 * (x[1] - x[0] ** 2);
      return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
    };
    const result = minimizeLbfgs(rosenbrock, new Float64Array([-1.2, 1]), { maxIter: 200, gtol: 1e-8, ftol: 0 });
    expect(result.converged).toBe(true);
    expect(result.x[0]).toBeCloseTo(1, 6);
    expect(result.x[1]).toBeCloseTo(1, 6);
  });

  test("bad input: typed errors", () => {
    expect(() => fitLogistic(new Float64Array([0, 1]), 2, 1, new Int32Array([0, 1]), 2, { C: 0 })).toThrow(ParamError);
    expect(() => fitLogistic(new Float64Array([0, 1]), 2, 1, new Int32Array([0, 0]), 2)).toThrow(ModelDataError);
    expect(() => fitLogistic(new Float64Array([0, NaN]), 2, 1, new Int32Array([0, 1]), 2)).toThrow(/row 1, column 0/);
  });
});
