/**
 * The analyses of a run trained on clave's synthetic set, whose styles differ by construction in
 * rhythm (clave patterns and tempo ranges) more than in pitch: a small MLP on a stack of chroma,
 * onset strength and tempogram. Ablation must find rhythm more needed than chroma; the feature
 * statistics must equal NumPy's and scikit-learn's on the tables written; the errors must add up to
 * the run's own confusion matrix; the model's penultimate vectors must give its probabilities; and
 * `clave analyze` must write and print the same.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { ablation, analyze, correlation, distributions, embedding, errors, neighbours, segments } from "../../core/analysis/index.ts";
import { aggregateNames } from "../../core/analysis/data.ts";
import { loadAudio } from "../../core/audio/load.ts";
import { writeNpy } from "../../core/npy.ts";
import { buildDataset, createRegistry, openRun, train, type Dataset, type Registry, type Run } from "../../index.ts";
import { trackExamples } from "../../core/run/features.ts";
import { python, runClave, tempDir } from "../helpers.ts";

const dir = tempDir("clave-analysis-");
const runsDir = join(dir, "runs");
const quiet = { onWarning: () => {}, progress: false } as const;
let registry: Registry;
let ds: Dataset;
let run: Run;

const FEATURES = ["chroma_stft", "onset_strength", { name: "tempogram", params: { win_length: 48 } }];

beforeAll(async () => {
  registry = await createRegistry();
  // The clean styles: each its own tempo range and instruments (the source's `difficulty` 0, where it has one).
  const clean = "difficulty" in registry.source("synthetic").params.shape ? { difficulty: 0 } : {};
  ds = await buildDataset({ source: "synthetic", params: { per_class: 30, seconds: 4, seed: 1, ...clean }, out: join(dir, "syn", "manifest.csv"), seed: 1, ratios: [0.5, 0.2, 0.3], onWarning: () => {} });
  run = await train({
    model: "mlp",
    params: { hidden_units: [32] },
    features: "stack",
    featureParams: { features: FEATURES },
    dataset: ds,
    epochs: 30,
    segment: 1,
    runs: runsDir,
    registry,
    ...quiet,
  });
}, 240_000);

const csv = (path: string) => aq.fromCSV(readFileSync(path, "utf8"));

describe("ablation", () => {
  test("dropping the rhythm features (onset strength, tempogram) hurts more than dropping chroma", async () => {
    const result = await ablation(run, { seeds: 3, groups: ["chroma:chroma_stft", "rhythm:onset_strength+tempogram"], registry, ...quiet });
    const rows = result.main.objects() as { condition: string; drop: number; mean: number; std: number; features: number }[];
    expect(rows.map((r) => r.condition)).toEqual(["baseline", "without chroma", "without rhythm"]);
    const [baseline, chroma, rhythm] = rows;
    expect(baseline.features).toBe(12 + 1 + 48);
    expect(chroma.features).toBe(1 + 48);
    expect(rhythm.features).toBe(12);
    expect(baseline.mean).toBeGreaterThan(0.8);
    expect(rhythm.drop).toBeGreaterThan(chroma.drop + 0.05);
    // Every training's scores are kept; the means are theirs.
    const scores = result.tables.scores.objects() as { condition: string; seed: number; track_accuracy: number }[];
    expect(scores.length).toBe(9);
    expect(scores.filter((s) => s.condition === "baseline").map((s) => s.seed)).toEqual([run.config.seed, run.config.seed + 1, run.config.seed + 2]);
    const mean = scores.filter((s) => s.condition === "without rhythm").reduce((a, s) => a + s.track_accuracy, 0) / 3;
    expect(rhythm.mean).toBeCloseTo(mean, 12);
    // Written beside the run.
    expect(result.out).toBe(join(run.dir, "analysis", "ablation"));
    for (const f of ["ablation.csv", "scores.csv", "ablation.svg", "analysis.json"]) expect(existsSync(join(result.out!, f))).toBe(true);
    expect(csv(join(result.out!, "ablation.csv")).numRows()).toBe(3);
  }, 240_000);

  test("groups must be parts of the run's stack; without groups each part is dropped alone", async () => {
    await expect(ablation(run, { groups: ["mfcc"], registry, out: false, ...quiet })).rejects.toThrow(/"mfcc" is not a part of the run's stack \(chroma_stft, onset_strength, tempogram\)/);
    await expect(ablation(run, { groups: ["all:chroma_stft+onset_strength+tempogram"], registry, out: false, ...quiet })).rejects.toThrow(/drops every feature/);
    await expect(ablation(run, { params: { no_such_param: 1 }, registry, out: false, ...quiet })).rejects.toThrow(/no_such_param/);
    const one = await ablation(run, { seeds: 1, params: { epochs: 2 }, registry, out: false, ...quiet });
    expect((one.main.objects() as { condition: string }[]).map((r) => r.condition)).toEqual(["baseline", "without chroma_stft", "without onset_strength", "without tempogram"]);
    expect(one.notes.join(" ")).toContain("epochs=2");
    expect(one.out).toBeNull();
  }, 120_000);
});

describe("distributions and correlation", () => {
  test("aggregates are the mean and variance over a track's frames, as NumPy computes them", async () => {
    const result = await distributions(run, { registry, ...quiet });
    const aggregates = csv(join(result.out!, "aggregates.csv"));
    expect(aggregates.numRows()).toBe(ds.rows.length);
    const names = aggregateNames(run.config.features!, registry, [44, 61]);
    expect(names.slice(0, 3)).toEqual(["chroma_stft1_mean", "chroma_stft1_var", "chroma_stft2_mean"]);
    expect(names).toContain("onset_strength_mean");
    expect(names.at(-1)).toBe("tempogram48_var");
    expect(aggregates.columnNames()).toEqual(["track", ...names, "label"]);
    // One track's examples to NumPy: its pooled mean and variance per feature row.
    const row = ds.rows[0];
    const spec = run.config.features!;
    const examples = await trackExamples(await loadAudio(join(ds.root, row.path), { sr: spec.sr }), row.id, spec, registry.feature(spec.plugin));
    const file = join(dir, "track.npy");
    await writeNpy(file, examples.x);
    const ours = (aggregates.objects() as Record<string, number | string>[]).find((r) => r.track === row.id)!;
    const reference = JSON.parse(python(`
import json, numpy as np
x = np.load(${JSON.stringify(file)}).astype(np.float64).reshape(-1, 61)
print(json.dumps({"mean": x.mean(0).tolist(), "var": x.var(0).tolist()}))`)) as { mean: number[]; var: number[] };
    const rowNames = names.filter((n) => n.endsWith("_mean")).map((n) => n.slice(0, -5));
    rowNames.forEach((r, j) => {
      expect(Math.abs((ours[`${r}_mean`] as number) - reference.mean[j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(reference.mean[j])));
      expect(Math.abs((ours[`${r}_var`] as number) - reference.var[j])).toBeLessThan(1e-6 * Math.max(1, Math.abs(reference.var[j])));
    });
    // The quartiles per label are NumPy's of those columns.
    const table = join(result.out!, "distributions.csv");
    const check = JSON.parse(python(`
import csv, json, numpy as np
rows = list(csv.DictReader(open(${JSON.stringify(join(result.out!, "aggregates.csv"))})))
worst = 0
for r in csv.DictReader(open(${JSON.stringify(table)})):
    x = np.array([float(a[r["feature"]]) for a in rows if a["label"] == r["label"]])
    q1, med, q3 = np.percentile(x, [25, 50, 75])
    for ours, theirs in [(r["q1"], q1), (r["median"], med), (r["q3"], q3), (r["mean"], x.mean()), (r["std"], x.std())]:
        worst = max(worst, abs(float(ours) - theirs) / max(1, abs(theirs)))
print(json.dumps({"worst": worst}))`)) as { worst: number };
    expect(check.worst).toBeLessThan(1e-9);
    expect(existsSync(join(result.out!, "boxplots.svg"))).toBe(true);
  }, 120_000);

  test("ANOVA F and mutual information of each aggregate are scikit-learn's", async () => {
    const result = await correlation(run, { registry, ...quiet });
    // The same aggregates, as distributions writes them.
    await distributions(run, { registry, out: join(dir, "aggregates"), ...quiet });
    const aggregatesFile = join(dir, "aggregates", "aggregates.csv");
    const associationFile = join(result.out!, "association.csv");
    const check = JSON.parse(python(`
import csv, json, numpy as np
from sklearn.feature_selection import f_classif, mutual_info_classif
rows = list(csv.DictReader(open(${JSON.stringify(aggregatesFile)})))
names = [c for c in rows[0].keys() if c not in ("track", "label")]
X = np.array([[float(r[c]) for c in names] for r in rows]); y = np.array([r["label"] for r in rows])
f, p = f_classif(X, y)
# Columns the jitter (1e-10 of the mean magnitude, after scaling to unit variance) cannot reorder:
# no ties, a spread neither tiny beside the magnitude nor near zero (those are left unscaled).
unique = [j for j in range(X.shape[1]) if len(set(X[:, j])) == X.shape[0] and 1e-12 < X[:, j].std() and np.abs(X[:, j]).mean() < 1e4 * X[:, j].std()]
mi = mutual_info_classif(X[:, unique], y, random_state=0)
ref = {names[j]: (f[j], p[j]) for j in range(len(names))}
mis = {names[j]: m for j, m in zip(unique, mi)}
worst_f = worst_mi = 0; compared = 0
for r in csv.DictReader(open(${JSON.stringify(associationFile)})):
    fr, pr = ref[r["feature"]]
    if np.isfinite(fr):
        worst_f = max(worst_f, abs(float(r["f"]) - fr) / max(1e-300, abs(fr)), abs(float(r["p_value"]) - pr) / max(1e-300, abs(pr)))
    if r["feature"] in mis:
        worst_mi = max(worst_mi, abs(float(r["mutual_info"]) - mis[r["feature"]])); compared += 1
print(json.dumps({"worst_f": worst_f, "worst_mi": worst_mi, "compared": compared, "n": len(names)}))`)) as { worst_f: number; worst_mi: number; compared: number; n: number };
    // CSV numbers carry 17 significant digits; the p-values of the largest F are tiny and still relative.
    expect(check.worst_f).toBeLessThan(1e-7);
    expect(check.compared).toBeGreaterThan(check.n / 2);
    expect(check.worst_mi).toBeLessThan(1e-6);
    const top = result.main.objects()[0] as { feature: string; rank_f: number };
    expect(top.rank_f).toBe(1);
    for (const f of ["association.svg", "profiles.svg", "correlation.svg", "profiles.csv"]) expect(existsSync(join(result.out!, f))).toBe(true);
  }, 120_000);
});

describe("embedding and neighbours", () => {
  test("PCA, t-SNE and UMAP of the model's penultimate vectors, 2-D and 3-D; the same seed, the same points", async () => {
    const a = await embedding(run, { registry, out: join(dir, "emb-a"), ...quiet });
    const b = await embedding(run, { registry, out: join(dir, "emb-b"), ...quiet });
    const summary = a.main.objects() as { method: string; dims: number; trustworthiness: number; explained_variance: number }[];
    expect(summary.map((s) => `${s.method}${s.dims}`)).toEqual(["pca2", "pca3", "tsne2", "tsne3", "umap2", "umap3"]);
    for (const s of summary) expect(s.trustworthiness).toBeGreaterThan(0.5);
    expect(summary[1].explained_variance).toBeGreaterThan(summary[0].explained_variance);
    expect(readFileSync(join(dir, "emb-a", "points.csv"), "utf8")).toBe(readFileSync(join(dir, "emb-b", "points.csv"), "utf8"));
    expect(Object.keys(a.charts).sort()).toEqual(["pca-2d", "pca-3d", "tsne-2d", "tsne-3d", "umap-2d", "umap-3d", "variance"]);
    expect(a.notes.join(" ")).toContain("vectors: penultimate of the test split");
    expect(b.notes.join(" ")).toContain("UMAP (umap-js) starts from a random layout");
  }, 120_000);

  test("the penultimate vectors are what the model's softmax turns into its probabilities", async () => {
    const result = await embedding(run, { registry, methods: ["pca"], dims: [2], level: "segment", out: false, ...quiet });
    expect(result.tables.points.numRows()).toBeGreaterThan(0);
    const loaded = await run.model();
    const row = ds.split("test")[0];
    const spec = run.config.features!;
    const examples = await trackExamples(await loadAudio(join(ds.root, row.path), { sr: spec.sr }), row.id, spec, registry.feature(spec.plugin));
    const { exampleVectors } = await import("../../core/analysis/data.ts");
    const h = await exampleVectors(run, loaded, examples.x, "penultimate");
    const network = (loaded.model as { network: { getLayer(n: string): { getWeights(): { dataSync(): Float32Array }[] } } }).network;
    const [kernel, bias] = network.getLayer("probabilities").getWeights().map((w) => w.dataSync());
    const probs = await loaded.plugin.predict(loaded.model, examples.x);
    const k = run.labels.length;
    for (let i = 0; i < examples.x.shape[0]; i++) {
      const logits = Array.from({ length: k }, (_, c) => {
        let z = bias[c];
        for (let j = 0; j < h.dims; j++) z += h.data[i * h.dims + j] * kernel[j * k + c];
        return z;
      });
      const top = Math.max(...logits);
      const exp = logits.map((z) => Math.exp(z - top));
      const sum = exp.reduce((a, b) => a + b, 0);
      exp.forEach((e, c) => expect(Math.abs(e / sum - probs.data[i * k + c])).toBeLessThan(1e-5));
    }
  }, 60_000);

  test("neighbours: a centroid per class, each class's nearest others, and an expression's answer", async () => {
    const result = await neighbours(run, { registry, source: "features", top: 2, expr: "son_clave - rumba_clave + dance_beat", ...quiet });
    expect(Object.keys(result.tables)).toEqual(["expression", "nearest", "distances", "centroids"]);
    const nearest = result.tables.nearest.objects() as { label: string; rank: number; distance: number }[];
    expect(nearest.length).toBe(6);
    for (const label of run.labels) {
      const mine = nearest.filter((r) => r.label === label);
      expect(mine.map((r) => r.rank)).toEqual([1, 2]);
      expect(mine[0].distance).toBeLessThanOrEqual(mine[1].distance);
    }
    const centroids = result.tables.centroids.objects() as { label: string; n: number }[];
    expect(centroids.reduce((s, c) => s + c.n, 0)).toBe(ds.rows.length);
    expect((result.main.objects() as { rank: number }[]).map((r) => r.rank)).toEqual([1, 2, 3]);
    expect(existsSync(join(result.out!, "distances.svg"))).toBe(true);
  }, 60_000);
});

describe("errors and segments", () => {
  test("the confused pairs and misclassified tracks add up to the run's own track-level confusion", async () => {
    const result = await errors(run, { registry, ...quiet });
    const confusion = run.evaluation.track!.confusion;
    const pairs = result.main.objects() as { true: string; predicted: string; count: number; share: number }[];
    const off = confusion.flatMap((row, i) => row.map((c, j) => (i !== j ? c : 0))).reduce((a, b) => a + b, 0);
    expect(pairs.reduce((s, p) => s + p.count, 0)).toBe(off);
    for (const p of pairs) expect(p.count).toBe(confusion[run.labels.indexOf(p.true)][run.labels.indexOf(p.predicted)]);
    const wrong = result.tables.misclassified.objects() as { label: string; predicted: string; p_predicted: number; p_second: number; p_true: number }[];
    expect(wrong.length).toBe(off);
    for (const w of wrong) {
      expect(w.predicted).not.toBe(w.label);
      expect(w.p_predicted).toBeGreaterThanOrEqual(w.p_second);
      expect(w.p_true).toBeLessThanOrEqual(w.p_second);
    }
    for (let i = 1; i < wrong.length; i++) expect(wrong[i].p_predicted).toBeLessThanOrEqual(wrong[i - 1].p_predicted);
    expect(existsSync(join(result.out!, "confusion.svg"))).toBe(true);
  }, 60_000);

  test("segments: each clip is the chosen window of its track's audio, named by index", async () => {
    const result = await segments(run, { registry, window: 2, hop: 0.5, per_class: 2, min_confidence: 0.4, ...quiet });
    const rows = result.main.objects() as { clip: number; file: string; track: string; label: string; confidence: number; start_s: number; end_s: number; by: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(6);
    rows.forEach((r, i) => {
      expect(r.clip).toBe(i);
      expect(r.file).toBe(`clips/clip-${String(i).padStart(3, "0")}.wav`);
      expect(r.by).toBe("confidence");
      expect(r.end_s - r.start_s).toBeCloseTo(2, 9);
      expect(r.confidence).toBeGreaterThanOrEqual(0.4);
    });
    const first = rows[0];
    const clip = await loadAudio(join(result.out!, first.file), { sr: 22050 });
    const track = ds.rows.find((r) => r.id === first.track)!;
    const audio = await loadAudio(join(ds.root, track.path), { sr: 22050 });
    const start = Math.round(first.start_s * 22050);
    expect(clip.y.length).toBe(2 * 22050);
    let worst = 0;
    for (let i = 0; i < clip.y.length; i++) worst = Math.max(worst, Math.abs(clip.y[i] - audio.y[start + i]));
    expect(worst).toBeLessThan(1.5 / 32767);
    expect(existsSync(join(result.out!, "windows.svg"))).toBe(true);
    // Fewer clips the next time: the extra ones of the first time are removed.
    const again = await segments(run, { registry, window: 2, per_class: 1, min_confidence: 0.4, ...quiet });
    const kept = (again.main.objects() as { file: string }[]).map((r) => r.file.slice("clips/".length));
    expect(readdirSync(join(again.out!, "clips")).sort()).toEqual(kept.sort());
  }, 120_000);
});

describe("clave analyze", () => {
  test("prints the main table and writes into the run's analysis folder; --json gives every table", async () => {
    const printed = runClave(["analyze", run.id, "errors", "--runs", runsDir]);
    expect(printed.stderr).toBe("");
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`errors of run ${run.id}: pairs`);
    expect(printed.stdout).toContain(`files written to ${join(run.dir, "analysis", "errors")}`);
    const json = runClave(["analyze", run.dir, "neighbours", "--json", "--param", "source=features", "--expr", "son_clave-dance_beat", "--out", join(dir, "nb")]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { analysis: string; run: string; params: { expr: string }; tables: Record<string, unknown[]>; files: string[] };
    expect(parsed).toMatchObject({ analysis: "neighbours", run: run.id, params: { expr: "son_clave-dance_beat" } });
    expect(Object.keys(parsed.tables)).toEqual(["expression", "nearest", "distances", "centroids"]);
    expect(parsed.files).toContain(join(dir, "nb", "expression.csv"));
    const same = await openRun(run.id, { runs: runsDir });
    expect(same.id).toBe(run.id);
  }, 120_000);

  test("ablation's other params override the model's; bad names and params are usage errors (exit 2)", () => {
    const ok = runClave(["analyze", run.id, "ablation", "--runs", runsDir, "--param", "seeds=1", "--param", "groups=chroma_stft", "--param", "epochs=2", "--out", join(dir, "abl")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("without chroma_stft");
    expect(ok.stdout).toContain("epochs=2");
    const unknown = runClave(["analyze", run.id, "nothing", "--runs", runsDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("expected one of ablation, distributions, correlation, embedding, neighbours, attention, segments, errors");
    const badParam = runClave(["analyze", run.id, "embedding", "--runs", runsDir, "--param", "bogus=1"]);
    expect(badParam.code).toBe(2);
    expect(badParam.stderr).toContain('unknown parameter "bogus"');
    const badModel = runClave(["analyze", run.id, "ablation", "--runs", runsDir, "--param", "bogus=1"]);
    expect(badModel.code).toBe(2);
    expect(badModel.stderr).toContain('"bogus"');
    const noAttention = runClave(["analyze", run.id, "attention", "--runs", runsDir]);
    expect(noAttention.code).toBe(1);
    expect(noAttention.stderr).toContain("a mlp model has no attention weights");
  }, 240_000);

  test("analyze by name from code equals the named call", async () => {
    const byName = await analyze(run, "errors", { registry, out: false, ...quiet });
    const direct = await errors(run, { registry, out: false, ...quiet });
    expect(byName.main.objects()).toEqual(direct.main.objects());
    await expect(analyze(run, "nothing", { registry })).rejects.toThrow(/expected one of/);
  }, 60_000);
});
