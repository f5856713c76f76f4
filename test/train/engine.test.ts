import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  adamW,
  balancedClassWeights,
  builtinPlugins,
  crossEntropy,
  EarlyStopping,
  loadTf,
  mulberry32,
  ReduceLrOnPlateau,
  resolveParams,
  stepLr,
  type ModelPlugin,
  type TfModel,
} from "../../index.ts";
import { blobs } from "../models/synthetic.ts";
import { python, tempDir } from "../helpers.ts";

const model = (name: string) => builtinPlugins.find((p) => p.kind === "model" && p.name === name) as ModelPlugin<never, TfModel>;

describe("AdamW", () => {
  test("matches torch.optim.AdamW step by step, including a learning-rate change", async () => {
    const tf = await loadTf();
    const random = mulberry32(3);
    const a = Array.from({ length: 6 }, () => random() * 2 - 1);
    const b = Array.from({ length: 6 }, () => random() * 2 - 1);
    const theta0 = Array.from({ length: 6 }, () => random() * 4 - 2);
    const theta = tf.variable(tf.tensor1d(theta0));
    const at = tf.tensor1d(a);
    const bt = tf.tensor1d(b);
    const optimizer = adamW(tf, { learningRate: 0.1, weightDecay: 0.05, epsilon: 1e-8 });
    for (let step = 0; step < 20; step++) {
      if (step === 10) optimizer.setLearningRate(0.03);
      optimizer.minimize(() => tf.sum(tf.square(tf.sub(tf.mul(at, theta), bt))) as never, false, [theta]);
    }
    const ours = Array.from(await theta.data());
    const reference = JSON.parse(
      python(`
import json, torch
a = torch.tensor(${JSON.stringify(a)}); b = torch.tensor(${JSON.stringify(b)})
theta = torch.tensor(${JSON.stringify(theta0)}, requires_grad=True)
opt = torch.optim.AdamW([theta], lr=0.1, weight_decay=0.05, eps=1e-8)
for step in range(20):
    if step == 10:
        for g in opt.param_groups: g["lr"] = 0.03
    opt.zero_grad(); ((a * theta - b) ** 2).sum().backward(); opt.step()
print(json.dumps(theta.detach().tolist()))
`),
    ) as number[];
    ours.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 4));
    optimizer.dispose();
    tf.dispose([theta, at, bt]);
  });
});

describe("schedules, early stopping, class weights (plain functions)", () => {
  const random = mulberry32(9);
  const values = Array.from({ length: 80 }, (_, e) => 1 / (1 + 0.05 * e) + 0.05 * random());

  test("ReduceLROnPlateau follows Keras: reduce when `patience` epochs pass without improvement (torch with patience - 1)", () => {
    const plateau = new ReduceLrOnPlateau({ factor: 0.5, patience: 3, minDelta: 0.01, cooldown: 0, minLr: 1e-4, mode: "min" });
    const ours: number[] = [];
    let lr = 0.1;
    for (const v of values) ours.push((lr = plateau.step(v, lr)));
    const reference = JSON.parse(
      python(`
import json, torch
p = torch.nn.Parameter(torch.zeros(1)); opt = torch.optim.SGD([p], lr=0.1)
s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=0, min_lr=1e-4)
out = []
for v in ${JSON.stringify(values)}:
    s.step(v); out.append(opt.param_groups[0]["lr"])
print(json.dumps(out))
`),
    ) as number[];
    expect(new Set(ours).size).toBeGreaterThan(2);
    ours.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 12));
  });

  test("StepLR matches torch", () => {
    const reference = JSON.parse(
      python(`
import json, torch
p = torch.nn.Parameter(torch.zeros(1)); opt = torch.optim.SGD([p], lr=0.2)
s = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.3)
out = []
for e in range(30):
    out.append(opt.param_groups[0]["lr"]); opt.step(); s.step()
print(json.dumps(out))
`),
    ) as number[];
    reference.forEach((v, e) => expect(stepLr(0.2, e, 7, 0.3)).toBeCloseTo(v, 12));
  });

  test("early stopping stops after `patience` epochs without improvement and remembers the best", () => {
    const stopper = new EarlyStopping({ patience: 3, minDelta: 0, mode: "min" });
    const seen = [1, 0.8, 0.9, 0.85, 0.81, 0.7, 0.75, 0.72, 0.71].map((v, e) => stopper.step(e, v));
    expect(seen.map((s) => s.stop)).toEqual([false, false, false, false, true, false, false, false, true]);
    expect(stopper.bestEpoch).toBe(5);
    expect(stopper.best).toBe(0.7);
  });

  test('balanced class weights equal sklearn\'s compute_class_weight("balanced")', () => {
    const y = Int32Array.from({ length: 97 }, () => Math.floor(random() ** 2 * 4));
    const reference = JSON.parse(
      python(`
import json, numpy as np
from sklearn.utils.class_weight import compute_class_weight
y = np.array(${JSON.stringify(Array.from(y))})
print(json.dumps(compute_class_weight("balanced", classes=np.unique(y), y=y).tolist()))
`),
    ) as number[];
    const ours = balancedClassWeights(y, 4);
    reference.forEach((v, i) => expect(ours[i]).toBeCloseTo(v, 12));
  });
});

describe("the training engine on a real network", () => {
  const dense2 = model("dense2");
  const small = blobs(30, 20, 3, 4, 0.8);
  const validation = blobs(60, 20, 3, 5, 0.8);

  test("early stopping on val_loss stops, and the best epoch's weights are restored", async () => {
    const params = resolveParams(dense2, { epochs: 300, learning_rate: 0.05, early_stopping: 5, batch_size: 8 });
    const m = await dense2.build({ inputShape: [20], nClasses: 3, seed: 1 }, params);
    const history = await dense2.fit(m, small, { seed: 1, validation, progress: false });
    expect(history.val_loss.length).toBeLessThan(300);
    const best = Math.min(...history.val_loss);
    const bestEpoch = history.val_loss.indexOf(best);
    expect(history.val_loss.length).toBe(bestEpoch + 1 + 5);
    const probs = await dense2.predict(m, validation.x);
    expect(crossEntropy(probs, validation.y)).toBeCloseTo(best, 4);
  });

  test("ReduceLROnPlateau and StepLR drive the learning rate each epoch", async () => {
    const plateauParams = resolveParams(dense2, { epochs: 25, learning_rate: 0.05, scheduler: "plateau", lr_patience: 2, lr_factor: 0.5, batch_size: 8 });
    const a = await dense2.build({ inputShape: [20], nClasses: 3, seed: 2 }, plateauParams);
    const h = await dense2.fit(a, small, { seed: 2, validation, progress: false });
    const replay = new ReduceLrOnPlateau({ factor: 0.5, patience: 2, minDelta: 1e-4, cooldown: 0, minLr: 0, mode: "min" });
    let lr = 0.05;
    h.val_loss.forEach((v, e) => {
      expect(h.lr[e]).toBeCloseTo(lr, 12);
      lr = replay.step(v, lr);
    });
    expect(Math.min(...h.lr)).toBeLessThan(0.05);

    const stepParams = resolveParams(dense2, { epochs: 9, learning_rate: 0.01, scheduler: "step", lr_step: 3, lr_factor: 0.1 });
    const b = await dense2.build({ inputShape: [20], nClasses: 3, seed: 2 }, stepParams);
    const hs = await dense2.fit(b, small, { seed: 2, progress: false });
    hs.lr.forEach((v, e) => expect(v).toBeCloseTo(stepLr(0.01, e, 3, 0.1), 12));
  });

  test("class weights scale each example's loss", async () => {
    const params = resolveParams(dense2, { epochs: 1, learning_rate: 1e-9, batch_size: 10 });
    const run = async (classWeights?: number[]) => {
      const m = await dense2.build({ inputShape: [20], nClasses: 3, seed: 3 }, params);
      return (await dense2.fit(m, small, { seed: 3, progress: false, ...(classWeights ? { classWeights } : {}) })).loss[0];
    };
    const plain = await run();
    expect(await run([3, 3, 3])).toBeCloseTo(3 * plain, 4);
    // Class 0 weighted 0: the loss is the mean over the other classes' examples, times 2/3 of them.
    expect(await run([0, 1, 1])).toBeLessThan(plain);
  });

  test("decoupled weight decay shrinks the weights", async () => {
    const norm = async (weight_decay: number) => {
      const params = resolveParams(dense2, { epochs: 10, learning_rate: 0.01, weight_decay });
      const m = await dense2.build({ inputShape: [20], nClasses: 3, seed: 4 }, params);
      await dense2.fit(m, small, { seed: 4, progress: false });
      const kernel = m.network.getLayer("hidden").getWeights()[0];
      return (await kernel.square().sum().data())[0];
    };
    expect(await norm(5)).toBeLessThan(0.5 * (await norm(0)));
  });

  test("checkpoints the best weights while training", async () => {
    const dir = join(tempDir(), "checkpoint");
    const params = resolveParams(dense2, { epochs: 5 });
    const m = await dense2.build({ inputShape: [20], nClasses: 3, seed: 5 }, params);
    await dense2.fit(m, small, { seed: 5, validation, checkpointDir: dir, progress: false });
    for (const f of ["model.json", "weights.bin", "clave-model.json"]) expect(existsSync(join(dir, f))).toBe(true);
    const restored = await dense2.load(dir);
    expect((await dense2.predict(restored, validation.x)).shape).toEqual([60, 3]);
  });

  test("several outputs: the total loss is the weighted sum of each output's (unweighted) loss", async () => {
    const sae = model("softmax_autoencoder");
    const params = resolveParams(sae, { epochs: 4, gamma: 0.9 });
    const m = await sae.build({ inputShape: [20], nClasses: 3, seed: 6 }, params);
    const h = await sae.fit(m, small, { seed: 6, validation, progress: false });
    expect(Object.keys(h)).toEqual(expect.arrayContaining(["loss", "acc", "probabilities_loss", "reconstruction_loss", "val_loss", "val_acc"]));
    h.loss.forEach((total, e) => expect(total).toBeCloseTo(0.9 * h.reconstruction_loss[e] + 0.1 * h.probabilities_loss[e], 4));
    h.val_loss.forEach((total, e) => expect(total).toBeCloseTo(0.9 * h.val_reconstruction_loss[e] + 0.1 * h.val_probabilities_loss[e], 4));
  });
});
