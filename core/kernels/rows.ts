/**
 * Row-wise copies for layout kernels (Tile, Reverse): the output is walked one row (its last axis)
 * at a time, with each row's source row computed from the output coordinates of the other axes.
 */

/** Call `row(outRow, coords)` for every row of `shape` (all axes but the last), in order; `coords` is reused. */
export function forEachRow(shape: readonly number[], row: (outRow: number, coords: readonly number[]) => void): void {
  const outer = shape.length - 1;
  let rows = 1;
  for (let d = 0; d < outer; d++) rows *= shape[d];
  if (rows === 0) return;
  const coords = new Array<number>(Math.max(0, outer)).fill(0);
  for (let r = 0; r < rows; r++) {
    row(r, coords);
    for (let d = outer - 1; d >= 0; d--) {
      if (++coords[d] < shape[d]) break;
      coords[d] = 0;
    }
  }
}

/** Row-major strides of `shape`. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
  return out;
}
