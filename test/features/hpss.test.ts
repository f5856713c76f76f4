/**
 * HPSS against librosa 0.11's `effects.hpss`, as reimplemented from its source with numpy and scipy
 * (hpss_reference.py; librosa is not installed), on the shared reference clips; GTZAN's harmony and
 * perceptr columns out of the `gtzan` preset's aggregates.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hpss, medianFilter1d } from "../../core/dsp/hpss.ts";
import { aggregateFeatures } from "../../core/features/aggregate.ts";
import { extractFeatures } from "../../core/features/extract.ts";
import { ndarray } from "../../core/ndarray.ts";
import { readNpySync } from "../../core/npy.ts";
import { mulberry32 } from "../../core/random.ts";
import hpssPlugin from "../../plugins/features/hpss.ts";
import { PYTHON, REFERENCE, python, runClave, tempDir } from "../helpers.ts";
import { GTZAN_FEATURE_COLUMNS } from "../run/table-fixtures.ts";
import { CLIPS, referenceSignal } from "./reference.ts";

const dir = tempDir("clave-hpss-");
const SCRIPT = join(import.meta.dir, "hpss_reference.py");

/** librosa's y_harm and y_perc of a reference clip, from the numpy reimplementation; and its STFT's distance from librosa's own. */
function reference(clip: string): { harmonic: Float32Array; percussive: Float32Array; stftDeviation: number } {
  const out = join(dir, clip);
  require("node:fs").mkdirSync(out, { recursive: true });
  const r = spawnSync(PYTHON, [SCRIPT, join(REFERENCE, clip, "y.npy"), out, join(REFERENCE, clip, "stft_mag.npy")], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`hpss_reference.py: ${r.stderr}`);
  return {
    harmonic: readNpySync(join(out, "y_harm.npy")).data as Float32Array,
    percussive: readNpySync(join(out, "y_perc.npy")).data as Float32Array,
    stftDeviation: Number(r.stdout.trim()),
  };
}

function relative(ours: Float32Array, ref: Float32Array): number {
  let worst = 0;
  let peak = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
    peak = Math.max(peak, Math.abs(ref[i]));
  }
  return worst / peak;
}

const references = Object.fromEntries(CLIPS.map((c) => [c, reference(c)]));

describe("hpss against librosa.effects.hpss", () => {
  for (const clip of CLIPS) {
    test(`${clip}: harmonic and percussive signals within 1e-6 of the peak`, () => {
      const ref = references[clip];
      // The reimplementation's STFT is librosa's (its reference arrays), to float32 precision.
      expect(ref.stftDeviation).toBeLessThan(1e-6);
      const { y } = referenceSignal(clip);
      const ours = hpss(y);
      expect(ours.harmonic.length).toBe(y.length);
      expect(relative(ours.harmonic, ref.harmonic)).toBeLessThan(1e-6);
      expect(relative(ours.percussive, ref.percussive)).toBeLessThan(1e-6);
    });
  }

  test("the median filter is scipy.ndimage.median_filter's (mode reflect), also on axes shorter than the window", () => {
    const random = mulberry32(3);
    const cases = [[40, 31], [10, 31], [3, 7], [1, 5], [64, 5]] as const;
    const inputs = cases.map(([n]) => Float32Array.from({ length: n }, () => Math.fround(Math.floor(random() * 8) / 4)));
    const theirs = JSON.parse(
      python(`
import json, numpy as np
from scipy.ndimage import median_filter
cases = ${JSON.stringify(cases)}
xs = ${JSON.stringify(inputs.map((x) => Array.from(x)))}
print(json.dumps([median_filter(np.array(x, dtype=np.float32), size=k, mode="reflect").tolist() for x, (n, k) in zip(xs, cases)]))`),
    ) as number[][];
    cases.forEach(([n, k], i) => {
      const out = new Float32Array(n);
      medianFilter1d(inputs[i], out, 0, 1, n, k, new Float32Array(k));
      expect(Array.from(out)).toEqual(theirs[i]);
    });
  });

  test("the plugin: both parts from one separation per clip; bad params refused", async () => {
    const signal = referenceSignal("synth");
    const results = await extractFeatures(signal, [
      { plugin: hpssPlugin, params: { component: "harmonic" }, as: "harmony" },
      { plugin: hpssPlugin, params: { component: "percussive" }, as: "perceptr" },
    ]);
    expect(results.map((r) => r.name)).toEqual(["harmony", "perceptr"]);
    expect(relative(results[0].array.data as Float32Array, references.synth.harmonic)).toBeLessThan(1e-6);
    expect(relative(results[1].array.data as Float32Array, references.synth.percussive)).toBeLessThan(1e-6);
    expect(hpssPlugin.params.safeParse({ kernel_size: 30 }).success).toBe(false);
    expect(hpssPlugin.params.safeParse({ n_fft: 1000 }).success).toBe(false);
  });
});

describe("GTZAN's harmony and perceptr columns", () => {
  test("aggregates of a signal run over its samples; a segment takes its frames' samples", () => {
    const y = Float32Array.from({ length: 10 * 512 }, (_, i) => Math.sin(i / 7));
    const frames = ndarray(new Float32Array(11), [1, 11]);
    const [whole] = aggregateFeatures({ rms: frames, harmony: ndarray(y, [y.length]) });
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    expect(whole.harmony_mean).toBeCloseTo(mean, 12);
    expect(whole.harmony_var).toBeCloseTo(y.reduce((a, v) => a + (v - mean) ** 2, 0) / y.length, 12);
    const segments = aggregateFeatures({ rms: frames, perceptr: ndarray(y, [y.length]) }, { segmentFrames: 4 });
    expect(segments).toHaveLength(2);
    const second = y.subarray(4 * 512, 8 * 512);
    expect(segments[1].perceptr_mean).toBeCloseTo(second.reduce((a, b) => a + b, 0) / second.length, 12);
  });

  test("clave features dataset --features gtzan --aggregate: GTZAN's 57 feature columns, in its order; harmony and perceptr librosa's", () => {
    copyFileSync(join(REFERENCE, "audio", "real_22050_stereo.wav"), join(dir, "real.wav"));
    writeFileSync(join(dir, "manifest.csv"), "id,label,artist,title,source,path,hash,duration_s,sr,split\nreal,rock,,,folder,real.wav,,,,\n");
    const r = runClave(["features", "dataset", join(dir, "manifest.csv"), "--features", "gtzan", "--workers", "1", "--aggregate", join(dir, "features_30_sec.csv")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [header, row] = readFileSync(join(dir, "features_30_sec.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    expect(header).toEqual(["id", "filename", "length", ...GTZAN_FEATURE_COLUMNS, "label"]);
    const value = (column: string) => Number(row[header.indexOf(column)]);
    const { harmonic, percussive } = references.real;
    const stats = (x: Float32Array) => {
      const m = x.reduce((a, b) => a + b, 0) / x.length;
      return [m, x.reduce((a, v) => a + (v - m) ** 2, 0) / x.length];
    };
    const [hm, hv] = stats(harmonic);
    const [pm, pv] = stats(percussive);
    expect(Math.abs(value("harmony_mean") - hm)).toBeLessThan(1e-6 * Math.sqrt(hv));
    expect(value("harmony_var") / hv).toBeCloseTo(1, 5);
    expect(Math.abs(value("perceptr_mean") - pm)).toBeLessThan(1e-6 * Math.sqrt(pv));
    expect(value("perceptr_var") / pv).toBeCloseTo(1, 5);
  }, 120_000);
});
