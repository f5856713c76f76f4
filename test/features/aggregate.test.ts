/** Per-clip and per-segment statistics with GTZAN's column names, as an Arquero table. */
import { describe, expect, test } from "bun:test";
import { aggregateFeatures, aggregateTable } from "../../core/features/aggregate.ts";
import { ndarray } from "../../core/ndarray.ts";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));

describe("aggregates", () => {
  const T = 10;
  const mfcc = ndarray(Float32Array.from({ length: 3 * T }, (_, i) => Math.fround(Math.sin(i) * 10)), [3, T]);
  const chroma = ndarray(Float32Array.from({ length: 12 * T }, (_, i) => (i % 7) / 7), [12, T]);
  const rolloff = ndarray(Float64Array.from({ length: T }, (_, i) => 1000 + i * 10), [1, T]);
  const onset = ndarray(Float32Array.from({ length: T }, (_, i) => i), [T]);
  const tempo = ndarray(Float64Array.of(117.45), [1]);
  const beats = ndarray(BigInt64Array.of(1n, 5n), [2]);
  const features = { chroma_stft: chroma, spectral_rolloff: rolloff, tempo, mfcc, onset_strength: onset, beat_track: beats };

  test("GTZAN's names and order: pooled chroma, rolloff, tempo as a value, mfcc<i>; population variance", () => {
    const [row] = aggregateFeatures(features);
    expect(Object.keys(row)).toEqual([
      "chroma_stft_mean", "chroma_stft_var", "rolloff_mean", "rolloff_var", "tempo",
      "mfcc1_mean", "mfcc1_var", "mfcc2_mean", "mfcc2_var", "mfcc3_mean", "mfcc3_var",
      "onset_strength_mean", "onset_strength_var",
    ]);
    const chromaAll = Array.from(chroma.data);
    expect(row.chroma_stft_mean).toBeCloseTo(mean(chromaAll), 12);
    expect(row.chroma_stft_var).toBeCloseTo(variance(chromaAll), 12);
    const m2 = Array.from(mfcc.data.subarray(T, 2 * T));
    expect(row.mfcc2_mean).toBeCloseTo(mean(m2), 10);
    expect(row.mfcc2_var).toBeCloseTo(variance(m2), 9);
    expect(row.tempo).toBe(117.45);
    expect(row.rolloff_mean).toBeCloseTo(1045, 12);
  });

  test("segments: consecutive runs of frames, the short tail dropped", () => {
    const rows = aggregateFeatures(features, { segmentFrames: 4 });
    expect(rows).toHaveLength(2);
    expect(rows[1].onset_strength_mean).toBeCloseTo(mean([4, 5, 6, 7]), 12);
    expect(rows[1].tempo).toBe(117.45);
  });

  test("an Arquero table: filename, length, segment, statistics, label", () => {
    const table = aggregateTable(
      [
        { filename: "a.wav", length: 661500, label: "son", features },
        { filename: "b.wav", length: 661500, label: "salsa", features },
      ],
      { segmentFrames: 5 },
    );
    expect(table.numRows()).toBe(4);
    const names = table.columnNames();
    expect(names.slice(0, 4)).toEqual(["filename", "length", "segment", "chroma_stft_mean"]);
    expect(names.at(-1)).toBe("label");
    expect(table.get("label", 3)).toBe("salsa");
    expect(table.get("segment", 1)).toBe(1);
  });

  test("features with different frame counts are refused", () => {
    expect(() => aggregateFeatures({ a: ndarray(new Float32Array(5), [1, 5]), b: ndarray(new Float32Array(6), [1, 6]) })).toThrow(/frames/);
  });
});
