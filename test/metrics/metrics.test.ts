import { describe, expect, test } from "bun:test";
import {
  argmaxRows,
  classificationScores,
  confusionMatrix,
  crossEntropy,
  evaluateProbabilities,
  meanByGroup,
  mulberry32,
  ndarray,
  normalizeRows,
} from "../../index.ts";
import { python } from "../helpers.ts";

/** Random labels and probabilities; class 4 never predicted, so zero divisions occur. */
function randomCase(n: number, k: number, seed: number) {
  const random = mulberry32(seed);
  const yTrue = Int32Array.from({ length: n }, () => Math.floor(random() * k));
  const yPred = Int32Array.from({ length: n }, () => Math.floor(random() * (k - 1)));
  const probs = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probs[i * k + c] = random() + 1e-3;
    for (let c = 0; c < k; c++) probs[i * k + c] /= sum;
  }
  const groups = Array.from({ length: n }, (_, i) => `t${Math.floor(i / 3)}`);
  return { yTrue, yPred, probs: ndarray(probs, [n, k]), groups };
}

describe("metrics against scikit-learn", () => {
  const k = 5;
  const cases = [1, 2, 3].map((seed) => randomCase(200 + 37 * seed, k, seed));
  const reference = JSON.parse(
    python(`
import json, numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, accuracy_score, f1_score, log_loss
cases = json.loads(${JSON.stringify(JSON.stringify(cases.map((c) => ({ t: Array.from(c.yTrue), p: Array.from(c.yPred), probs: Array.from(c.probs.data), groups: c.groups }))))})
out = []
for c in cases:
    t, p = np.array(c["t"]), np.array(c["p"])
    labels = list(range(${k}))
    pr, rc, f1, sup = precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    probs = np.array(c["probs"]).reshape(len(t), ${k})
    g = np.array(c["groups"])
    order = list(dict.fromkeys(c["groups"]))
    means = np.stack([probs[g == name].mean(axis=0) for name in order])
    out.append(dict(
        cm=confusion_matrix(t, p, labels=labels).tolist(),
        cmn=np.nan_to_num(confusion_matrix(t, p, labels=labels, normalize="true")).tolist(),
        precision=pr.tolist(), recall=rc.tolist(), f1=f1.tolist(), support=sup.tolist(),
        accuracy=accuracy_score(t, p),
        macro=f1_score(t, p, labels=labels, average="macro", zero_division=0),
        weighted=f1_score(t, p, labels=labels, average="weighted", zero_division=0),
        logloss=log_loss(t, probs, labels=labels),
        argmax=probs.argmax(axis=1).tolist(),
        group_means=means.tolist(),
    ))
print(json.dumps(out))
`),
  ) as {
    cm: number[][];
    cmn: number[][];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    accuracy: number;
    macro: number;
    weighted: number;
    logloss: number;
    argmax: number[];
    group_means: number[][];
  }[];

  test("confusion matrix, counts and row-normalised", () => {
    cases.forEach((c, i) => {
      const cm = confusionMatrix(c.yTrue, c.yPred, k);
      expect(Array.from(cm.data)).toEqual(reference[i].cm.flat());
      const normalized = Array.from(normalizeRows(cm).data);
      reference[i].cmn.flat().forEach((v, j) => expect(normalized[j]).toBeCloseTo(v, 12));
    });
  });

  test("per-class precision, recall, F1, support; accuracy, macro and weighted F1", () => {
    cases.forEach((c, i) => {
      const s = classificationScores(c.yTrue, c.yPred, k);
      const r = reference[i];
      s.perClass.forEach((pc, j) => {
        expect(pc.precision).toBeCloseTo(r.precision[j], 12);
        expect(pc.recall).toBeCloseTo(r.recall[j], 12);
        expect(pc.f1).toBeCloseTo(r.f1[j], 12);
        expect(pc.support).toBe(r.support[j]);
      });
      expect(s.accuracy).toBeCloseTo(r.accuracy, 12);
      expect(s.macroF1).toBeCloseTo(r.macro, 12);
      expect(s.weightedF1).toBeCloseTo(r.weighted, 12);
    });
  });

  test("test loss (log loss), argmax and track-level means", () => {
    cases.forEach((c, i) => {
      expect(crossEntropy(c.probs, c.yTrue)).toBeCloseTo(reference[i].logloss, 9);
      expect(Array.from(argmaxRows(c.probs))).toEqual(reference[i].argmax);
      // Track labels must agree within a track: give every segment its track's first label.
      const y = Int32Array.from(c.groups, (g) => c.yTrue[c.groups.indexOf(g)]);
      const grouped = meanByGroup(c.probs, y, c.groups);
      expect(grouped.groups).toEqual([...new Set(c.groups)]);
      Array.from(grouped.probs.data).forEach((v, j) => expect(v).toBeCloseTo(reference[i].group_means.flat()[j], 12));
    });
  });
});

describe("evaluation at segment and track level", () => {
  test("a track's segments are averaged before its class is taken", () => {
    // Track a: segments lean to class 0 (0.6) and strongly to class 1 (0.9): mean says class 1.
    const probs = ndarray(Float32Array.of(0.6, 0.4, 0.1, 0.9, 0.2, 0.8), [3, 2]);
    const e = evaluateProbabilities(probs, Int32Array.of(1, 1, 0), ["a", "b"], ["a", "a", "b"]);
    expect(e.segment.confusion).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(e.track!.confusion).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(e.track!.n).toBe(2);
    expect(e.segment.accuracy).toBeCloseTo(1 / 3, 12);
    expect(e.track!.accuracy).toBeCloseTo(1 / 2, 12);
  });

  test("bad input is refused with what is wrong", () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow("yTrue[1] = 3");
    expect(() => meanByGroup(ndarray(Float32Array.of(1, 0, 0, 1), [2, 2]), [0, 1], ["t", "t"])).toThrow('track "t" has segments labelled 0 and 1');
    expect(() => evaluateProbabilities(ndarray(new Float32Array(6), [2, 3]), [0, 1], ["a", "b"])).toThrow("3 classes but there are 2 labels");
  });
});
