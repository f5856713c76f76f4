/**
 * The recorded runs of a folder side by side, as a table: what `clave runs` prints and `runs()`
 * returns, with the damaged folders (a file missing, a summary that is not one) beside it.
 */
import * as aq from "arquero";
import { scanRuns, type DamagedRun, type RunSummary } from "./run.ts";

export interface RunsTable {
  /** One row per whole run, oldest first: id, model, features, data hash, backend, epochs, metrics, time. */
  readonly table: aq.ColumnTable;
  readonly runs: readonly RunSummary[];
  readonly damaged: readonly DamagedRun[];
}

/** The columns of the runs table, from the runs' summaries (metrics as fractions, not percentages). */
export function runsTable(runs: readonly RunSummary[]): aq.ColumnTable {
  const column = <T>(f: (r: RunSummary) => T) => runs.map(f);
  return aq.table({
    id: column((r) => r.id),
    created: column((r) => r.created),
    model: column((r) => r.model),
    features: column((r) => r.features),
    data: column((r) => r.dataset_sha256?.slice(0, 8) ?? null),
    backend: column((r) => r.backend),
    epochs: column((r) => r.epochs),
    seg_acc: column((r) => r.segment.accuracy),
    seg_f1: column((r) => r.segment.macro_f1),
    track_acc: column((r) => r.track?.accuracy ?? null),
    track_f1: column((r) => r.track?.macro_f1 ?? null),
    test_loss: column((r) => r.segment.loss),
    time_s: column((r) => r.duration_s),
  });
}

/**
 * The runs under `dir` (default `runs`), as a table, with the damaged folders listed apart.
 * @example (await runs()).table.orderby(aq.desc("track_f1"))
 */
export async function runs(options: { dir?: string; model?: string } = {}): Promise<RunsTable> {
  const listing = await scanRuns(options.dir ?? "runs");
  const list = options.model ? listing.runs.filter((r) => r.model === options.model) : listing.runs;
  return { table: runsTable(list), runs: list, damaged: listing.damaged };
}
