/**
 * Dot products of rows against runs of rows, the inner loops of the distance, kernel and linear-model
 * computations in core/ml (k-nearest neighbours, the SVM's RBF kernel, logistic regression):
 *
 *     dotRows:   out[o + t] = A[a·d .. a·d + d) · B[(b0 + t)·d .. (b0 + t + 1)·d),   t < nB
 *     dotBlock:  the same for nA rows of A at once (a small matrix product A·Bᵀ)
 *
 * Register blocking: one load of an A value feeds four products (four B rows per pass), and
 * independent sums keep the floating-point pipeline busy. Row-major float64 throughout.
 */
export function dotRows(A: Float64Array, a: number, B: Float64Array, b0: number, nB: number, d: number, out: Float64Array, o: number): void {
  const ab = a * d;
  let t = 0;
  for (; t + 4 <= nB; t += 4) {
    const r0 = (b0 + t) * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < d; j++) {
      const x = A[ab + j];
      s0 += x * B[r0 + j];
      s1 += x * B[r1 + j];
      s2 += x * B[r2 + j];
      s3 += x * B[r3 + j];
    }
    out[o + t] = s0;
    out[o + t + 1] = s1;
    out[o + t + 2] = s2;
    out[o + t + 3] = s3;
  }
  for (; t < nB; t++) {
    const r = (b0 + t) * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += A[ab + j] * B[r + j];
    out[o + t] = s;
  }
}

/** Squared Euclidean norm of each row of a row-major `n × d` table. */
export function rowNorms(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0, b = i * d; j < d; j++) s += X[b + j] * X[b + j];
    out[i] = s;
  }
  return out;
}

/**
 * A block of dot products: out[o + i·ld + t] = A row (a0 + i) · B row (b0 + t), i < nA, t < nB.
 * Two A rows × four B rows per pass (eight sums from six loads a step), then `dotRows` for an odd
 * last A row.
 */
export function dotBlock(
  A: Float64Array,
  a0: number,
  nA: number,
  B: Float64Array,
  b0: number,
  nB: number,
  d: number,
  out: Float64Array,
  o: number,
  ld: number,
): void {
  let i = 0;
  for (; i + 2 <= nA; i += 2) {
    const p0 = (a0 + i) * d, p1 = p0 + d;
    const o0 = o + i * ld, o1 = o0 + ld;
    let t = 0;
    for (; t + 4 <= nB; t += 4) {
      const r0 = (b0 + t) * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let j = 0; j < d; j++) {
        const x0 = A[p0 + j], x1 = A[p1 + j];
        const w0 = B[r0 + j], w1 = B[r1 + j], w2 = B[r2 + j], w3 = B[r3 + j];
        s00 += x0 * w0;
        s01 += x0 * w1;
        s02 += x0 * w2;
        s03 += x0 * w3;
        s10 += x1 * w0;
        s11 += x1 * w1;
        s12 += x1 * w2;
        s13 += x1 * w3;
      }
      out[o0 + t] = s00;
      out[o0 + t + 1] = s01;
      out[o0 + t + 2] = s02;
      out[o0 + t + 3] = s03;
      out[o1 + t] = s10;
      out[o1 + t + 1] = s11;
      out[o1 + t + 2] = s12;
      out[o1 + t + 3] = s13;
    }
    for (; t < nB; t++) {
      const r = (b0 + t) * d;
      let s0 = 0, s1 = 0;
      for (let j = 0; j < d; j++) {
        const w = B[r + j];
        s0 += A[p0 + j] * w;
        s1 += A[p1 + j] * w;
      }
      out[o0 + t] = s0;
      out[o1 + t] = s1;
    }
  }
  if (i < nA) dotRows(A, a0 + i, B, b0, nB, d, out, o + i * ld);
}
