/**
 * A study report in one file: `report(run)` (or a folder of runs) writes a self-contained HTML page —
 * inline SVG figures, no scripts, nothing fetched — with the dataset's balance and splits, views of
 * the audio features, the training curves, metrics per level and per class, the confusion matrices,
 * the analyses of the run (those written under its `analysis/` folder, and by default the errors, a
 * PCA of its vectors and, for attention models, the attention, computed when missing), and for
 * several runs a comparison table.
 *
 *     const { file } = await report("20250101-120000-lstm-3fa9c1");   // runs/<id>/report.html
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import * as aq from "arquero";
import { analyze, type AnalysisName } from "../analysis/index.ts";
import type { Chart } from "../charts/chart.ts";
import { classBalanceChart } from "../charts/class-balance.ts";
import { classScoresChart } from "../charts/class-scores.ts";
import { confusionChart } from "../charts/confusion.ts";
import { trainingCurvesChart } from "../charts/training.ts";
import { dataset as openDataset, type Dataset } from "../dataset/open.ts";
import { ClaveError, RunError } from "../errors.ts";
import { writeFileAtomic } from "../fsutil.ts";
import { plot } from "../plot.ts";
import type { Registry } from "../registry.ts";
import { openRun, type Run } from "../run/recorded-run.ts";
import { runsTable } from "../run/runs.ts";
import { scanRuns } from "../run/run.ts";
import { escapeHtml, htmlDocument, htmlFigure, htmlSection, htmlTable } from "./html.ts";

export interface ReportOptions {
  /** The HTML file (default: `report.html` in the run's folder, or in the folder of runs). */
  readonly out?: string;
  /** Folder of the runs, for a run given by id (default `runs`). */
  readonly runs?: string;
  /**
   * Analyses computed for the report when the run has none of that name yet (default: errors, a PCA
   * embedding, and attention for models that have it); false: only those already written.
   */
  readonly analyses?: readonly AnalysisName[] | false;
  readonly registry?: Registry;
}

/** What a report computes by default: cheap, and meaningful for any classifier. */
export const REPORT_ANALYSES: readonly AnalysisName[] = ["errors", "embedding", "attention"];
const REPORT_ANALYSIS_PARAMS: Partial<Record<AnalysisName, Record<string, unknown>>> = {
  embedding: { methods: ["pca"], dims: [2], split: "all" },
};

export interface ReportResult {
  readonly file: string;
  /** The ids of the report's sections, in order. */
  readonly sections: readonly string[];
  /** Parts left out, and why (a dataset no longer where the run recorded it...). */
  readonly notes: readonly string[];
}

const PERCENT = ["accuracy", "macro_f1", "weighted_f1", "macro_precision", "macro_recall", "precision", "recall", "f1", "seg_acc", "seg_f1", "track_acc", "track_f1"];
const FORMAT = { percent: PERCENT, decimals: { loss: 4, test_loss: 4, time_s: 1 } };

interface Section {
  id: string;
  title: string;
  html: string;
}

async function figure(chart: Promise<Chart> | Chart, caption: string): Promise<string> {
  return htmlFigure(await chart, caption);
}

/** The dataset a run was trained on, if it is still where the run recorded it. */
async function runDataset(run: Run, notes: string[]): Promise<Dataset | undefined> {
  if (!run.dataset) return undefined;
  if (!existsSync(run.dataset.manifest)) {
    notes.push(`the dataset ${run.dataset.manifest} is no longer there: its balance and feature views are left out`);
    return undefined;
  }
  return openDataset(run.dataset.manifest, { onWarning: () => {} });
}

async function datasetSection(run: Run, ds: Dataset): Promise<Section> {
  const splits = run.dataset!.splits;
  const parts = [
    `<p>${escapeHtml(ds.file)}: ${ds.rows.length} tracks, ${ds.labels.length} labels. This run trained on ${splits.train.length} tracks, stopped early on ${splits.validation.length} and was scored on ${splits.test.length} held-out tracks.</p>`,
    await figure(classBalanceChart(ds.rows), "Tracks per label and split."),
    htmlTable(ds.stats(), { decimals: { share: 3, min_s: 2, mean_s: 2, max_s: 2, total_h: 3 } }),
  ];
  return { id: "dataset", title: "Dataset", html: htmlSection("dataset", "Dataset", parts) };
}

async function featuresSection(run: Run, ds: Dataset, registry: Registry | undefined, notes: string[]): Promise<Section | undefined> {
  const test = new Set(run.dataset?.splits.test ?? []);
  const row = ds.rows.find((r) => test.has(r.id)) ?? ds.rows[0];
  if (!row) return undefined;
  const file = join(ds.root, row.path);
  const spec = run.config.features;
  const parts = [`<p>A test track, <code>${escapeHtml(row.id)}</code> (${escapeHtml(row.label)}), as the model's features see it${spec ? ` (${escapeHtml(spec.name)}, ${spec.segment_s === null ? "whole tracks" : `${spec.segment_s} s segments`})` : ""}.</p>`];
  try {
    const common = registry ? { registry } : {};
    parts.push(await figure(plot.spectrogram(file, { ...common, title: `mel spectrogram: ${row.id}` }), "Mel spectrogram (dB)."));
    parts.push(await figure(plot.spectrogram(file, { ...common, feature: "chroma_stft", title: `chroma: ${row.id}` }), "Chromagram."));
    parts.push(await figure(plot.spectrogram(file, { ...common, feature: "tempogram", title: `tempogram: ${row.id}` }), "Autocorrelation tempogram."));
  } catch (error) {
    notes.push(`feature views of ${file}: ${(error as Error).message}`);
    return undefined;
  }
  return { id: "features", title: "Features", html: htmlSection("features", "Features", parts) };
}

async function trainingSection(run: Run): Promise<Section> {
  const monitor = typeof run.config.params.monitor === "string" ? run.config.params.monitor : undefined;
  const parts = [
    `<p>${run.record.epochs} epochs in ${run.record.duration_s.toFixed(1)} s on ${escapeHtml(run.record.backend)}; seed ${run.config.seed}.</p>`,
    await figure(trainingCurvesChart(run.history, { title: run.id, ...(monitor ? { monitor } : {}) }), "Loss and metrics per epoch, train and validation; the dashed line marks the epoch whose weights were kept."),
  ];
  return { id: "training", title: "Training", html: htmlSection("training", "Training", parts) };
}

async function metricsSection(run: Run): Promise<Section> {
  const parts = [htmlTable(run.metrics(), FORMAT)];
  for (const level of ["track", "segment"] as const) {
    const m = run.evaluation[level];
    if (!m) continue;
    parts.push(`<h3>Per class, ${level} level</h3>`, htmlTable(run.perClass(level), FORMAT));
    parts.push(await figure(classScoresChart(m.perClass, run.labels, { title: `${level} level` }), `Precision, recall and F1 per class (${level} level).`));
  }
  return { id: "metrics", title: "Metrics", html: htmlSection("metrics", "Metrics", parts) };
}

async function confusionSection(run: Run): Promise<Section> {
  const parts: string[] = [];
  for (const level of ["track", "segment"] as const) {
    const m = run.evaluation[level];
    if (!m) continue;
    parts.push(await figure(confusionChart(m.confusion, run.labels, { title: `${level} level, counts` }), `Confusion matrix, ${level} level: rows are the true labels.`));
    parts.push(await figure(confusionChart(m.confusion, run.labels, { title: `${level} level, row fractions`, normalize: true }), `The same, each row divided by its total (recall on the diagonal).`));
  }
  return { id: "confusion", title: "Confusion", html: htmlSection("confusion", "Confusion", parts) };
}

/** The figures (SVG) and tables (CSV) that analyses wrote under `<run>/analysis/<what>/`. */
async function analysesSection(run: Run): Promise<Section | undefined> {
  const root = join(run.dir, "analysis");
  if (!existsSync(root)) return undefined;
  const parts: string[] = [];
  for (const what of (await readdir(root)).sort()) {
    const dir = join(root, what);
    if (!(await stat(dir)).isDirectory()) continue;
    const files = (await readdir(dir)).sort();
    const items: string[] = [];
    for (const name of files) {
      const path = join(dir, name);
      if (name.endsWith(".svg")) {
        // As an image, not inline: a file on disk is shown, never run.
        const data = Buffer.from(await readFile(path)).toString("base64");
        items.push(`<figure><img alt="${escapeHtml(name)}" src="data:image/svg+xml;base64,${data}"><figcaption>${escapeHtml(name)}</figcaption></figure>`);
      } else if (name.endsWith(".csv")) {
        const table = aq.fromCSV(await readFile(path, "utf8"));
        // A long table (an embedding's coordinates) is a file to open, not a page to read: its head only.
        const rows = table.numRows() > 30 ? 10 : 30;
        items.push(`<p>${escapeHtml(name)}${table.numRows() > rows ? ` (first ${rows} of ${table.numRows()} rows, all in ${escapeHtml(join("analysis", what, name))})` : ""}</p>`, htmlTable(table.slice(0, rows)));
      }
    }
    if (items.length > 0) parts.push(`<h3>${escapeHtml(what)}</h3>`, ...items);
  }
  if (parts.length === 0) return undefined;
  return { id: "analyses", title: "Analyses", html: htmlSection("analyses", "Analyses", parts) };
}

function overviewSection(run: Run): Section {
  const r = run.record;
  const table = aq.table({
    field: ["run", "model", "features", "labels", "dataset", "backend", "created", "params"],
    value: [
      r.id,
      r.model,
      r.features ?? "(arrays)",
      run.labels.join(", "),
      run.dataset?.manifest ?? "(arrays)",
      r.backend,
      r.created,
      JSON.stringify(run.config.params),
    ],
  });
  return { id: "overview", title: "Overview", html: htmlSection("overview", "Overview", [htmlTable(table)]) };
}

/** Compute the analyses a report shows that the run does not have yet (each failure is a note, not an error). */
async function computeAnalyses(run: Run, names: readonly AnalysisName[], registry: Registry | undefined, notes: string[]): Promise<void> {
  if (!run.dataset || !existsSync(run.dataset.manifest)) return;
  for (const name of names) {
    if (existsSync(join(run.dir, "analysis", name))) continue;
    try {
      await analyze(run, name, { progress: false, onWarning: (w) => notes.push(`${name}: ${w}`), ...(registry ? { registry } : {}), ...(REPORT_ANALYSIS_PARAMS[name] ?? {}) });
    } catch (error) {
      // Attention is only for models that have it; anything else that fails is said.
      if (name === "attention" && /has no attention weights/.test((error as Error).message)) continue;
      notes.push(`the ${name} analysis: ${(error as Error).message}`);
    }
  }
}

async function runSections(run: Run, registry: Registry | undefined, notes: string[], compute: readonly AnalysisName[] | false): Promise<Section[]> {
  if (compute !== false) await computeAnalyses(run, compute, registry, notes);
  const sections: Section[] = [overviewSection(run)];
  const ds = await runDataset(run, notes);
  if (ds) {
    sections.push(await datasetSection(run, ds));
    const features = await featuresSection(run, ds, registry, notes);
    if (features) sections.push(features);
  }
  sections.push(await trainingSection(run), await metricsSection(run), await confusionSection(run));
  const analyses = await analysesSection(run);
  if (analyses) sections.push(analyses);
  return sections;
}

function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, "run.json"));
}

/**
 * Write the report of a run (id, folder or `Run`) or of a folder of runs (a sweep's, or `runs/`).
 * @example const { file } = await report(run); // then open file in a browser
 */
export async function report(target: string | Run, options: ReportOptions = {}): Promise<ReportResult> {
  const notes: string[] = [];
  const runsDir = options.runs ?? "runs";
  const folder = typeof target === "string" && existsSync(resolve(target)) && !isRunFolder(resolve(target)) ? resolve(target) : undefined;
  let title: string;
  let meta: string;
  let sections: Section[];
  let out: string;
  if (folder) {
    const listing = await scanRuns(folder);
    if (listing.runs.length === 0) throw new ClaveError(`${folder}: no runs in this folder`);
    const ranked = [...listing.runs].sort((a, b) => (b.track?.macro_f1 ?? b.segment.macro_f1) - (a.track?.macro_f1 ?? a.segment.macro_f1));
    const table = runsTable(ranked);
    sections = [{ id: "comparison", title: "Comparison", html: htmlSection("comparison", "Comparison", [`<p>${ranked.length} runs, best macro F1 first.</p>`, htmlTable(table, FORMAT)]) }];
    for (const d of listing.damaged) notes.push(`${d.dir}: ${d.reason}`);
    const best = await openRun(join(folder, ranked[0].id), options.registry ? { registry: options.registry } : {});
    const detail = await runSections(best, options.registry, notes, options.analyses ?? REPORT_ANALYSES);
    sections.push(...detail.map((s) => ({ ...s, title: `Best run: ${s.title}` })));
    title = `clave report: ${ranked.length} runs`;
    meta = `${folder} — the best run, ${best.id}, in detail`;
    out = resolve(options.out ?? join(folder, "report.html"));
  } else {
    const run = await openRun(target, { runs: runsDir, ...(options.registry ? { registry: options.registry } : {}) });
    sections = await runSections(run, options.registry, notes, options.analyses ?? REPORT_ANALYSES);
    title = `clave report: ${run.id}`;
    meta = `${run.config.model} on ${run.config.features?.name ?? "arrays"}, ${run.labels.length} labels — ${run.record.created}`;
    out = resolve(options.out ?? join(run.dir, "report.html"));
  }
  if (notes.length > 0) sections.push({ id: "notes", title: "Notes", html: htmlSection("notes", "Notes", [`<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`]) });
  try {
    await writeFileAtomic(out, htmlDocument(title, meta, sections));
  } catch (error) {
    if (error instanceof ClaveError) throw error;
    throw new RunError(out, `cannot write the report: ${(error as Error).message}`);
  }
  return { file: out, sections: sections.map((s) => s.id), notes };
}
