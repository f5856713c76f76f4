/** Segments: fixed length, hop, padding, and the track id and time span each carries. */
import { describe, expect, test } from "bun:test";
import { fixLength, segmentSignal } from "../../core/audio/index.ts";

const sr = 100;
const ramp = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);

describe("segmentSignal", () => {
  test("non-overlapping 3 s segments of a 30 s track, traced to their seconds", () => {
    const segs = segmentSignal({ y: ramp(30 * sr), sr }, "blues.00042", { duration: 3 });
    expect(segs.length).toBe(10);
    segs.forEach((s, i) => {
      expect(s.trackId).toBe("blues.00042");
      expect(s.index).toBe(i);
      expect(s.start_s).toBe(3 * i);
      expect(s.end_s).toBe(3 * i + 3);
      expect(s.y.length).toBe(300);
      expect(s.frames).toBe(300);
      expect(s.y[0]).toBe(i * 300 + 1); // the first sample of second 3i
    });
  });

  test("a hop overlaps segments; a short tail is dropped unless padded", () => {
    const y = ramp(1050); // 10.5 s
    const hopped = segmentSignal({ y, sr }, "t", { duration: 5, hop: 2.5 });
    expect(hopped.map((s) => s.start_s)).toEqual([0, 2.5, 5]);
    const dropped = segmentSignal({ y, sr }, "t", { duration: 3 });
    expect(dropped.map((s) => s.start_s)).toEqual([0, 3, 6]);
    const padded = segmentSignal({ y, sr }, "t", { duration: 3, pad: true, minDuration: 1 });
    expect(padded.map((s) => s.start_s)).toEqual([0, 3, 6, 9]);
    const last = padded[3];
    expect(last.frames).toBe(150);
    expect(last.end_s).toBe(10.5);
    expect(last.y.length).toBe(300);
    expect(last.y[149]).toBe(1050);
    expect(last.y[150]).toBe(0);
    // Too little audio left for a padded segment: dropped.
    expect(segmentSignal({ y, sr }, "t", { duration: 3, pad: true, minDuration: 2 }).length).toBe(3);
  });

  test("a signal shorter than one segment gives one padded segment, or none", () => {
    const y = ramp(120);
    expect(segmentSignal({ y, sr }, "s", { duration: 3 })).toEqual([]);
    const [one] = segmentSignal({ y, sr }, "s", { duration: 3, pad: true });
    expect(one.frames).toBe(120);
    expect(one.y.length).toBe(300);
    expect(one.end_s).toBe(1.2);
  });

  test("bad lengths are refused", () => {
    expect(() => segmentSignal({ y: ramp(10), sr }, "x", { duration: 0 })).toThrow(RangeError);
    expect(() => segmentSignal({ y: ramp(10), sr }, "x", { duration: 1, hop: -1 })).toThrow(RangeError);
  });

  test("fixLength pads with zeros or truncates", () => {
    expect(Array.from(fixLength(ramp(3), 5))).toEqual([1, 2, 3, 0, 0]);
    expect(Array.from(fixLength(ramp(5), 2))).toEqual([1, 2]);
  });
});
