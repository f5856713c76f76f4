/**
 * `clave run`: the main job, a whole study in one command — a dataset (by default the embedded
 * synthetic one, rendered on first use), its features, a model trained on the training split and
 * evaluated on the held-out tracks, recorded as a run that `clave runs` lists.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { buildManifest } from "../core/dataset/build.ts";
import { readManifest } from "../core/dataset/manifest.ts";
import { resolveParams } from "../core/params.ts";
import { cliRegistry, collect } from "./context.ts";
import { formatStats } from "./dataset.ts";
import { printable } from "./table.ts";
import { train } from "./train.ts";

/** Where the embedded default dataset is rendered. */
export const DEFAULT_DATASET = join("data", "synthetic", "manifest.csv");

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

function step(n: number, text: string): void {
  process.stdout.write(`\n== ${n}/2 ${text}\n`);
}

async function run(o: RunFlags): Promise<void> {
  const manifestFile = resolve(o.dataset ?? DEFAULT_DATASET);
  // Refuse an unknown model before rendering or reading any audio.
  (await cliRegistry()).model(o.model);
  step(1, `dataset ${printable(manifestFile)}`);
  if (o.dataset === undefined && !existsSync(manifestFile)) {
    // The embedded default: synthetic son clave / rumba clave / linear dance-beat clips, from a seed.
    const source = (await cliRegistry()).source("synthetic");
    const params = resolveParams(source, { per_class: Number(o.perClass), seconds: Number(o.seconds), seed: Number(o.seed) });
    process.stdout.write(`rendering the synthetic dataset (${o.perClass} clips per style, ${o.seconds} s each, seed ${o.seed})\n`);
    await buildManifest(source, params as Record<string, unknown>, { out: manifestFile, split: "auto", seed: Number(o.seed) });
  }
  process.stdout.write(`${formatStats(await readManifest(manifestFile))}\n`);

  step(2, `features ${o.features} → model ${o.model} trained on the train split → evaluated on the held-out test tracks`);
  await train({
    model: o.model,
    features: o.features,
    dataset: manifestFile,
    param: o.param,
    epochs: o.epochs,
    seed: o.seed,
    runs: o.runs,
    freeze: true,
    ...(o.json ? { json: true } : {}),
  });
  if (!o.json) process.stdout.write(`\nnext: clave runs · clave evaluate <run> · clave predict <run> <audio...>\n`);
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
