import { describe, expect, test } from "bun:test";
import { fitKnn, KnnModel } from "../../core/ml/knn.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { InputShapeError, ParamError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { clusteredTable, sklearnPeer, splitTable, writeSplit } from "./fixtures.ts";

const split = splitTable(clusteredTable(600, 20, 4, 7), 450);
const dir = tempDir("clave-knn-");
writeSplit(dir, split);
const { train, test: held } = split;
const CASES = [
  [5, "uniform"],
  [5, "distance"],
  [1, "uniform"],
  [8, "uniform"],
] as const;
const peer = sklearnPeer(
  dir,
  CASES.map(([k, weights]) => ({ name: `knn${k}${weights}`, model: "knn", params: { n_neighbors: k, weights } })),
);

describe("knn against scikit-learn's KNeighborsClassifier", () => {
  for (const [k, weights] of CASES) {
    test(`k=${k}, weights=${weights}: the same predictions and probabilities`, () => {
      const model = fitKnn(train.X, train.nRows, train.nCols, train.y, train.nClasses, { k, weights });
      const theirs = peer[`knn${k}${weights}`];
      expect(Array.from(model.predict(held.X, held.nRows))).toEqual(Array.from(theirs.pred));
      const proba = model.predictProba(held.X, held.nRows);
      let maxDiff = 0;
      for (let i = 0; i < proba.length; i++) maxDiff = Math.max(maxDiff, Math.abs(proba[i] - theirs.proba![i]));
      expect(maxDiff).toBeLessThan(1e-12);
    });
  }

  test("neighbours come nearest first, ties by training index", () => {
    // Rows 0 and 2 are both at distance 1 from the query; row 1 at 0.5.
    const X = new Float64Array([1, 0, 0.5, 0, -1, 0, 5, 5]);
    const model = fitKnn(X, 4, 2, new Int32Array([0, 1, 1, 0]), 2, { k: 3 });
    const { index, distance } = model.kneighbors(new Float64Array([0, 0]), 1);
    expect(Array.from(index)).toEqual([1, 0, 2]);
    expect(Array.from(distance)).toEqual([0.25, 1, 1]);
    // Votes 1 (row 1), 0 (row 0), 1 (row 2): class 1. With k=2 a tie of one vote each: the smaller class.
    expect(Array.from(model.predict(new Float64Array([0, 0]), 1))).toEqual([1]);
    expect(Array.from(fitKnn(X, 4, 2, new Int32Array([1, 0, 1, 0]), 2, { k: 2 }).predict(new Float64Array([0, 0]), 1))).toEqual([0]);
  });

  test("distance weights: a training row at distance 0 takes all the weight", () => {
    const X = new Float64Array([0, 0, 0.1, 0, 0.2, 0]);
    const model = fitKnn(X, 3, 2, new Int32Array([0, 1, 1]), 2, { k: 3, weights: "distance" });
    expect(Array.from(model.predictProba(new Float64Array([0, 0]), 1))).toEqual([1, 0]);
  });

  test("saved and loaded, the same predictions", () => {
    const model = fitKnn(train.X, train.nRows, train.nCols, train.y, train.nClasses, { k: 5, weights: "distance" });
    const loaded = KnnModel.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(Array.from(loaded.predictProba(held.X, held.nRows))).toEqual(Array.from(model.predictProba(held.X, held.nRows)));
  });

  test("bad input: typed errors naming what is wrong", () => {
    const X = new Float64Array([0, 1, 2, 3]);
    expect(() => fitKnn(new Float64Array([0, NaN, 2, 3]), 2, 2, new Int32Array([0, 1]), 2, { k: 1 })).toThrow(ModelDataError);
    expect(() => fitKnn(new Float64Array([0, NaN, 2, 3]), 2, 2, new Int32Array([0, 1]), 2, { k: 1 })).toThrow(/row 0, column 1/);
    expect(() => fitKnn(X, 3, 2, new Int32Array([0, 1, 1]), 2, { k: 1 })).toThrow(InputShapeError);
    expect(() => fitKnn(X, 2, 2, new Int32Array([1, 1]), 2, { k: 1 })).toThrow(/single class/);
    expect(() => fitKnn(X, 2, 2, new Int32Array([0, 2]), 2, { k: 1 })).toThrow(/label 2 at row 1/);
    expect(() => fitKnn(X, 2, 2, new Int32Array([0, 1]), 2, { k: 3 })).toThrow(ParamError);
    expect(() => fitKnn(X, 2, 2, new Int32Array([0, 1]), 2, { weights: "cosine" } as never)).toThrow(ParamError);
    const model = fitKnn(X, 2, 2, new Int32Array([0, 1]), 2, { k: 1 });
    expect(() => model.predict(new Float64Array([1, 2, 3]), 1)).toThrow(InputShapeError);
    expect(() => KnnModel.fromJSON({ ...model.toJSON(), labels: [0, 5] })).toThrow(/labels\[1\]=5/);
  });
});
