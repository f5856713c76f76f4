/**
 * `clave plot <kind> <run|audio|manifest|table> --out figure.svg|png`: one figure, as `plot.<kind>`
 * draws it from code.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { parseParamAssignments } from "../core/params.ts";
import { PLOT_KINDS, plot, type PlotKind } from "../core/plot.ts";
import type { Chart } from "../core/charts/chart.ts";
import { cliRegistry, collect } from "./context.ts";
import { printable } from "./table.ts";

interface PlotFlags {
  out: string;
  runs: string;
  level?: string;
  normalize?: boolean;
  feature?: string;
  param: string[];
  label?: string;
  columns?: string;
  scale?: string;
  title?: string;
}

const INPUT: Readonly<Record<PlotKind, string>> = {
  confusion: "run",
  history: "run",
  f1: "run",
  balance: "manifest",
  spectrogram: "audio file",
  waveform: "audio file",
  distribution: "feature table CSV",
  correlation: "feature table CSV",
};

function level(value: string | undefined): "segment" | "track" | undefined {
  if (value === undefined) return undefined;
  if (value !== "segment" && value !== "track") throw new UsageError(`--level ${value}: expected segment or track`);
  return value;
}

async function draw(kind: PlotKind, input: string, o: PlotFlags): Promise<Chart> {
  const common = { ...(o.title !== undefined ? { title: o.title } : {}) };
  const runOptions = { runs: o.runs, registry: await cliRegistry(), ...common, ...(level(o.level) ? { level: level(o.level) } : {}) };
  const table = { ...(o.label !== undefined ? { label: o.label } : {}), ...(o.columns !== undefined ? { featureColumns: o.columns.split(",").map((c) => c.trim()) } : {}), ...common };
  switch (kind) {
    case "confusion":
      return plot.confusion(input, { ...runOptions, ...(o.normalize ? { normalize: true } : {}) });
    case "history":
      return plot.history(input, runOptions);
    case "f1":
      return plot.f1(input, runOptions);
    case "balance":
      return plot.balance(input, { ...common, ...(o.normalize ? { normalize: true } : {}) });
    case "spectrogram": {
      const feature = o.feature ?? "melspectrogram";
      const params = parseParamAssignments(o.param, feature)[feature] ?? {};
      return plot.spectrogram(input, { feature, params, registry: await cliRegistry(), ...common });
    }
    case "waveform":
      return plot.waveform(input, common);
    case "distribution":
      return plot.distribution(input, table);
    case "correlation":
      return plot.correlation(input, table);
  }
}

export function registerPlot(program: Command): void {
  program
    .command("plot")
    .description("draw one figure to SVG or PNG: confusion, history, f1 (of a run), balance (of a dataset), spectrogram, waveform (of audio), distribution, correlation (of a feature table)")
    .argument("<kind>", PLOT_KINDS.join(", "))
    .argument("<input>", "a run (id or folder), a manifest, an audio file or a feature table CSV, as the kind needs")
    .requiredOption("--out <file>", "figure file: .svg or .png")
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--level <level>", "confusion, f1: segment or track (default: track when tracks were scored)")
    .option("--normalize", "confusion: row fractions; balance: each split's fractions")
    .option("--feature <name>", "spectrogram: melspectrogram (dB, default), chroma_stft, tempogram, mfcc, or another feature plugin")
    .option("--param <key=value>", "spectrogram: a param of the feature (repeatable)", collect, [])
    .option("--label <column>", "distribution, correlation: the label column (default label)")
    .option("--columns <a,b,...>", "distribution, correlation: the feature columns (default: every numeric one)")
    .option("--scale <n>", "PNG pixels per SVG unit (default 2)")
    .option("--title <text>", "the figure's title")
    .addHelpText(
      "after",
      `
What each kind reads:
${PLOT_KINDS.map((k) => `  ${k.padEnd(12)} a ${INPUT[k]}`).join("\n")}
Examples:
  clave plot confusion 20250101-120000-lstm-3fa9c1 --normalize --out confusion.png
  clave plot history runs/20250101-120000-lstm-3fa9c1 --out history.svg
  clave plot spectrogram song.mp3 --feature chroma_stft --out chroma.png
  clave plot distribution data/gtzan/features_30_sec.csv --columns tempo,rms_mean --out box.svg`,
    )
    .action(async (kind: string, input: string, o: PlotFlags) => {
      if (!(PLOT_KINDS as string[]).includes(kind)) throw new UsageError(`plot ${kind}: expected one of ${PLOT_KINDS.join(", ")}`);
      const out = resolve(o.out);
      if (!/\.(svg|png)$/i.test(out)) throw new UsageError(`--out ${o.out}: the file name must end in .svg or .png`);
      let scale: number | undefined;
      if (o.scale !== undefined) {
        scale = Number(o.scale);
        if (!(scale > 0)) throw new UsageError(`--scale ${o.scale}: expected a positive number`);
      }
      const chart = await draw(kind as PlotKind, input, o);
      await chart.save(out, scale !== undefined ? { scale } : {});
      process.stdout.write(`${kind} -> ${printable(out)}\n`);
    });
}
