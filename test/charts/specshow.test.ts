import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { specshowChart, type Datum } from "../../core/charts/index.ts";
import { melFrequencies } from "../../core/dsp/convert.ts";
import { powerToDb } from "../../core/dsp/db.ts";
import { readNpy } from "../../core/npy.ts";
import { REFERENCE } from "../helpers.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

// librosa 0.11's arrays for a 30 s synthetic clip: chords, a 120 BPM click track with a kick, noise.
const SYNTH = join(REFERENCE, "synth");
const reference = (name: string) => readNpy(join(SYNTH, `${name}.npy`));
const SECONDS_PER_FRAME = 512 / 22050;

/** The cells of each row group (same y0), in order of y0. */
function rowGroups(rows: readonly Datum[]) {
  const groups = new Map<number, { y0: number; y1: number; values: number[] }>();
  for (const r of rows) {
    const g = groups.get(r.y0 as number) ?? { y0: r.y0 as number, y1: r.y1 as number, values: [] };
    g.values.push(r.v as number);
    groups.set(r.y0 as number, g);
  }
  return [...groups.values()].sort((a, b) => a.y0 - b.y0);
}

/** Mean of the matrix as the cells give it: each cell's mean weighted by the frames it covers. */
function weightedMean(rows: readonly Datum[]): number {
  let sum = 0;
  let weight = 0;
  for (const r of rows) {
    const frames = Math.round(((r.t1 as number) - (r.t0 as number)) / SECONDS_PER_FRAME);
    sum += (r.v as number) * frames;
    weight += frames;
  }
  return sum / weight;
}

describe("specshow: feature matrices with librosa's axes", () => {
  test("mel: one row per band between librosa's edges (0 to sr/2), frames averaged down to the cell budget", async () => {
    const mel = await reference("mel_db_refmax");
    const chart = specshowChart(mel, { yAxis: "mel", maxCells: 8000 });
    const rows = rowsOf(chart);
    expect(rows.length).toBeLessThanOrEqual(8000);
    const groups = rowGroups(rows);
    expect(groups.length).toBe(128);
    expect(groups[0].y0).toBe(0);
    expect(groups.at(-1)!.y1).toBe(11025);
    const centres = melFrequencies(128, 0, 11025);
    groups.forEach((g, i) => {
      expect(g.y0).toBeLessThanOrEqual(centres[i] + 1e-3);
      expect(g.y1).toBeGreaterThanOrEqual(centres[i] - 1e-3);
      if (i > 0) expect(g.y0).toBe(groups[i - 1].y1);
    });
    // Averaging keeps the matrix's mean, and the columns tile the clip's duration.
    let mean = 0;
    for (const v of mel.data as Float32Array) mean += v;
    mean /= mel.data.length;
    expect(weightedMean(rows)).toBeCloseTo(mean, 2);
    const times = groups[0].values.length;
    expect(times).toBe(Math.floor(8000 / 128));
    expect(Math.max(...rows.map((r) => r.t1 as number))).toBeCloseTo(1292 * SECONDS_PER_FRAME, 4);

    expect(at(chart.spec, "mark", "type")).toBe("rect");
    expect(at(chart.spec, "encoding", "x", "field")).toBe("t0");
    expect(at(chart.spec, "encoding", "x2", "field")).toBe("t1");
    expect(at(chart.spec, "encoding", "y", "field")).toBe("y0");
    expect(at(chart.spec, "encoding", "y2", "field")).toBe("y1");
    expect(at(chart.spec, "encoding", "color", "field")).toBe("v");
    expect(at(chart.spec, "encoding", "y", "scale", "type")).toBe("symlog");
    expect(at(chart.spec, "encoding", "y", "axis", "values")).toEqual([0, 256, 512, 1024, 2048, 4096, 8192]);
    expect(at(chart.spec, "encoding", "color", "scale", "scheme")).toBe("magma");

    await expectRenders(chart, ["Time (s)", "Frequency (Hz)", "1024", "8192"], 0.3);
  });

  test("db: power_to_db(S, ref=max, top_db=80) before averaging", async () => {
    const power = await reference("melspectrogram");
    const db = powerToDb(Float64Array.from(power.data as Float32Array), { ref: "max", topDb: 80 });
    const chart = specshowChart(power, { yAxis: "mel", db: "power", maxCells: 128 * 1292 });
    const rows = rowsOf(chart);
    expect(rows.length).toBe(128 * 1292);
    // No averaging at this budget: row 40, frame 500 is the dB value itself.
    const cell = rows[40 * 1292 + 500];
    expect(cell.v as number).toBeCloseTo(db[40 * 1292 + 500], 2);
    expect(Math.max(...rows.map((r) => r.v as number))).toBeCloseTo(0, 6);
    expect(Math.min(...rows.map((r) => r.v as number))).toBeCloseTo(Math.min(...db), 2);
    expect(at(chart.spec, "encoding", "color", "title")).toBe("dB");
  });

  test("tempo: lags as BPM on a log2 axis; the strongest row holds the click track's 120 BPM", async () => {
    const tempogram = await reference("tempogram");
    const librosaTempo = (await reference("tempo")).data[0] as number;
    const chart = specshowChart(tempogram, { yAxis: "tempo" });
    const groups = rowGroups(rowsOf(chart));
    const strongest = groups.map((g) => ({ ...g, mean: g.values.reduce((a, b) => a + b, 0) / g.values.length })).sort((a, b) => b.mean - a.mean)[0];
    expect(strongest.y0).toBeLessThanOrEqual(librosaTempo);
    expect(strongest.y1).toBeGreaterThanOrEqual(librosaTempo);
    expect(strongest.y0).toBeLessThanOrEqual(120);
    expect(strongest.y1).toBeGreaterThanOrEqual(120);
    // Lag 383 is the slowest tempo; nothing wholly above 1024 BPM (and never lag 0) is drawn.
    const bpm = (lag: number) => (60 * 22050) / (512 * lag);
    expect(groups[0].y0).toBeCloseTo(bpm(383.5), 3);
    expect(groups.every((g) => g.y0 < 1024)).toBe(true);
    expect(at(chart.spec, "encoding", "y", "scale")).toMatchObject({ type: "log", base: 2, domain: [groups[0].y0, 1024] });
    expect(at(chart.spec, "encoding", "y", "axis", "values")).toEqual([8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(at(chart.spec, "mark", "clip")).toBe(true);
    await expectRenders(chart, ["Tempo (BPM)", "128", "1024"], 0.3);
  });

  test("lag: rows are lags in seconds, lag l at l·hop/sr", async () => {
    const tempogram = await reference("tempogram");
    const groups = rowGroups(rowsOf(specshowChart(tempogram, { yAxis: "lag", maxCells: 384 * 40 })));
    expect(groups.length).toBe(128);
    expect(groups[0].y0).toBe(0);
    expect(groups.at(-1)!.y1).toBeCloseTo(384 * SECONDS_PER_FRAME, 5);
  });

  test("chroma: twelve pitch classes named on the axis", async () => {
    const chroma = await reference("chroma_stft");
    const chart = specshowChart(chroma, { yAxis: "chroma" });
    const groups = rowGroups(rowsOf(chart));
    expect(groups.map((g) => [g.y0, g.y1])).toEqual(Array.from({ length: 12 }, (_, i) => [i, i + 1]));
    expect(at(chart.spec, "encoding", "y", "axis", "labelExpr")).toContain('"C#"');
    await expectRenders(chart, ["Pitch class", "C", "C#", "A", "B"], 0.3);
  });

  test("mfcc: coefficients by index, a diverging scale centred on 0", async () => {
    const mfcc = await reference("mfcc");
    const chart = specshowChart(mfcc, { yAxis: "mfcc" });
    expect(rowGroups(rowsOf(chart)).length).toBe(13);
    expect(at(chart.spec, "encoding", "color", "scale")).toEqual({ scheme: "redblue", reverse: true, domainMid: 0 });
    await expectRenders(chart, ["MFCC coefficient", "0", "12"], 0.3);
  });

  test("linear: FFT bins between librosa's edges; 1025 bins grouped to at most 128 rows", async () => {
    const stft = await reference("stft_mag");
    const chart = specshowChart(stft, { db: "amplitude" });
    const groups = rowGroups(rowsOf(chart));
    expect(groups.length).toBe(128);
    expect(groups[0].y0).toBe(0);
    expect(groups.at(-1)!.y1).toBe(11025);
    // Bin 0 spans [0, half a bin]: 1025 bins / 128 groups puts bins 0..7 in the first row.
    expect(groups[0].y1).toBeCloseTo(7.5 * (22050 / 2048), 3);
    expect(Math.max(...groups.flatMap((g) => g.values))).toBeLessThanOrEqual(0);
  });

  test("refuses what it cannot draw, naming the problem", () => {
    expect(() => specshowChart({ data: new Float32Array(6), shape: [6] })).toThrow(/expected a matrix \[rows, frames\], got shape \[6\]/);
    expect(() => specshowChart({ data: new Float32Array(5), shape: [2, 3] })).toThrow(/5 values for shape \[2, 3\]/);
    expect(() => specshowChart({ data: new Float32Array(0), shape: [0, 3] })).toThrow(/empty/);
    expect(() => specshowChart({ data: Float32Array.of(1, NaN, 3, 4), shape: [2, 2] })).toThrow(/row 0, frame 1 is NaN/);
    expect(() => specshowChart({ data: new Float32Array(4), shape: [2, 2] }, { sr: -1 })).toThrow(/sr -1 must be a positive/);
    expect(() => specshowChart({ data: new Float32Array(4), shape: [2, 2] }, { yAxis: "mel", fmin: 500, fmax: 100 })).toThrow(/fmin 500 and fmax 100/);
  });
});
