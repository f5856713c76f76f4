/**
 * mlp standardises its input (its `standardize` param): on features of large scale and offset, as
 * MFCCs are, it learns; the mean and std come from the training set only (checked against numpy),
 * are saved with the model and applied at prediction.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { builtinPlugins, mulberry32, ndarray, resolveParams, writeNpy, type LabelledArray, type ModelPlugin, type TfModel } from "../../index.ts";
import { python, tempDir } from "../helpers.ts";

const mlp = builtinPlugins.find((p) => p.kind === "model" && p.name === "mlp") as ModelPlugin<ModelPlugin["params"], TfModel>;
const dir = tempDir("clave-mlp-standardize-");

/**
 * Examples `[frames=4, coefficients=6]` scaled as MFCCs are: c0 loud (around −450, spread 120) and
 * carrying nothing of the class; c1..c5 small (spread 1–3) with the class in a shift of 1.5 spreads.
 * Unstandardised, c0 swamps the first layer (the mlp without standardisation ends near 67 % here).
 */
function mfccLike(n: number, seed: number): LabelledArray {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const scale = [120, 3, 2, 2, 1, 1];
  const offset = [-450, 60, -10, 8, -4, 2];
  const x = new Float32Array(n * 24);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let t = 0; t < 4; t++) {
      for (let c = 0; c < 6; c++) x[i * 24 + t * 6 + c] = offset[c] + scale[c] * (normal() + (c > 0 && (c - 1) % 3 === y[i] ? 1.5 : 0));
    }
  }
  return { x: ndarray(x, [n, 4, 6]), y };
}

function accuracy(probs: Float32Array, y: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const row = Array.from(probs.subarray(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === y[i]) correct++;
  }
  return correct / y.length;
}

describe("mlp standardize", () => {
  test("learns on MFCC-scale inputs; statistics from the training set only; saved and applied after loading", async () => {
    const train = mfccLike(300, 1);
    // Were the validation examples in the statistics, the mean would differ from numpy's of the training set.
    const validation = mfccLike(90, 2);
    const test_ = mfccLike(90, 3);
    const model = await mlp.build({ inputShape: [4, 6], nClasses: 3, seed: 3 }, resolveParams(mlp, { hidden_units: [32, 16] }));
    const history = await mlp.fit(model, train, { epochs: 25, batchSize: 32, seed: 3, validation, progress: false });
    expect(history.loss[0]).toBeGreaterThan(0.5);
    expect(history.loss[24]).toBeLessThan(0.1);
    const probs = await mlp.predict(model, test_.x);
    expect(accuracy(probs.data, test_.y)).toBeGreaterThan(0.9);

    // The layer's statistics are numpy's population mean and std of the training set, per coefficient.
    const [mean, std] = model.network.getLayer("standardize").getWeights().slice(0, 2).map((w) => Array.from(w.dataSync()));
    const file = join(dir, "train.npy");
    await writeNpy(file, train.x);
    const expected = JSON.parse(
      python(`import numpy as np, json
x = np.load(${JSON.stringify(file)}).astype(np.float64).reshape(-1, 6)
print(json.dumps([x.mean(axis=0).tolist(), x.std(axis=0).tolist()]))`),
    ) as [number[], number[]];
    mean.forEach((m, c) => expect(m).toBeCloseTo(expected[0][c], 2));
    std.forEach((s, c) => expect(s / expected[1][c]).toBeCloseTo(1, 4));

    const saved = join(dir, "model");
    await mlp.save(model, saved);
    const loaded = await mlp.load(saved);
    expect(Array.from((await mlp.predict(loaded, test_.x)).data)).toEqual(Array.from(probs.data));
    const [loadedMean] = loaded.network.getLayer("standardize").getWeights().map((w) => Array.from(w.dataSync()));
    expect(loadedMean).toEqual(mean);
  }, 120_000);

  test("standardize=false leaves the input as it is (the layer is never adapted)", async () => {
    const train = mfccLike(60, 4);
    const model = await mlp.build({ inputShape: [4, 6], nClasses: 3, seed: 1 }, resolveParams(mlp, { standardize: false, hidden_units: [8] }));
    await mlp.fit(model, train, { epochs: 1, seed: 1, progress: false });
    const [mean, std] = model.network.getLayer("standardize").getWeights().slice(0, 2).map((w) => Array.from(w.dataSync()));
    expect(mean).toEqual([0, 0, 0, 0, 0, 0]);
    expect(std).toEqual([1, 1, 1, 1, 1, 1]);
  }, 120_000);
});
