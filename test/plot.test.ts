/**
 * `plot.*` from clave's own objects and `clave plot <kind>`: each kind drawn from a real run, dataset,
 * audio file and feature table, as SVG (with its labels in it) and PNG (a real, non-blank image).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildDataset, extract, PLOT_KINDS, plot, tableCsv, train, type Dataset, type Run } from "../index.ts";
import { runClave, tempDir } from "./helpers.ts";

const dir = tempDir("clave-plot-");
const quiet = { onWarning: () => {} };
let ds: Dataset;
let run: Run;
let audio: string;
let table: string;

beforeAll(async () => {
  ds = await buildDataset({ source: "synthetic", params: { per_class: 5, seconds: 3, seed: 3 }, out: join(dir, "syn", "manifest.csv"), seed: 3, ...quiet });
  run = await train({ model: "dense2", features: "mfcc", dataset: ds, epochs: 3, segment: 1, runs: join(dir, "runs"), progress: false, ...quiet });
  audio = join(ds.root, ds.rows[0].path);
  const features = await extract(ds, "gtzan", { out: join(dir, "store"), workers: 1, aggregate: true, progress: false, ...quiet });
  table = join(dir, "features.csv");
  await Bun.write(table, tableCsv(features.aggregates!));
}, 180_000);

/** A PNG with something drawn: a flat image compresses to far less (test/charts checks pixels). */
function drawnPng(png: Uint8Array): boolean {
  return png.length > 5_000 && png[0] === 0x89 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47;
}

describe("plot from code", () => {
  test("a run's confusion matrix, training curves and per-class scores", async () => {
    const confusion = await plot.confusion(run, { normalize: true });
    const svg = await confusion.toSVG();
    for (const label of run.labels) expect(svg).toContain(label);
    expect(JSON.stringify(confusion.spec.title)).toContain(`${run.id}: track level`);
    const history = await (await plot.history(run.id, { runs: join(dir, "runs") })).toSVG();
    expect(history).toContain("best epoch");
    expect(history).toContain("val");
    const f1 = await (await plot.f1(run, { level: "segment" })).toSVG();
    expect(f1).toContain("segment level");
  }, 60_000);

  test("a dataset's balance, an audio file's spectrogram, chroma and waveform", async () => {
    const balance = await (await plot.balance(ds.file)).toSVG();
    for (const part of ["train", "validation", "test"]) expect(balance).toContain(part);
    const mel = await (await plot.spectrogram(audio)).toSVG();
    expect(mel).toContain("Frequency (Hz)");
    expect(mel).toContain("dB");
    const chroma = await (await plot.spectrogram(audio, { feature: "chroma_stft" })).toSVG();
    expect(chroma).toContain("C#");
    const wave = await (await plot.waveform(audio)).toSVG();
    expect(wave).toContain("Time (s)");
  }, 60_000);

  test("a feature table's distributions and correlations, from its CSV", async () => {
    const dist = await plot.distribution(table, { featureColumns: ["tempo", "rms_mean"] });
    const svg = await dist.toSVG();
    expect(svg).toContain("tempo");
    expect(svg).toContain("rms_mean");
    const corr = await (await plot.correlation(table, { featureColumns: ["tempo", "rms_mean", "rms_var"] })).toSVG();
    expect(corr).toContain("rms_var");
    await expect(plot.distribution(table, { label: "genre" })).rejects.toThrow('no label column "genre"');
  }, 60_000);
});

describe("clave plot", () => {
  test("every kind renders a PNG and an SVG from the command line", () => {
    const inputs: Record<string, string[]> = {
      confusion: [run.dir],
      history: [run.dir],
      f1: [run.dir],
      balance: [ds.file],
      spectrogram: [audio, "--feature", "tempogram"],
      waveform: [audio],
      distribution: [table, "--columns", "tempo,rms_mean"],
      correlation: [table],
    };
    expect(Object.keys(inputs).sort()).toEqual([...PLOT_KINDS].sort());
    for (const kind of PLOT_KINDS) {
      const png = join(dir, `${kind}.png`);
      const [input, ...flags] = inputs[kind];
      const out = runClave(["plot", kind, input, ...flags, "--out", png]);
      expect({ kind, code: out.code, stderr: out.stderr }).toEqual({ kind, code: 0, stderr: "" });
      expect(drawnPng(readFileSync(png))).toBe(true);
    }
    const svg = join(dir, "confusion.svg");
    expect(runClave(["plot", "confusion", run.dir, "--out", svg]).code).toBe(0);
    expect(readFileSync(svg, "utf8")).toStartWith("<svg");
  }, 240_000);

  test("bad usage: an unknown kind, an output that is not .svg or .png, a missing run", () => {
    expect(runClave(["plot", "pie", ds.file, "--out", join(dir, "x.png")]).code).toBe(2);
    expect(runClave(["plot", "balance", ds.file, "--out", join(dir, "x.jpg")]).code).toBe(2);
    const missing = runClave(["plot", "confusion", "no-such-run", "--runs", join(dir, "runs"), "--out", join(dir, "x.png")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no-such-run");
  }, 60_000);
});
