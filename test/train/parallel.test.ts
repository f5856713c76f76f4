/**
 * Data-parallel training (core/train/parallel.ts): with `workers: k` each batch is split among k
 * threads and their gradients averaged by part size, so a network without dropout or batch norm
 * trains to the same weights as on one thread; with them, a run is reproducible for its seed.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type * as TF from "@tensorflow/tfjs";
import { loadTf } from "../../core/backend.ts";
import { resolveParams } from "../../core/params.ts";
import type { ModelPlugin } from "../../core/plugin.ts";
import type { TfModel } from "../../core/tfmodel.ts";
import { fitNetwork, trainingThreads } from "../../core/train/fit.ts";
import { partSizes } from "../../core/train/parallel.ts";
import { pickTrainingParams } from "../../core/train/params.ts";
import { builtinPlugins } from "../../plugins/index.ts";
import { ROOT } from "../helpers.ts";
import { blobs, sequences } from "../models/synthetic.ts";

const model = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;

async function train(name: string, params: Record<string, unknown>, data: ReturnType<typeof blobs>, inputShape: number[]) {
  const plugin = model(name);
  const m = await plugin.build({ inputShape, nClasses: 3, seed: 4 }, resolveParams(plugin, params));
  const history = await plugin.fit(m, data, { seed: 9, progress: false });
  const weights = m.network.getWeights().map((w) => Array.from(w.dataSync()));
  m.network.dispose();
  return { history, weights };
}

/**
 * Equal weights to float rounding. An absolute bound: Adam turns the rounding of a gradient that
 * nearly cancels (a bias over balanced classes) into a relative difference of its (tiny) update,
 * while a wrong average would be off by the size of whole steps (~1e-3 each at lr 1e-3).
 */
function expectClose(a: number[][], b: number[][], tolerance = 2e-5) {
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    const worst = Math.max(0, ...w.map((v, j) => Math.abs(v - b[i][j])));
    expect(worst).toBeLessThan(tolerance);
  });
}

describe("data-parallel training", () => {
  test("a batch is cut into parts as even as possible, the larger first", () => {
    expect(partSizes(32, 2)).toEqual([16, 16]);
    expect(partSizes(31, 2)).toEqual([16, 15]);
    expect(partSizes(6, 4)).toEqual([2, 2, 1, 1]);
    expect(partSizes(2, 3)).toEqual([1, 1, 0]);
  });

  test("without dropout or batch norm, 2 and 3 workers train the same weights as one thread (uneven last batch, L2 penalty)", async () => {
    // 70 examples in batches of 31: parts 16/15 and 8/8 on two threads, 11/10/10 and 3/3/2 on three.
    const data = blobs(70, 12, 3, 5);
    const params = { hidden_units: [16, 8], l2: 0.01, epochs: 4, batch_size: 31 };
    const one = await train("mlp", params, data, [12]);
    const two = await train("mlp", { ...params, workers: 2 }, data, [12]);
    const three = await train("mlp", { ...params, workers: 3 }, data, [12]);
    for (const other of [two, three]) {
      expectClose(other.weights, one.weights);
      other.history.loss.forEach((v, i) => expect(v).toBeCloseTo(one.history.loss[i], 5));
      other.history.acc.forEach((v, i) => expect(v).toBeCloseTo(one.history.acc[i], 6));
    }
    // The weights moved: the comparison is not between two untrained networks.
    const plugin = model("mlp");
    const untrained = await plugin.build({ inputShape: [12], nClasses: 3, seed: 4 }, resolveParams(plugin, params));
    const initial = untrained.network.getWeights().map((w) => Array.from(w.dataSync()));
    untrained.network.dispose();
    expect(Math.max(...one.weights[3].map((v, j) => Math.abs(v - initial[3][j])))).toBeGreaterThan(1e-2);
  }, 120_000);

  test("an autoencoder's two phases (reconstruction, then the classifier with the encoder frozen) train alike on 2 workers", async () => {
    const data = blobs(48, 10, 3, 6);
    const params = { encoder_units: [8], code_units: 4, pretrain_epochs: 2, epochs: 2, batch_size: 16 };
    const one = await train("autoencoder", params, data, [10]);
    const two = await train("autoencoder", { ...params, workers: 2 }, data, [10]);
    expectClose(two.weights, one.weights);
    expect(Object.keys(two.history).sort()).toEqual(Object.keys(one.history).sort());
    for (const key of Object.keys(one.history)) two.history[key].forEach((v, i) => expect(v).toBeCloseTo(one.history[key][i], 5));
  }, 120_000);

  test("with batch norm and dropout, 2 workers train reproducibly from a seed, and learn", async () => {
    const data = sequences(48, 24, 16, 3, 2);
    const params = { filters: [4, 8], dense_units: 8, epochs: 6, batch_size: 12, workers: 2 };
    const a = await train("cnn2d", params, data, [24, 16]);
    const b = await train("cnn2d", params, data, [24, 16]);
    expect(b.weights).toEqual(a.weights);
    expect(b.history.loss).toEqual(a.history.loss);
    expect(a.history.loss.every(Number.isFinite)).toBe(true);
    expect(a.history.loss.at(-1)!).toBeLessThan(a.history.loss[0]);
  }, 180_000);

  test('workers: "auto" takes every core, but one thread for a dense network whose step is too short to split', async () => {
    const { availableParallelism } = await import("node:os");
    const built = async (name: string, params: Record<string, unknown>, inputShape: number[]) => (await model(name).build({ inputShape, nClasses: 3, seed: 1 }, resolveParams(model(name), params))).network;
    const small = await built("mlp", { hidden_units: [16, 8] }, [12]);
    // 6 · (2048·1024 + 1024·512 + 512·3) weights · 32 examples ≈ 0.5 GFLOP a step.
    const wide = await built("mlp", { hidden_units: [1024, 512] }, [2048]);
    const conv = await built("cnn2d", { filters: [8] }, [16, 8]);
    try {
      expect(trainingThreads(small, "auto", 32)).toBe(1);
      expect(trainingThreads(wide, "auto", 32)).toBe(availableParallelism());
      expect(trainingThreads(conv, "auto", 32)).toBe(availableParallelism());
      expect(trainingThreads(small, 3, 32)).toBe(3);
    } finally {
      for (const n of [small, wide, conv]) n.dispose();
    }
    expect(() => resolveParams(model("mlp"), { workers: "all" })).toThrow(/workers/);
    // Trained through fit on one thread: the same weights as workers: 1, bit for bit.
    const data = blobs(70, 12, 3, 5);
    const params = { hidden_units: [16, 8], epochs: 2, batch_size: 31 };
    const one = await train("mlp", params, data, [12]);
    const auto = await train("mlp", { ...params, workers: "auto" }, data, [12]);
    expect(auto.weights).toEqual(one.weights);
  });

  test("a network a worker cannot rebuild trains on the calling thread, with a warning naming why", async () => {
    const tf = await loadTf();
    // A layer class registered in this thread only: the workers' copies cannot deserialise it.
    class OnlyHere extends tf.layers.Layer {
      static className = "ClaveTestOnlyHere";
      override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 2);
      }
    }
    tf.serialization.registerClass(OnlyHere);
    const input = tf.input({ shape: [6] });
    const hidden = new OnlyHere({ name: "only_here" }).apply(input) as TF.SymbolicTensor;
    const output = tf.layers.dense({ units: 3, activation: "softmax", name: "probabilities" }).apply(hidden) as TF.SymbolicTensor;
    const network = tf.model({ inputs: input, outputs: output });
    const data = blobs(20, 6, 3, 7);
    const warnings: string[] = [];
    const history = await fitNetwork(tf, network, data, {
      settings: pickTrainingParams({ epochs: 2, workers: 2 }),
      phases: [{ name: "", epochs: 2, losses: [{ output: "probabilities", loss: "crossentropy", weight: 1 }] }],
      seed: 1,
      batchSize: 10,
      progress: false,
      onWarning: (w) => warnings.push(w),
    });
    network.dispose();
    expect(history.loss).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("training on one thread");
    expect(warnings[0]).toContain("ClaveTestOnlyHere");
  }, 60_000);

  test("Node 20 runs the workers from the build (ESM and CommonJS entries), with the one-thread result", () => {
    if (!existsSync(join(ROOT, "dist/cjs/index.cjs"))) spawnSync(process.execPath, ["scripts/build.ts"], { cwd: ROOT, timeout: 120_000 });
    const script = (entry: string) => `
const clave = ${entry};
const plugin = clave.builtinPlugins.find((p) => p.name === "dense2");
const n = 40, d = 8;
const x = new Float32Array(n * d).map((_, i) => Math.sin(i * 0.37));
const y = Int32Array.from({ length: n }, (_, i) => i % 3);
const losses = [];
for (const workers of [1, 2]) {
  const m = await plugin.build({ inputShape: [d], nClasses: 3, seed: 1 }, clave.resolveParams(plugin, { epochs: 3, batch_size: 10, workers }));
  const h = await plugin.fit(m, { x: clave.ndarray(x, [n, d]), y }, { seed: 1, progress: false });
  losses.push(h.loss);
}
console.log(JSON.stringify(losses));`;
    for (const [kind, entry, args] of [
      ["esm", 'await import("clave")', ["--input-type=module"]],
      ["cjs", 'require("clave")', ["--input-type=commonjs"]],
    ] as const) {
      const body = kind === "cjs" ? `(async () => {${script(entry)}})().catch((e) => { console.error(e); process.exit(1); });` : script(entry);
      const run = spawnSync("node", [...args, "-e", body], { cwd: ROOT, encoding: "utf8", timeout: 180_000, env: { ...process.env, CLAVE_BACKEND: "wasm" } });
      expect(run.stderr).not.toContain("Error");
      expect(run.status).toBe(0);
      const [one, two] = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as number[][];
      expect(one).toHaveLength(3);
      two.forEach((v, i) => expect(v).toBeCloseTo(one[i], 5));
    }
  }, 300_000);
});
