import { describe, expect, test } from "bun:test";
import { bestEpoch, trainingCurvesChart } from "../../core/charts/index.ts";
import { builtinPlugins, crossEntropy, EarlyStopping, resolveParams, type ModelPlugin, type TfModel } from "../../index.ts";
import { blobs } from "../models/synthetic.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

const dense2 = builtinPlugins.find((p) => p.kind === "model" && p.name === "dense2") as ModelPlugin<never, TfModel>;

describe("training curves", () => {
  test("a real fit's History: train and validation per metric, the rule at the epoch whose weights were restored", async () => {
    const params = resolveParams(dense2, { epochs: 200, learning_rate: 0.05, early_stopping: 4, batch_size: 8 });
    const model = await dense2.build({ inputShape: [20], nClasses: 3, seed: 1 }, params);
    const validation = blobs(60, 20, 3, 5, 0.8);
    const history = await dense2.fit(model, blobs(30, 20, 3, 4, 0.8), { seed: 1, validation, progress: false });
    const epochs = history.loss.length;

    const chart = trainingCurvesChart(history);
    const best = bestEpoch(history);
    expect(best?.monitor).toBe("val_loss");
    // The restored weights are those of the marked epoch: they give its validation loss.
    const probs = await dense2.predict(model, validation.x);
    expect(crossEntropy(probs, validation.y)).toBeCloseTo(history.val_loss[best!.epoch - 1], 4);
    expect(epochs).toBe(best!.epoch + 4);

    const rows = rowsOf(chart);
    expect(new Set(rows.map((r) => r.metric))).toEqual(new Set(["loss", "acc"]));
    expect(rows.filter((r) => r.metric === "loss" && r.split === "validation").map((r) => r.value)).toEqual(
      history.val_loss.map((v) => Number(v.toPrecision(6))),
    );
    expect(rows.filter((r) => r.metric === "acc" && r.split === "train").length).toBe(epochs);
    expect(rows.some((r) => r.metric === "lr")).toBe(false);

    expect(at(chart.spec, "facet", "field")).toBe("metric");
    expect(at(chart.spec, "resolve", "scale", "y")).toBe("independent");
    const [line, rule, label] = at(chart.spec, "spec", "layer");
    expect(line.mark.type).toBe("line");
    expect(line.encoding.x.field).toBe("epoch");
    expect(line.encoding.y.field).toBe("value");
    expect(line.encoding.color.field).toBe("split");
    expect(rule.mark.type).toBe("rule");
    expect(rule.transform[0]).toEqual({ filter: `datum.epoch == ${best!.epoch}` });
    expect(label.mark.type).toBe("text");

    await expectRenders(chart, ["loss", "acc", "Epoch", "train", "validation", `best epoch ${best!.epoch} (val_loss)`]);
  }, 120_000);

  test("bestEpoch is early stopping's best: first strict minimum, maximum for accuracies, fallbacks as fit has them", () => {
    const valLoss = [1.0, 0.8, 0.7, 0.7, 0.75, 0.69, 0.69, 0.9];
    const stopper = new EarlyStopping({ patience: 0, minDelta: 0, mode: "min" });
    valLoss.forEach((v, e) => stopper.step(e, v));
    expect(bestEpoch({ val_loss: valLoss })).toEqual({ epoch: stopper.bestEpoch + 1, monitor: "val_loss" });
    expect(bestEpoch({ val_acc: [0.2, 0.5, 0.5, 0.4] }, "val_acc")).toEqual({ epoch: 2, monitor: "val_acc" });
    // No validation: val_acc falls back to acc, val_loss to loss.
    expect(bestEpoch({ loss: [3, 2, 2.5], acc: [0.1, 0.3, 0.6] }, "val_acc")).toEqual({ epoch: 3, monitor: "acc" });
    expect(bestEpoch({ loss: [3, NaN, 2.5] })).toEqual({ epoch: 3, monitor: "loss" });
    expect(bestEpoch({ lr: [0.1] })).toBeUndefined();
  });

  test("a phase's entries, an explicit best epoch or none, chosen metrics", () => {
    const history = { "pretrain/loss": [0.5, 0.4], "pretrain/lr": [1, 1], loss: [2, 1, 1.5], val_loss: [2.2, 1.4, 1.3], acc: [0.3, 0.5, 0.6], lr: [1, 1, 1] };
    const pretrain = trainingCurvesChart(history, { phase: "pretrain" });
    expect(rowsOf(pretrain).map((r) => [r.metric, r.split, r.epoch])).toEqual([
      ["loss", "train", 1],
      ["loss", "train", 2],
    ]);
    expect(pretrain.spec.title).toBe("Training (pretrain)");
    const main = trainingCurvesChart(history, { metrics: ["loss"], bestEpoch: 2 });
    expect(new Set(rowsOf(main).map((r) => r.metric))).toEqual(new Set(["loss"]));
    expect(at(main.spec, "spec", "layer", 1, "transform", 0)).toEqual({ filter: "datum.epoch == 2" });
    expect(at(trainingCurvesChart(history, { bestEpoch: null }).spec, "spec", "layer").length).toBe(1);
  });

  test("refuses a history with nothing to draw, an unknown metric, an epoch it does not have", () => {
    expect(() => trainingCurvesChart({ lr: [1] })).toThrow(/no entries to draw/);
    expect(() => trainingCurvesChart({ loss: [1, 2] }, { metrics: ["f1"] })).toThrow(/no "f1" in the history \(logged: loss\)/);
    expect(() => trainingCurvesChart({ loss: [1, 2] }, { bestEpoch: 3 })).toThrow(/best epoch 3 is not an epoch of the history \(1\.\.2\)/);
    expect(() => trainingCurvesChart({ loss: "1,2" } as never)).toThrow(/"loss" is not a list of numbers/);
  });
});
