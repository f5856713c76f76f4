/**
 * The flags that describe a feature table (`--table`, `--label`, `--group`, `--split-column`, `--join`,
 * `--columns`, `--drop`, `--where`, `--ratios`), shared by `train`, `cv` and `multimodal`, and their
 * translation into core's `TableOptions`.
 */
import type { Command } from "commander";
import type { TableOptions } from "../core/dataset/table.ts";
import { UsageError } from "../core/errors.ts";
import { collect } from "./context.ts";

export interface TableFlags {
  table: string[];
  meta: string[];
  label?: string;
  group?: string;
  splitColumn?: string;
  join?: string;
  columns?: string;
  drop?: string;
  where: string[];
  ratios?: string;
}

/** Add the table flags to a command. */
export function addTableFlags(command: Command): Command {
  return command
    .option("--table <csv>", "a feature table (CSV: Kaggle's GTZAN features, FMA's features.csv/echonest.csv, clave's aggregates); repeat to join tables", collect, [])
    .option("--meta <csv>", "with --table: a table joined for labels, splits, groups, filters, never features (FMA's tracks.csv; repeatable)", collect, [])
    .option("--label <column>", "with --table: the label column (default label)")
    .option("--group <track|artist|none|column>", "with --table: rows kept on one side of a split or fold (default track: a track's segments together)")
    .option("--split-column <column|none>", "with --table: column holding train/validation/test, used as given (default split, when present)")
    .option("--join <column>", "with several --table: the key column they share (default id)")
    .option("--columns <list>", "with --table: feature columns, comma-separated; a trailing * takes a prefix (audio_features.*)")
    .option("--drop <list>", "with --table: columns left out of the features, comma-separated (prefix*)")
    .option("--where <column=value>", "with --table: keep rows whose column is value (value|other for several; repeatable)", collect, [])
    .option("--ratios <train,validation,test>", "with --table and no split column: the split's fractions (default 0.8,0,0.2)");
}

function list(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return items.length > 0 ? items : undefined;
}

/** `0.8,0,0.2` as three non-negative fractions. */
export function parseRatios(text: string | undefined): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts[0] <= 0 || parts[2] <= 0) {
    throw new UsageError(`--ratios ${text}: expected train,validation,test fractions (e.g. 0.8,0,0.2) with train and test above 0`);
  }
  return parts as [number, number, number];
}

/** The table options the flags say. */
export function tableOptions(o: TableFlags): TableOptions {
  const where: Record<string, string[]> = {};
  for (const w of o.where) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`--where ${w}: expected column=value`);
    where[w.slice(0, eq)] = w.slice(eq + 1).split("|");
  }
  const columns = list(o.columns);
  const drop = list(o.drop);
  return {
    ...(o.meta.length > 0 ? { meta: o.meta } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.group !== undefined ? { group: o.group } : {}),
    ...(o.splitColumn !== undefined ? { split: o.splitColumn === "none" ? null : o.splitColumn } : {}),
    ...(o.join !== undefined ? { join: o.join } : {}),
    ...(columns ? { columns } : {}),
    ...(drop ? { drop } : {}),
    ...(Object.keys(where).length > 0 ? { where } : {}),
  };
}

/** Refuse table flags given without `--table`, and `--table` with `--dataset`. */
export function checkTableFlags(o: TableFlags & { dataset?: string; features?: string }): void {
  if (o.table.length > 0 && o.dataset !== undefined) throw new UsageError("give --table or --dataset, not both");
  if (o.table.length === 0) {
    const stray = (["label", "group", "splitColumn", "join", "columns", "drop", "ratios"] as const).filter((k) => o[k] !== undefined);
    if (o.where.length > 0) stray.push("where" as never);
    if (o.meta.length > 0) stray.push("meta" as never);
    if (stray.length > 0) throw new UsageError(`${stray.map((k) => `--${k === "splitColumn" ? "split-column" : k}`).join(", ")}: only with --table`);
  }
}
