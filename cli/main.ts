/**
 * The `clave` command line. Each command group lives in its own file and registers itself here.
 * Exit codes: 0 success, 1 failure, 2 bad usage.
 */
import { Command, CommanderError } from "commander";
import { setBuiltinPlugins } from "../core/defaults.ts";
import { ClaveError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { collect, configureCli } from "./context.ts";
import { registerAnalyze } from "./analyze.ts";
import { registerAudio } from "./audio.ts";
import { registerCv } from "./cv.ts";
import { registerMultimodal } from "./multimodal.ts";
import { registerDataset } from "./dataset.ts";
import { registerDoctor } from "./doctor.ts";
import { registerFeatures } from "./features.ts";
import { registerPlot } from "./plot.ts";
import { registerReport } from "./report.ts";
import { registerPlugins } from "./plugins.ts";
import { registerRun } from "./run.ts";
import { registerSweep } from "./sweep.ts";
import { registerSpotify } from "./spotify.ts";
import { printable } from "./table.ts";
import { registerTrain } from "./train.ts";

export function buildProgram(): Command {
  const program = new Command("clave")
    .description("music genre and subgenre analysis: datasets, librosa-exact features, tfjs models, evaluation")
    .version("0.1.0")
    .option("--plugin <path|package>", "load plugins from a file or an installed package (repeatable)", collect, [])
    .option("--no-config", "do not read clave.config.{ts,mjs,js,json} from the working directory")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  program.hook("preAction", () => {
    const options = program.opts<{ plugin: string[]; config: boolean }>();
    configureCli({ plugins: options.plugin, config: options.config });
  });
  registerPlugins(program);
  registerDoctor(program);
  registerAudio(program);
  registerDataset(program);
  registerFeatures(program);
  registerTrain(program);
  registerCv(program);
  registerSweep(program);
  registerMultimodal(program);
  registerRun(program);
  registerPlot(program);
  registerSpotify(program);
  registerReport(program);
  registerAnalyze(program);
  return program;
}

/** Run the CLI on `argv` (without the runtime and script names); resolves to the exit code. */
export async function main(argv: readonly string[], options: { builtins: readonly Plugin[] }): Promise<number> {
  configureCli({ builtins: options.builtins });
  setBuiltinPlugins(options.builtins);
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof ClaveError) {
      process.stderr.write(`clave: ${printable(error.message)}\n`);
      if (process.env.CLAVE_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    process.stderr.write(`clave: ${error instanceof Error ? (process.env.CLAVE_DEBUG ? error.stack : printable(error.message)) : printable(String(error))}\n`);
    return 1;
  }
}
