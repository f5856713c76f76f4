/** `clave report <run | folder of runs> [--out report.html]`: the study report as one HTML file. */
import type { Command } from "commander";
import { report } from "../core/report/report.ts";
import { cliRegistry } from "./context.ts";
import { messageLine, printable } from "./table.ts";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write one self-contained HTML report (inline SVG figures, no network) of a run, or of a folder of runs (a sweep's, or runs/)")
    .argument("<target>", "a run (id or folder), or a folder holding runs")
    .option("--out <file>", "the HTML file (default: report.html in the run's folder or the folder of runs)")
    .option("--runs <dir>", "folder of the runs, for a run given by id", "runs")
    .option("--no-analyses", "show only the analyses already written (default: compute errors, a PCA embedding and attention when missing)")
    .addHelpText(
      "after",
      `
A run's report holds its dataset's balance and splits, views of a test track's features, the
training curves, metrics per level and per class, the confusion matrices and the analyses (those
written by clave analyze, and the errors, a PCA embedding and attention, computed when missing). For a folder of runs, a comparison table and the best run in detail. Examples:
  clave report 20250101-120000-lstm-3fa9c1
  clave report runs --out all-runs.html`,
    )
    .action(async (target: string, o: { out?: string; runs: string; analyses: boolean }) => {
      const result = await report(target, {
        runs: o.runs,
        registry: await cliRegistry(),
        ...(o.out !== undefined ? { out: o.out } : {}),
        ...(o.analyses ? {} : { analyses: false as const }),
      });
      for (const note of result.notes) process.stderr.write(messageLine(`note: ${note}`));
      process.stdout.write(`report -> ${printable(result.file)}\n`);
    });
}
