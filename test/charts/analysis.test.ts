/**
 * The analyses' charts: heatmap, bars with error bars, 2-D and 3-D embedding scatter, ranked bars,
 * explained variance. Each renders to SVG and PNG with its text, holds the numbers it was given, and
 * refuses data it cannot draw.
 */
import { describe, expect, test } from "bun:test";
import { embeddingChart, errorBarsChart, explainedVarianceChart, heatmapChart, rankingChart } from "../../core/charts/index.ts";
import { ChartError } from "../../core/errors.ts";
import { at, expectRenders, rowsOf } from "./check.ts";

describe("heatmap", () => {
  test("cells in the given order, NaN left blank, values written in small matrices", async () => {
    const chart = heatmapChart(
      [
        [0.1, 0.5, NaN],
        [0.3, 0.2, 0.9],
      ],
      ["son_clave", "dance_beat"],
      ["0.00 s", "0.50 s", "1.00 s"],
      { title: "Attention", legendTitle: "weight" },
    );
    const rows = rowsOf(chart);
    expect(rows.length).toBe(6);
    expect(rows[2]).toMatchObject({ row: "son_clave", column: "1.00 s", value: null });
    expect(rows[5]).toMatchObject({ row: "dance_beat", column: "1.00 s", value: 0.9 });
    expect(at(chart.spec, "encoding", "x", "sort")).toEqual(["0.00 s", "0.50 s", "1.00 s"]);
    expect(at(chart.spec, "layer", 0, "encoding", "color", "scale", "domain")).toEqual([0.1, 0.9]);
    await expectRenders(chart, ["Attention", "son_clave", "1.00 s", "0.90", "weight"]);
  });

  test("diverging: a domain symmetric about zero", () => {
    const chart = heatmapChart([[-2, 0.5]], ["z"], ["a", "b"], { diverging: true });
    expect(at(chart.spec, "layer", 0, "encoding", "color", "scale", "domain")).toEqual([-2, 2]);
  });

  test("refuses ragged matrices, wrong name counts, duplicates and infinities", () => {
    expect(() => heatmapChart([[1, 2], [3]], ["a", "b"], ["x", "y"])).toThrow(ChartError);
    expect(() => heatmapChart([[1, 2]], ["a", "b"], ["x", "y"])).toThrow(/2 row names for 1 rows/);
    expect(() => heatmapChart([[1, 2]], ["a"], ["x", "x"])).toThrow(/unique/);
    expect(() => heatmapChart([[1, Infinity]], ["a"], ["x", "y"])).toThrow(/Infinity/);
    expect(() => heatmapChart([], [], [])).toThrow(/empty/);
  });
});

describe("error bars", () => {
  const items = [
    { name: "baseline", mean: 0.9, error: 0.02, values: [0.88, 0.9, 0.92], group: "all features" },
    { name: "without chroma", mean: 0.85, error: 0.05, values: [0.8, 0.85, 0.9], group: "a group dropped" },
    { name: "without rhythm", mean: 0.5, error: 0, values: [0.5, 0.5, 0.5], group: "a group dropped" },
  ];

  test("a bar per item with mean ± error, each value a dot, the reference a dashed rule", async () => {
    const chart = errorBarsChart(items, { title: "Ablation", yTitle: "accuracy", format: ".0%", reference: { value: 0.9, label: "baseline" } });
    const bars = rowsOf(chart).filter((r) => r.kind === "bar");
    expect(bars.map((b) => b.name)).toEqual(["baseline", "without chroma", "without rhythm"]);
    expect(bars[1]).toMatchObject({ mean: 0.85, low: 0.8, high: 0.9 });
    expect(rowsOf(chart).filter((r) => r.kind === "value").length).toBe(9);
    const layers = at(chart.spec, "layer") as { mark: { type: string; strokeDash?: number[] } }[];
    expect(layers.some((l) => l.mark.type === "rule" && l.mark.strokeDash)).toBe(true);
    await expectRenders(chart, ["Ablation", "without chroma", "accuracy", "baseline", "a group dropped"]);
  });

  test("refuses a negative error, duplicate names, non-finite values and no bars", () => {
    expect(() => errorBarsChart([{ name: "a", mean: 1, error: -1 }])).toThrow(/negative/);
    expect(() => errorBarsChart([{ name: "a", mean: 1, error: 0 }, { name: "a", mean: 2, error: 0 }])).toThrow(/unique/);
    expect(() => errorBarsChart([{ name: "a", mean: NaN, error: 0 }])).toThrow(ChartError);
    expect(() => errorBarsChart([])).toThrow(/no bars/);
  });
});

describe("embedding scatter", () => {
  const labels = ["a", "a", "b", "b", "c", "c"];

  test("2-D: a point per row, coloured by label, axis titles as given", async () => {
    const points = { data: Float64Array.of(0, 0, 0.1, 0.2, 5, 5, 5.2, 4.9, -3, 4, -3.1, 4.2), shape: [6, 2] };
    const chart = embeddingChart(points, labels, { title: "PCA 2-D", axisTitles: ["PC1 (61.0%)", "PC2 (30.2%)"], names: ["t1", "t2", "t3", "t4", "t5", "t6"] });
    const rows = rowsOf(chart);
    expect(rows.length).toBe(6);
    expect(rows[2]).toMatchObject({ x: 5, y: 5, label: "b", name: "t3" });
    await expectRenders(chart, ["PCA 2-D", "PC1 (61.0%)", "PC2 (30.2%)", "a", "c"]);
  });

  test("3-D: points drawn far to near (nearer larger), the box's 12 edges, 3 axes named", async () => {
    const points = { data: Float64Array.of(0, 0, 0, 1, 1, 1, -1, -1, -1, 1, -1, 0.5, -1, 1, -0.5, 0.2, 0.3, 0.9), shape: [6, 3] };
    const chart = embeddingChart(points, labels, { title: "UMAP 3-D", axisTitles: ["UMAP 1", "UMAP 2", "UMAP 3"] });
    const rows = rowsOf(chart);
    const drawn = rows.filter((r) => r.kind === "point");
    expect(drawn.length).toBe(6);
    expect(drawn.map((r) => r.order)).toEqual([0, 1, 2, 3, 4, 5]);
    const sizes = drawn.map((r) => r.size as number);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeGreaterThanOrEqual(sizes[i - 1]);
    expect(rows.filter((r) => r.kind === "edge").length).toBe(12);
    expect(rows.filter((r) => r.kind === "edge" && r.axis === 1).length).toBe(3);
    expect(rows.filter((r) => r.kind === "axis").map((r) => r.text)).toEqual(["UMAP 1", "UMAP 2", "UMAP 3"]);
    await expectRenders(chart, ["UMAP 3-D", "UMAP 1", "UMAP 3", "b"]);
  });

  test("refuses other widths, label counts, non-finite coordinates and unlisted labels", () => {
    expect(() => embeddingChart({ data: new Float64Array(8), shape: [2, 4] }, ["a", "b"])).toThrow(/\[n, 2\] or \[n, 3\]/);
    expect(() => embeddingChart({ data: new Float64Array(4), shape: [2, 2] }, ["a"])).toThrow(/1 labels for 2 points/);
    expect(() => embeddingChart({ data: Float64Array.of(0, NaN), shape: [1, 2] }, ["a"])).toThrow(/NaN/);
    expect(() => embeddingChart({ data: new Float64Array(2), shape: [1, 2] }, ["z"], { labels: ["a"] })).toThrow(/"z"/);
  });
});

describe("ranking", () => {
  test("largest first, at most `top` per panel, NaN left out, one panel per name", async () => {
    const items = [
      { name: "mfcc1_mean", value: 3, panel: "ANOVA F" },
      { name: "tempogram2_mean", value: 40, panel: "ANOVA F" },
      { name: "chroma_stft1_var", value: NaN, panel: "ANOVA F" },
      { name: "onset_strength_mean", value: 12, panel: "ANOVA F" },
      { name: "mfcc1_mean", value: 0.2, panel: "mutual information (nats)" },
      { name: "tempogram2_mean", value: 0.7, panel: "mutual information (nats)" },
    ];
    const chart = rankingChart(items, { title: "Association", top: 2 });
    const panels = at(chart.spec, "hconcat") as { data: { values: { name: string; value: number }[] } }[];
    expect(panels.length).toBe(2);
    expect(panels[0].data.values.map((v) => v.name)).toEqual(["tempogram2_mean", "onset_strength_mean"]);
    expect(panels[1].data.values.map((v) => v.value)).toEqual([0.7, 0.2]);
    await expectRenders(chart, ["Association", "ANOVA F", "tempogram2_mean", "mutual information (nats)"]);
  });

  test("one panel is a plain chart; infinities and duplicates are refused", async () => {
    const chart = rankingChart([{ name: "blues → rock", value: 4 }, { name: "pop → disco", value: 2 }], { xTitle: "tracks", format: "d" });
    expect(at(chart.spec, "hconcat")).toBeUndefined();
    await expectRenders(chart, ["blues → rock", "tracks"], 0.01);
    expect(() => rankingChart([{ name: "a", value: Infinity }])).toThrow(ChartError);
    expect(() => rankingChart([{ name: "a", value: 1 }, { name: "a", value: 2 }])).toThrow(/unique/);
  });
});

describe("explained variance", () => {
  test("a bar per component and the running total", async () => {
    const chart = explainedVarianceChart([0.5, 0.3, 0.1]);
    expect(rowsOf(chart).map((r) => r.cumulative)).toEqual([0.5, 0.8, 0.9]);
    await expectRenders(chart, ["Explained variance (line: cumulative)", "PC1", "PC3", "share of variance"]);
    expect(() => explainedVarianceChart([1.5])).toThrow(/not in \[0, 1\]/);
    expect(() => explainedVarianceChart([])).toThrow(ChartError);
  });
});
