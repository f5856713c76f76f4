/**
 * `clave train | evaluate | predict | runs` end to end on a synthetic dataset rendered by
 * `clave dataset build --source synthetic`: every architecture trains and evaluates from the CLI.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runClave, tempDir } from "../helpers.ts";

const dir = tempDir();
const manifest = join(dir, "syn", "manifest.csv");
const runs = join(dir, "runs");
// 1-second segments of 32-band mel spectrograms: examples of [44 frames, 32 mels].
const common = ["--features", "melspectrogram", "--dataset", manifest, "--segment", "1", "--param", "melspectrogram.n_mels=32", "--runs", runs];

const MODELS: [string, string[]][] = [
  ["lstm", ["--param", "units=[32,16]"]],
  ["bilstm_attention", ["--param", "units=16"]],
  ["bilstm_attention_bn", ["--param", "units=16"]],
  ["crnn", ["--param", "conv=1d", "--param", "rnn=lstm"]],
  ["cnn_token_attention", ["--param", "tokens=4"]],
  ["dense2", []],
  ["autoencoder", ["--param", "pretrain_epochs=2"]],
  ["softmax_autoencoder", []],
  ["mlp", []],
  ["cnn2d", []],
];

describe("clave train, evaluate, predict, runs", () => {
  test("a synthetic dataset to train on", () => {
    const built = runClave(["dataset", "build", "--source", "synthetic", "--per-class", "6", "--seconds", "3", "--seed", "1", "--out", manifest]);
    expect(built.code).toBe(0);
    expect(existsSync(manifest)).toBe(true);
  });

  const ids = new Map<string, string>();
  for (const [name, extra] of MODELS) {
    test(`${name} trains and evaluates from the CLI`, () => {
      const trained = runClave(["train", "--model", name, ...common, "--epochs", "2", ...extra, "--json"]);
      expect(trained.stderr).not.toContain("clave:");
      expect(trained.code).toBe(0);
      const { id, dir: runDir, summary } = JSON.parse(trained.stdout) as { id: string; dir: string; summary: { model: string; epochs: number; features: string } };
      expect(summary).toMatchObject({ model: name, features: "melspectrogram" });
      expect(summary.epochs).toBeGreaterThan(0);
      for (const f of ["run.json", "config.json", "dataset.json", "backend.json", "history.json", "metrics.json", "confusion.csv", "model/model.json", "model/weights.bin"]) {
        expect(existsSync(join(runDir, f))).toBe(true);
      }
      ids.set(name, id);
      const evaluated = runClave(["evaluate", id, "--runs", runs, "--json"]);
      expect(evaluated.code).toBe(0);
      const metrics = JSON.parse(evaluated.stdout) as { labels: string[]; segment: { n: number; accuracy: number }; track: { n: number } };
      expect(metrics.labels).toEqual(["dance_beat", "rumba_clave", "son_clave"]);
      expect(metrics.segment.n).toBeGreaterThan(metrics.track.n);
      const recorded = JSON.parse(require("node:fs").readFileSync(join(runDir, "metrics.json"), "utf8")) as { segment: { accuracy: number } };
      expect(metrics.segment.accuracy).toBe(recorded.segment.accuracy);
    }, 120_000);
  }

  test("clave runs compares them as a table, and as JSON", () => {
    const table = runClave(["runs", "--runs", runs]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^id\s+model\s+features\s+data\s+backend\s+epochs\s+seg_acc\s+seg_f1\s+track_acc\s+track_f1\s+test_loss\s+time_s$/);
    expect(lines).toHaveLength(2 + MODELS.length);
    const json = JSON.parse(runClave(["runs", "--runs", runs, "--json"]).stdout) as { model: string }[];
    expect(json.map((r) => r.model).sort()).toEqual(MODELS.map(([m]) => m).sort());
    const sorted = runClave(["runs", "--runs", runs, "--sort", "track_f1", "--model", "lstm"]);
    expect(sorted.stdout.trim().split("\n")).toHaveLength(3);
  });

  test("clave predict gives probabilities per file and per segment; unreadable files are reported", () => {
    const audio = readdirSync(join(dir, "syn", "son_clave")).map((f) => join(dir, "syn", "son_clave", f)).slice(0, 2);
    const out = runClave(["predict", ids.get("dense2")!, ...audio, join(dir, "missing.wav"), "--runs", runs, "--json"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("missing.wav");
    const result = JSON.parse(out.stdout) as {
      labels: string[];
      files: { file: string; probabilities: Record<string, number>; segments: { index: number; probabilities: Record<string, number> }[] }[];
      failures: { file: string }[];
    };
    expect(result.files.map((f) => f.file)).toEqual(audio);
    expect(result.failures).toHaveLength(1);
    for (const f of result.files) {
      expect(f.segments).toHaveLength(3);
      expect(Object.values(f.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // The file's probabilities are the mean of its segments'.
      for (const label of result.labels) {
        expect(f.probabilities[label]).toBeCloseTo(f.segments.reduce((s, seg) => s + seg.probabilities[label], 0) / f.segments.length, 6);
      }
    }
    const table = runClave(["predict", ids.get("dense2")!, audio[0], "--runs", runs]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("per segment");
    expect(table.stdout).toContain("per file");
  });

  test("a progress bar shows loss and metrics each epoch", () => {
    const out = runClave(["train", "--model", "dense2", ...common, "--epochs", "2"], { env: { CLAVE_PROGRESS: "1" } });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/dense2 .*2\/2.*loss [0-9.]+ acc [0-9.]+ .*val_loss [0-9.]+/);
    expect(out.stdout).toContain("per class");
  });

  test("invalid configs are refused with a clear message (exit 2)", () => {
    const cases: [string[], string][] = [
      [["train", "--model", "resnet", ...common], 'no model plugin named "resnet"'],
      [["train", "--model", "lstm", ...common, "--param", "dropout=2"], 'lstm: parameter "dropout"'],
      [["train", "--model", "lstm", ...common, "--param", "optimizer=sgd"], 'lstm: parameter "optimizer": unknown parameter'],
      [["train", "--model", "lstm", "--features", "tempo", "--dataset", manifest], "features tempo give examples of shape [1]"],
      [["train", "--model", "cnn_token_attention", ...common, "--param", "tokens=60"], "44 frames cannot be cut into 60 tokens"],
      [["train", "--model", "dense2", ...common, "--param", "mfcc.n_mfcc=13"], '"mfcc" is neither the model (dense2) nor the feature'],
      [["train", "--model", "dense2", ...common, "--segment", "-1"], "--segment -1"],
      [["train", "--model", "dense2", "--features", "nope", "--dataset", manifest], 'no feature plugin named "nope"'],
    ];
    for (const [args, message] of cases) {
      const out = runClave(args);
      expect({ args, code: out.code }).toEqual({ args, code: 2 });
      expect(out.stderr).toContain(message);
    }
    expect(runClave(["evaluate", "no-such-run", "--runs", runs]).stderr).toContain("no run here");
  });
});
