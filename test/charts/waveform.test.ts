import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { waveformChart } from "../../core/charts/index.ts";
import { loadAudio } from "../../core/audio/index.ts";
import { CC_AUDIO } from "../helpers.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

const CLIP = join(CC_AUDIO, "442789__lena-orsa__happy-music-pistachio-ice-cream-ragtime.hq.ogg");

describe("waveform chart", () => {
  test("one min/max column per pixel of a decoded clip, at the middle of its samples", async () => {
    const signal = await loadAudio(CLIP, { duration: 4 });
    const chart = waveformChart(signal, { width: 400 });
    const rows = rowsOf(chart);
    expect(rows.length).toBe(400);
    const y = signal.y;
    for (const c of [0, 1, 137, 399]) {
      const start = Math.floor((c * y.length) / 400);
      const end = Math.floor(((c + 1) * y.length) / 400);
      const column = Array.from(y.subarray(start, end));
      expect(rows[c].lo as number).toBeCloseTo(Math.min(...column), 3);
      expect(rows[c].hi as number).toBeCloseTo(Math.max(...column), 3);
      expect(rows[c].t as number).toBeCloseTo((start + end) / 2 / signal.sr, 5);
    }
    expect(at(chart.spec, "mark", "type")).toBe("area");
    expect(at(chart.spec, "encoding", "y", "field")).toBe("lo");
    expect(at(chart.spec, "encoding", "y2", "field")).toBe("hi");
    expect(at(chart.spec, "encoding", "x", "scale", "domain")).toEqual([0, Number((y.length / signal.sr).toPrecision(6))]);
    await expectRenders(waveformChart(signal, { title: "Ragtime" }), ["Ragtime", "Time (s)", "Amplitude"]);
  });

  test("a signal shorter than the width draws every sample", () => {
    const rows = rowsOf(waveformChart({ y: Float32Array.of(0, 0.5, -0.25), sr: 8000 }));
    expect(rows.map((r) => [r.lo, r.hi])).toEqual([
      [0, 0],
      [0.5, 0.5],
      [-0.25, -0.25],
    ]);
  });

  test("refuses several channels, an empty signal, NaN samples, a bad rate", async () => {
    const stereo = await loadAudio(CLIP, { duration: 0.5, mono: false });
    expect(stereo.channels).toBe(2);
    expect(() => waveformChart(stereo)).toThrow(/2 channels; load it with mono: true/);
    expect(() => waveformChart({ y: new Float32Array(0), sr: 22050 })).toThrow(/no samples/);
    expect(() => waveformChart({ y: Float32Array.of(0, NaN), sr: 22050 })).toThrow(/sample 1 is NaN/);
    expect(() => waveformChart({ y: Float32Array.of(0, 1), sr: 0 })).toThrow(/sampling rate 0/);
  });
});
