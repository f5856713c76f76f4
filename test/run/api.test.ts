/**
 * The one-call API as a notebook uses it: build a dataset, train, read the run back, evaluate,
 * predict, list runs — each one call with every default applied, returning typed objects and
 * Arquero tables; and the same run's numbers as the CLI prints them.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ColumnTable } from "arquero";
import { buildDataset, dataset, evaluate, extract, openRun, predict, Run, runs, train, type Dataset } from "../../index.ts";
import { runClave, tempDir } from "../helpers.ts";

const dir = tempDir("clave-api-");
const runsDir = join(dir, "runs");
const warnings: string[] = [];
const quiet = { onWarning: (w: string) => void warnings.push(w) };
let ds: Dataset;
let run: Run;

describe("one call each", () => {
  test("buildDataset fills the source's defaults and returns a Dataset with its table and stats", async () => {
    ds = await buildDataset({ source: "synthetic", params: { per_class: 6, seconds: 3, seed: 2 }, out: join(dir, "syn", "manifest.csv"), seed: 2, ...quiet });
    expect(ds.rows.length).toBe(18);
    expect(ds.labels).toEqual(["dance_beat", "rumba_clave", "son_clave"]);
    expect(ds.table).toBeInstanceOf(ColumnTable);
    expect(ds.table.numRows()).toBe(18);
    const stats = ds.stats().objects() as { label: string; tracks: number }[];
    expect(stats.at(-1)).toMatchObject({ label: "(all)", tracks: 18 });
    // Read back from its file, it is the same dataset.
    const again = await dataset(ds.file, quiet);
    expect(again.rows.map((r) => r.id)).toEqual(ds.rows.map((r) => r.id));
  }, 60_000);

  test("dataset() names the file of a manifest that is not there", async () => {
    const missing = join(dir, "nope.csv");
    await expect(dataset(missing)).rejects.toThrow(missing);
  });

  test("train: model, features, dataset by name; the run comes back with its history, evaluation and tables", async () => {
    run = await train({
      model: "dense2",
      features: "mfcc",
      dataset: ds,
      epochs: 3,
      segment: 1,
      runs: runsDir,
      progress: false,
      ...quiet,
    });
    expect(run).toBeInstanceOf(Run);
    expect(existsSync(join(run.dir, "metrics.json"))).toBe(true);
    expect(run.config.model).toBe("dense2");
    expect(run.history.loss.length).toBe(3);
    expect(run.labels).toEqual(["dance_beat", "rumba_clave", "son_clave"]);
    const metrics = run.metrics().objects() as { level: string; accuracy: number; n: number }[];
    expect(metrics.map((m) => m.level)).toEqual(["segment", "track"]);
    expect(metrics[0].accuracy).toBe(run.evaluation.segment.accuracy);
    const perClass = run.perClass().objects() as { label: string; support: number }[];
    expect(perClass.map((r) => r.label)).toEqual(run.labels as string[]);
    expect(perClass.reduce((s, r) => s + r.support, 0)).toBe(run.evaluation.track!.n);
    const confusion = run.confusion("track").objects() as Record<string, unknown>[];
    expect(confusion.map((r) => r.true)).toEqual(run.labels as string[]);
    const normalized = run.confusion("track", { normalize: true }).objects() as Record<string, number>[];
    for (const row of normalized) {
      const sum = run.labels.reduce((s, l) => s + row[l], 0);
      expect(sum === 0 || Math.abs(sum - 1) < 1e-9).toBe(true);
    }
    expect(run.historyTable().numRows()).toBe(3);
  }, 120_000);

  test("summary() prints the model's layers as Keras does", async () => {
    const text = await run.summaryText();
    expect(text).toContain("Layer (type)");
    expect(text).toContain("Total params");
    expect(text).toContain("probabilities");
  }, 60_000);

  test("openRun reads the run back by id; evaluate gives the recorded test metrics", async () => {
    const opened = await openRun(run.id, { runs: runsDir });
    expect(opened.evaluation).toEqual(run.evaluation);
    const again = await evaluate(run.id, { runs: runsDir, ...quiet });
    expect(again.split).toBe("test");
    expect(again.segment.accuracy).toBe(run.evaluation.segment.accuracy);
    expect(again.track?.confusion).toEqual(run.evaluation.track?.confusion);
    const validation = await evaluate(opened, { split: "validation", ...quiet });
    expect(validation.segment.n).toBeGreaterThan(0);
  }, 120_000);

  test("predict: per file and per segment, a failing file reported and the others kept", async () => {
    const file = join(ds.root, ds.split("test")[0].path);
    const missing = join(dir, "missing.wav");
    const out = await predict(run, [file, missing]);
    expect(out.labels).toEqual(run.labels);
    expect(out.files.length).toBe(1);
    expect(out.files[0].segments.length).toBe(3);
    const sum = Object.values(out.files[0].probabilities).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
    expect(out.failures).toEqual([{ file: missing, error: expect.any(String) }]);
  }, 60_000);

  test("runs() lists the run as a table row; the CLI prints the same accuracy", async () => {
    const listed = await runs({ dir: runsDir });
    expect(listed.runs.map((r) => r.id)).toEqual([run.id]);
    const row = listed.table.objects()[0] as { id: string; seg_acc: number };
    expect(row.seg_acc).toBe(run.record.segment.accuracy);
    const cli = runClave(["runs", "--runs", runsDir, "--json"]);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { segment: { accuracy: number } }[])[0].segment.accuracy).toBe(run.record.segment.accuracy);
  }, 60_000);

  test("extract: a dataset's features into its store, with an index table and aggregates", async () => {
    const out = join(dir, "store");
    const result = await extract(ds, ["mfcc", "rms"], { out, workers: 1, aggregate: true, params: { mfcc: { n_mfcc: 8 } }, progress: false, ...quiet });
    expect(result.failures).toEqual([]);
    expect(result.computed).toBe(18);
    expect(result.index.columnNames()).toEqual(["id", "label", "split", "hash", "mfcc", "rms"]);
    expect(existsSync(join(out, "index.csv"))).toBe(true);
    expect(result.aggregates!.columnNames()).toContain("mfcc8_mean");
    const again = await extract(ds, "mfcc,rms", { out, workers: 1, params: { mfcc: { n_mfcc: 8 } }, progress: false, ...quiet });
    expect(again.stored).toBe(18);
    expect(again.computed).toBe(0);
  }, 120_000);
});
