import { describe, expect, test } from "bun:test";
import { fitStandardizer, Standardizer } from "../../core/ml/standardize.ts";
import { ModelDataError } from "../../core/ml/common.ts";
import { InputShapeError } from "../../core/errors.ts";
import { tempDir } from "../helpers.ts";
import { clusteredTable, sklearnPeer, splitTable, writeSplit } from "./fixtures.ts";

describe("standardize against scikit-learn's StandardScaler", () => {
  test("fitted on the training rows, applied to the test rows: equal to 1e-6", () => {
    const split = splitTable(clusteredTable(300, 12, 3, 11), 200);
    // A constant column and a near-constant one: scale 1 in both, as scikit-learn.
    for (let i = 0; i < 300; i++) {
      const X = i < 200 ? split.train.X : split.test.X;
      const row = i < 200 ? i : i - 200;
      X[row * 12 + 3] = 7.25;
      X[row * 12 + 5] = 1e8 + (i % 2) * 3e-8;
    }
    const dir = tempDir("clave-standardize-");
    writeSplit(dir, split);
    const peer = sklearnPeer(dir, [{ name: "scaler", model: "standardize" }]).scaler;
    const scaler = fitStandardizer(split.train.X, split.train.nRows, split.train.nCols);
    expect(scaler.scale[3]).toBe(1);
    expect(scaler.scale[5]).toBe(1);
    const ours = scaler.transform(split.test.X, split.test.nRows);
    expect(ours).toBeInstanceOf(Float64Array);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - peer.transformed![i]));
    expect(maxDiff).toBeLessThan(1e-6);
  });

  test("float32 in, float32 out; saved and loaded, the same transform", () => {
    const t = clusteredTable(50, 4, 2, 3);
    const scaler = fitStandardizer(Float32Array.from(t.X), 50, 4);
    const z = scaler.transform(Float32Array.from(t.X), 50);
    expect(z).toBeInstanceOf(Float32Array);
    let mean = 0;
    for (let i = 0; i < 50; i++) mean += z[i * 4 + 2];
    expect(Math.abs(mean / 50)).toBeLessThan(1e-6);
    const loaded = Standardizer.fromJSON(JSON.parse(JSON.stringify(scaler.toJSON())));
    expect(Array.from(loaded.transform(t.X, 50))).toEqual(Array.from(scaler.transform(t.X, 50)));
  });

  test("bad input: typed errors", () => {
    expect(() => fitStandardizer(new Float64Array([1, Infinity]), 1, 2)).toThrow(ModelDataError);
    expect(() => fitStandardizer(new Float64Array([1, 2, 3]), 2, 2)).toThrow(InputShapeError);
    const scaler = fitStandardizer(new Float64Array([1, 2, 3, 4]), 2, 2);
    expect(() => scaler.transform(new Float64Array([1, 2, 3]), 1)).toThrow(InputShapeError);
    expect(() => Standardizer.fromJSON({ ...scaler.toJSON(), scale: [1, 0] })).toThrow(/scale\[1\]=0/);
    expect(() => Standardizer.fromJSON({ ...scaler.toJSON(), kind: "knn" })).toThrow(ModelDataError);
  });
});
