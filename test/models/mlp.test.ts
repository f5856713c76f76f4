import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { backendInfo, builtinPlugins, mulberry32, ndarray, resolveParams, type LabelledArray, type ModelPlugin } from "../../index.ts";
import { tempDir } from "../helpers.ts";

const mlp = builtinPlugins.find((p) => p.kind === "model" && p.name === "mlp") as ModelPlugin;

/** Three Gaussian blobs in 8 dimensions, one per class, from a seed. */
function blobs(n: number, seed: number): LabelledArray {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const x = new Float32Array(n * 8);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let d = 0; d < 8; d++) x[i * 8 + d] = normal() + (d % 3 === y[i] ? 2.5 : 0);
  }
  return { x: ndarray(x, [n, 8]), y };
}

describe("mlp model plugin", () => {
  const train = blobs(240, 1);
  const test_ = blobs(90, 2);
  const params = resolveParams(mlp, {});

  test("trains on the chosen backend well above chance, and save → load → predict is identical", async () => {
    const info = await backendInfo();
    expect(info.choice).not.toBe("cpu");
    const model = await mlp.build({ inputShape: [8], nClasses: 3, seed: 7 }, params);
    const history = await mlp.fit(model, train, { epochs: 30, batchSize: 32, seed: 7, validation: test_ });
    expect(history.loss).toHaveLength(30);
    expect(history.loss[29]).toBeLessThan(history.loss[0]);
    const probs = await mlp.predict(model, test_.x);
    expect(probs.shape).toEqual([90, 3]);
    let correct = 0;
    for (let i = 0; i < 90; i++) {
      const row = probs.data.subarray(i * 3, i * 3 + 3);
      if (row.indexOf(Math.max(...row)) === test_.y[i]) correct++;
    }
    expect(correct / 90).toBeGreaterThan(0.8); // chance is 1/3

    const dir = join(tempDir(), "mlp");
    await mlp.save(model, dir);
    expect(existsSync(join(dir, "model.json"))).toBe(true);
    expect(existsSync(join(dir, "weights.bin"))).toBe(true);
    const loaded = await mlp.load(dir);
    const again = await mlp.predict(loaded, test_.x);
    expect(Array.from(again.data)).toEqual(Array.from(probs.data));
  });

  test("the same seed gives the same weights and the same training", async () => {
    const run = async (seed: number) => {
      const model = await mlp.build({ inputShape: [8], nClasses: 3, seed }, params);
      const history = await mlp.fit(model, train, { epochs: 3, seed });
      return { loss: history.loss, probs: Array.from((await mlp.predict(model, test_.x)).data) };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(a).toEqual(b);
    expect(c.probs).not.toEqual(a.probs);
  });
});
