/**
 * `clave multimodal`: several feature tables of the same tracks joined by their key; each model
 * cross-validated on each table's features alone and on all of them together, on the same folds.
 */
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { parseParamAssignments } from "../core/params.ts";
import { progress } from "../core/progress.ts";
import { multimodal as runMultimodal } from "../core/run/multimodal.ts";
import { cliRegistry, collect } from "./context.ts";
import { meanStdCell } from "./cv.ts";
import { formatTable, printable } from "./table.ts";
import { addTableFlags, tableOptions, type TableFlags } from "./table-flags.ts";

interface MultimodalFlags extends TableFlags {
  model: string;
  folds: string;
  repeats: string;
  seed?: string;
  param: string[];
  runs: string;
  json?: boolean;
}

function integer(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${value}: expected an integer >= ${min}`);
  return n;
}

async function multimodal(o: MultimodalFlags): Promise<void> {
  if (o.table.length < 2) throw new UsageError("give two --table or more (joined on --join, default id)");
  const models = o.model.split(",").map((m) => m.trim()).filter((m) => m !== "");
  const registry = await cliRegistry();
  for (const m of models) registry.model(m);
  const folds = integer("--folds", o.folds, 2);
  const repeats = integer("--repeats", o.repeats, 1);
  const seed = o.seed === undefined ? undefined : integer("--seed", o.seed, 0);
  const bar = progress(folds * repeats * models.length * (o.table.length + 1), "multimodal");
  const report = await runMultimodal({
    registry,
    model: models,
    modelParams: parseParamAssignments(o.param, models.length === 1 ? models[0] : undefined),
    table: o.table,
    ...tableOptions(o),
    folds,
    repeats,
    runs: o.runs,
    ...(seed !== undefined ? { seed } : {}),
    onFold: (fold, model) => bar.tick(1, `${model} ${fold.repeat + 1}/${fold.fold + 1}`),
  });
  bar.stop();
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report.results.map((r) => ({ modality: r.modality, columns: r.columns, ...r.result })), null, 2)}\n`);
    return;
  }
  const rows = report.results.map((r) => ({
    model: r.result.model,
    modality: r.modality,
    columns: r.columns,
    accuracy: meanStdCell(r.result, "accuracy"),
    macro_f1: meanStdCell(r.result, "macro_f1"),
    cv: r.result.id,
  }));
  const first = report.results[0].result;
  process.stdout.write(`${first.k}-fold cross-validation${first.repeats > 1 ? `, ${first.repeats} repeats` : ""}, grouped by ${printable(first.group)}, the same folds for every row: mean ± std (%)\n\n${formatTable(rows)}\n`);
}

export function registerMultimodal(program: Command): void {
  const command = program
    .command("multimodal")
    .description("each model on each feature table alone and on the tables joined (same tracks, same folds): mean ± std per modality")
    .requiredOption("--model <names>", "model plugin(s), comma-separated")
    .option("--folds <k>", "folds", "5")
    .option("--repeats <n>", "repeats of the k folds", "1")
    .option("--seed <n>", "seed of the folds and the models (default 0)")
    .option("--param <key=value>", "a model param (model.key=value with several models; repeatable)", collect, [])
    .option("--runs <dir>", "folder the CV folders go in", "runs")
    .option("--json", "print every row's folds and summary as JSON")
    .addHelpText(
      "after",
      `
Tables are joined on --join (default id: clave's aggregates have it, FMA's CSVs get fma/<track id>).
--meta tables (FMA's tracks.csv, for the labels, split, artists) join without being a modality.
Example (FMA: clave's audio aggregates, the echonest features, labels and split from tracks.csv):
  clave multimodal --model svm,random_forest --table fma_small.aggregates.csv \\
      --table fma_metadata/echonest.csv --meta fma_metadata/tracks.csv \\
      --label track.genre_top --columns 'audio_features.*,mfcc*,chroma*,spectral*,rms*,rolloff*,zero*,tempo' \\
      --split-column none --group artist --folds 5`,
    );
  addTableFlags(command).action(multimodal);
}
