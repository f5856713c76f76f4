/**
 * predict from code: a run given by its folder is opened for the call and its network freed after,
 * so calls in a loop leave no tensors behind; a Run given by the caller keeps its loaded model.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildDataset, openRun, predict, train } from "../../index.ts";
import { loadTf } from "../../core/backend.ts";
import { tempDir } from "../helpers.ts";

const dir = tempDir("clave-predict-");
const quiet = { onWarning: () => {} };

describe("predict", () => {
  test("calls with a run folder leave no tensors behind; a Run keeps its model", async () => {
    const ds = await buildDataset({ source: "synthetic", params: { per_class: 3, seconds: 4, seed: 4 }, out: join(dir, "syn", "manifest.csv"), seed: 4, ratios: [0.4, 0.3, 0.3], ...quiet });
    const run = await train({ model: "dense2", features: "mfcc", dataset: ds, epochs: 1, runs: join(dir, "runs"), cache: false, ...quiet });
    const file = join(dir, "syn", ds.manifest.rows[0].path);
    const tf = await loadTf();
    const first = await predict(run.dir, [file]);
    expect(first.failures).toEqual([]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const again = await predict(run.dir, [file]);
      expect(again.files[0].probabilities).toEqual(first.files[0].probabilities);
    }
    expect(tf.memory().numTensors).toBe(before);
    // A Run from the caller: its model is loaded once and still usable after the call.
    const opened = await openRun(run.dir);
    await predict(opened, [file]);
    const held = tf.memory().numTensors;
    expect(held).toBeGreaterThan(before);
    expect((await predict(opened, [file])).files[0].probabilities).toEqual(first.files[0].probabilities);
    expect(tf.memory().numTensors).toBe(held);
  }, 120_000);
});
