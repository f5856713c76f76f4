/** Feature tables: distributions per label (box plots) and the Pearson correlation heatmap, against NumPy. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { boxStats, correlationChart, featureDistributionsChart, pearsonCorrelation } from "../../core/charts/index.ts";
import { readNpy } from "../../core/npy.ts";
import { python, REFERENCE } from "../helpers.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

const CLIPS = ["synth", "real"];
const FEATURES = ["spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "zcr", "rms"];

/** librosa's frame-level features of both reference clips: one row per frame, labelled by clip. */
async function frameTable() {
  const rows: number[][] = [];
  const labels: string[] = [];
  for (const clip of CLIPS) {
    const columns = await Promise.all(FEATURES.map(async (f) => (await readNpy(join(REFERENCE, clip, `${f}.npy`))).data as Float32Array | Float64Array));
    for (let t = 0; t < columns[0].length; t++) {
      rows.push(columns.map((c) => c[t]));
      labels.push(clip);
    }
  }
  return { rows, labels };
}

/** NumPy's statistics of the same arrays, read by Python from the same files. */
function numpyStats(): { boxes: Record<string, Record<string, number[]>>; corr: (number | null)[][] } {
  return JSON.parse(
    python(`
import json, numpy as np
ref = ${JSON.stringify(REFERENCE)}
feats = ${JSON.stringify(FEATURES)}
boxes, table = {}, []
for clip in ${JSON.stringify(CLIPS)}:
    cols = [np.load(f"{ref}/{clip}/{f}.npy").astype(np.float64).ravel() for f in feats]
    table.append(np.stack(cols, axis=1))
    boxes[clip] = {}
    for f, x in zip(feats, cols):
        q1, med, q3 = np.percentile(x, [25, 50, 75])
        inside = x[(x >= q1 - 1.5 * (q3 - q1)) & (x <= q3 + 1.5 * (q3 - q1))]
        boxes[clip][f] = [q1, med, q3, inside.min(), inside.max(), int(x.size - inside.size)]
corr = np.corrcoef(np.concatenate(table), rowvar=False)
print(json.dumps({"boxes": boxes, "corr": corr.tolist()}))`),
  );
}

describe("feature distributions and correlation", async () => {
  const { rows, labels } = await frameTable();
  const reference = numpyStats();

  test("boxes: quartiles, Tukey whiskers and outliers as NumPy computes them", async () => {
    const chart = featureDistributionsChart(rows, labels, { featureNames: FEATURES });
    const data = rowsOf(chart);
    for (const clip of CLIPS) {
      for (const feature of FEATURES) {
        const [q1, median, q3, low, high, outliers] = reference.boxes[clip][feature];
        const box = data.find((r) => r.kind === "box" && r.label === clip && r.feature === feature)!;
        const close = (ours: unknown, theirs: number) => expect(Math.abs((ours as number) - theirs)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(theirs)));
        close(box.q1, q1);
        close(box.median, median);
        close(box.q3, q3);
        close(box.low, low);
        close(box.high, high);
        expect(data.filter((r) => r.kind === "outlier" && r.label === clip && r.feature === feature).length).toBe(outliers);
      }
    }
    expect(at(chart.spec, "facet", "field")).toBe("feature");
    expect(at(chart.spec, "facet", "sort")).toEqual(FEATURES);
    const marks = at(chart.spec, "spec", "layer").map((l: { mark: { type: string } }) => l.mark.type);
    expect(marks).toEqual(["rule", "bar", "tick", "point"]);
    expect(at(chart.spec, "spec", "layer", 1, "encoding", "y", "field")).toBe("q1");
    expect(at(chart.spec, "spec", "layer", 1, "encoding", "y2", "field")).toBe("q3");
    expect(at(chart.spec, "spec", "layer", 2, "encoding", "y", "field")).toBe("median");
    await expectRenders(chart, [...FEATURES, ...CLIPS, "Label"]);
  });

  test("boxStats on a small case: numpy.percentile's interpolation, the outlier beyond 1.5 IQR", () => {
    expect(boxStats([1, 2, 3, 4, 100])).toEqual({ n: 5, q1: 2, median: 3, q3: 4, low: 1, high: 4, outliers: [100] });
    expect(boxStats([7])).toEqual({ n: 1, q1: 7, median: 7, q3: 7, low: 7, high: 7, outliers: [] });
  });

  test("Pearson correlation is numpy.corrcoef; the heatmap draws it from -1 to 1", async () => {
    const r = pearsonCorrelation(rows);
    r.forEach((row, j) => row.forEach((v, k) => expect(v).toBeCloseTo(reference.corr[j][k]!, 10)));
    const chart = correlationChart(rows, { featureNames: FEATURES });
    const data = rowsOf(chart);
    expect(data.length).toBe(25);
    const cell = data.find((d) => d.row === "spectral_centroid" && d.column === "spectral_rolloff")!;
    expect(cell.r as number).toBeCloseTo(reference.corr[0][2]!, 3);
    expect(cell.text).toBe(reference.corr[0][2]!.toFixed(2));
    expect(at(chart.spec, "layer", 0, "mark", "type")).toBe("rect");
    expect(at(chart.spec, "layer", 0, "encoding", "color", "scale", "domain")).toEqual([-1, 1]);
    expect(at(chart.spec, "encoding", "x", "sort")).toEqual(FEATURES);
    await expectRenders(chart, [...FEATURES, "1.00", cell.text as string]);
  });

  test("a constant feature has no correlation (NaN, as NumPy), drawn as an empty cell", () => {
    const table = { data: Float32Array.of(1, 5, 2, 5, 3, 5, 4, 5), shape: [4, 2] };
    const r = pearsonCorrelation(table);
    expect(r[0][0]).toBeCloseTo(1, 12);
    expect(r[0][1]).toBeNaN();
    expect(r[1][1]).toBeNaN();
    const cells = rowsOf(correlationChart(table));
    expect(cells.filter((c) => c.r === null).length).toBe(3);
  });

  test("refuses ragged or empty tables, NaN, labels that do not match the examples, unknown features", () => {
    expect(() => pearsonCorrelation([[1, 2], [3]])).toThrow(/row 1 has 1 features, row 0 has 2/);
    expect(() => pearsonCorrelation([])).toThrow(/empty/);
    expect(() => pearsonCorrelation({ data: Float32Array.of(1, NaN), shape: [1, 2] })).toThrow(/example 0, feature 1 is NaN/);
    expect(() => featureDistributionsChart([[1], [2]], ["a"])).toThrow(/1 labels for 2 examples/);
    expect(() => featureDistributionsChart([[1], [2]], ["a", "b"], { features: ["rms"] })).toThrow(/no feature "rms"/);
    expect(() => correlationChart([[1, 2]], { featureNames: ["x"] })).toThrow(/1 feature names for 2 features/);
  });
});
