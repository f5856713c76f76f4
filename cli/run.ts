/**
 * `clave run`: the main job, a whole study in one command — a dataset (by default the embedded
 * synthetic one, rendered on first use), its features, a model trained on the training split and
 * evaluated on the held-out tracks, recorded as a run that `clave runs` lists.
 */
import type { Command } from "commander";
import { UsageError } from "../core/errors.ts";
import { resolveFeatureSpec } from "../core/run/features.ts";
import { report } from "../core/report/report.ts";
import { DEFAULT_DATASET, study } from "../core/run/study.ts";
import { cliRegistry, collect } from "./context.ts";
import { formatStats } from "./dataset.ts";
import { printable } from "./table.ts";
import { printEvaluation, splitParams } from "./train.ts";

interface RunFlags {
  dataset?: string;
  model: string;
  features: string;
  epochs: string;
  seed: string;
  perClass: string;
  seconds: string;
  param: string[];
  runs: string;
  json?: boolean;
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${value}: expected an integer >= ${min}`);
  return n;
}

async function run(o: RunFlags): Promise<void> {
  const registry = await cliRegistry();
  const model = registry.model(o.model);
  const preliminary = resolveFeatureSpec(registry, o.features, {}, {});
  const { modelParams, featureParams } = splitParams(o.param, model.name, [...new Set([o.features, preliminary.plugin])]);
  const seconds = Number(o.seconds);
  if (!(seconds > 0)) throw new UsageError(`--seconds ${o.seconds}: expected a positive number of seconds`);
  const { run: result } = await study({
    registry,
    model: model.name,
    features: o.features,
    params: modelParams,
    featureParams,
    epochs: count("--epochs", o.epochs, 1),
    seed: count("--seed", o.seed, 0),
    perClass: count("--per-class", o.perClass, 1),
    seconds,
    runs: o.runs,
    ...(o.dataset !== undefined ? { dataset: o.dataset } : {}),
    onStep: (n, text, ds) => {
      if (ds) process.stdout.write(`${formatStats(ds.manifest)}\n`);
      process.stdout.write(`\n== ${n}/2 ${printable(text)}\n`);
    },
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ id: result.id, dir: result.dir, summary: result.record }, null, 2)}\n`);
    return;
  }
  printEvaluation(result.evaluation);
  process.stdout.write(`\nrun ${printable(result.id)}: ${result.record.epochs} epochs in ${result.record.duration_s.toFixed(1)} s on ${result.record.backend}; written to ${printable(result.dir)}\n`);
  const written = await report(result, { registry });
  process.stdout.write(`\nreport: ${printable(written.file)}\n`);
  process.stdout.write(`next: open the report · clave runs · clave evaluate <run> · clave predict <run> <audio...>\n`);
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("the main job: dataset → features → train → evaluate, recorded as a run (default: the synthetic dataset)")
    .option("--dataset <manifest>", `dataset manifest CSV (default ${DEFAULT_DATASET}, rendered on first use from the synthetic source)`)
    .option("--model <name>", "model plugin (clave plugins --kind model)", "lstm")
    .option("--features <name>", "feature preset or plugin", "stack417")
    .option("--epochs <n>", "training epochs", "20")
    .option("--seed <n>", "seed of the synthetic audio, the split, the weights and the shuffling", "0")
    .option("--per-class <n>", "synthetic dataset: clips per style", "30")
    .option("--seconds <s>", "synthetic dataset: seconds per clip", "6")
    .option("--param <key=value>", "a model param or feature.key=value (repeatable), as for clave train", collect, [])
    .option("--runs <dir>", "folder of the runs", "runs")
    .option("--json", "print the run summary as JSON")
    .addHelpText(
      "after",
      `
Without options it renders clave's synthetic dataset (son clave, rumba clave and a linear dance beat,
with tempo, key and instruments drawn from the seed) into ${DEFAULT_DATASET}, extracts the 417-dim
stack (MFCC 13 + chroma 12 + contrast 7 + onset 1 + tempogram 384) per 3 s segment, trains the LSTM of
the studies and evaluates it on held-out tracks. Examples:
  clave run
  clave run --model crnn --features melspectrogram --epochs 10
  clave run --dataset data/gtzan/manifest.csv --model bilstm_attention`,
    )
    .action(run);
}
