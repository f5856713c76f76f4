import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  builtinPlugins,
  createRegistry,
  evaluateRunModel,
  listRuns,
  loadRunModel,
  RUN_FILES,
  trainRun,
  type ModelPlugin,
  type SegmentSet,
} from "../../index.ts";
import { tempDir } from "../helpers.ts";
import { sequences } from "../models/synthetic.ts";

const dense2 = builtinPlugins.find((p) => p.kind === "model" && p.name === "dense2") as ModelPlugin;

/** Segments of tracks: every 2 consecutive examples are one track. */
function segmentSet(n: number, seed: number, prefix: string): SegmentSet {
  const { x, y } = sequences(n, 20, 8, 3, seed);
  // Tracks must have one label: pair examples of the same class (i and i + 3).
  const tracks = Array.from({ length: n }, (_, i) => `${prefix}/${y[i]}/${Math.floor(i / 6)}`);
  return { x, y, tracks };
}

describe("runs", () => {
  const runsDir = join(tempDir(), "runs");
  const labels = ["son", "rumba", "dance"];
  const train = segmentSet(60, 1, "train");
  const validation = segmentSet(18, 2, "val");
  const test_ = segmentSet(30, 3, "test");

  test("a training writes a complete run folder, atomically", async () => {
    const result = await trainRun({ model: dense2, params: { epochs: 5 }, labels, train, validation, test: test_, seed: 3, runsDir, progress: false });
    expect(readdirSync(runsDir)).toEqual([result.id]);
    expect(result.id).toMatch(/^\d{8}-\d{6}-dense2-[0-9a-f]{6}$/);
    for (const file of RUN_FILES) expect(existsSync(join(result.dir, file))).toBe(true);
    expect(existsSync(join(result.dir, "checkpoint"))).toBe(false);

    const read = (f: string) => JSON.parse(readFileSync(join(result.dir, f), "utf8"));
    const config = read("config.json");
    expect(config).toMatchObject({ model: "dense2", labels, input_shape: [20, 8], seed: 3, features: null });
    expect(config.params).toMatchObject({ epochs: 5, units: 128, activation: "tanh" });
    expect(read("history.json").loss).toHaveLength(5);
    expect(read("history.json").val_loss).toHaveLength(5);
    expect(read("backend.json").choice).toBe(read("run.json").backend);
    const metrics = read("metrics.json");
    expect(metrics.labels).toEqual(labels);
    expect(metrics.segment.n).toBe(30);
    expect(metrics.track.n).toBe(new Set(test_.tracks).size);
    for (const level of [metrics.segment, metrics.track]) {
      expect(level.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(level.n);
      expect(level.perClass).toHaveLength(3);
      for (const key of ["accuracy", "macroF1", "weightedF1", "loss"]) expect(Number.isFinite(level[key])).toBe(true);
    }
    const csv = readFileSync(join(result.dir, "confusion.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("level,true,predicted,count,fraction");
    expect(csv).toHaveLength(1 + 2 * 9);
    const summary = read("run.json");
    expect(summary).toMatchObject({ id: result.id, model: "dense2", epochs: 5, examples: { train: 60, validation: 18, test: 30 } });
    expect(summary.segment.accuracy).toBe(metrics.segment.accuracy);
  });

  test("a recorded model loads back and gives the recorded metrics; runs are listed", async () => {
    const [summary] = await listRuns(runsDir);
    const run = await loadRunModel(join(runsDir, summary.id), await createRegistry({ config: false }));
    const evaluation = await evaluateRunModel(run, test_);
    const recorded = JSON.parse(readFileSync(join(runsDir, summary.id, "metrics.json"), "utf8"));
    expect(evaluation.segment.accuracy).toBe(recorded.segment.accuracy);
    expect(evaluation.track!.macroF1).toBe(recorded.track.macroF1);
    expect(evaluation.segment.loss).toBeCloseTo(recorded.segment.loss, 10);
  });

  test("transfer learning from a run: new labels, body frozen", async () => {
    const [source] = await listRuns(runsDir);
    const relabel = (s: SegmentSet): SegmentSet => ({ ...s, y: Int32Array.from(s.y, (c) => (c === 0 ? 0 : 1)) });
    const result = await trainRun({
      model: dense2,
      params: { epochs: 5, learning_rate: 0.01 },
      labels: ["son", "other"],
      train: relabel(train),
      test: relabel(test_),
      runsDir,
      from: join(runsDir, source.id),
      progress: false,
    });
    const config = JSON.parse(readFileSync(join(result.dir, "config.json"), "utf8"));
    expect(config.transfer).toEqual({ from: source.id, freeze: true });
    expect(config.params.learning_rate).toBe(0.01);
    const meta = JSON.parse(readFileSync(join(result.dir, "model", "clave-model.json"), "utf8"));
    expect(meta.frozen).toContain("hidden");
    expect(meta.io.nClasses).toBe(2);
    expect(await listRuns(runsDir)).toHaveLength(2);
  });

  test("invalid configs are refused before anything is written", async () => {
    const before = readdirSync(runsDir).length;
    await expect(trainRun({ model: dense2, params: { units: 0 }, labels, train, test: test_, runsDir, progress: false })).rejects.toThrow(
      'dense2: parameter "units"',
    );
    await expect(trainRun({ model: dense2, params: { optimiser: "sgd" }, labels, train, test: test_, runsDir, progress: false })).rejects.toThrow(
      'dense2: parameter "optimiser": unknown parameter',
    );
    await expect(trainRun({ model: dense2, labels: ["one"], train, test: test_, runsDir, progress: false })).rejects.toThrow("need at least 2 classes");
    expect(readdirSync(runsDir)).toHaveLength(before);
  });
});
