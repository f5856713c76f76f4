/** Feature tables (examples × features) as the distribution and correlation charts take them. */
import { ChartError } from "./spec.ts";

/** `[n, d]` examples by features: a matrix as features return it, or rows of numbers. */
export type FeatureTable = { readonly data: ArrayLike<number> | BigInt64Array; readonly shape: readonly number[] } | readonly (readonly number[])[];

/** The table's columns, checked: a rectangular, non-empty table of finite numbers. */
export function featureColumns(chart: string, table: FeatureTable): Float64Array[] {
  let n: number;
  let d: number;
  let at: (i: number, j: number) => number;
  if ("shape" in table && !Array.isArray(table)) {
    if (table.shape.length !== 2) throw new ChartError(chart, `expected a table [examples, features], got shape [${table.shape.join(", ")}]`);
    [n, d] = table.shape;
    if (table.data.length !== n * d) throw new ChartError(chart, `${table.data.length} values for shape [${n}, ${d}]`);
    const data = table.data as ArrayLike<number | bigint>;
    at = (i, j) => Number(data[i * d + j]);
  } else {
    const rows = table as readonly (readonly number[])[];
    n = rows.length;
    d = rows[0]?.length ?? 0;
    rows.forEach((row, i) => {
      if (row.length !== d) throw new ChartError(chart, `row ${i} has ${row.length} features, row 0 has ${d}`);
    });
    at = (i, j) => rows[i][j];
  }
  if (n === 0 || d === 0) throw new ChartError(chart, `the table [${n}, ${d}] is empty`);
  const columns = Array.from({ length: d }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = at(i, j);
      if (!Number.isFinite(v)) throw new ChartError(chart, `example ${i}, feature ${j} is ${v}`);
      columns[j][i] = v;
    }
  }
  return columns;
}

/** Feature names: the given ones (one per column, unique), or `f0`, `f1`, ... */
export function featureNames(chart: string, count: number, names: readonly string[] | undefined): string[] {
  if (!names) return Array.from({ length: count }, (_, j) => `f${j}`);
  if (names.length !== count) throw new ChartError(chart, `${names.length} feature names for ${count} features`);
  if (new Set(names).size !== names.length) throw new ChartError(chart, "feature names must be unique");
  return [...names];
}
