/**
 * The confusion matrix: `C[i][j]` counts the examples of true class `i` predicted as class `j`
 * (rows are the truth, as in `sklearn.metrics.confusion_matrix`).
 */
import { ndarray, type NdArray } from "../ndarray.ts";

function checkLabels(name: string, labels: ArrayLike<number>, nClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= nClasses) {
      throw new RangeError(`${name}[${i}] = ${c}: expected a class index in [0, ${nClasses})`);
    }
  }
}

/** Counts, shape `[nClasses, nClasses]`, rows true class, columns predicted class. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): NdArray<Int32Array> {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`confusionMatrix: ${yTrue.length} true labels but ${yPred.length} predictions`);
  }
  checkLabels("yTrue", yTrue, nClasses);
  checkLabels("yPred", yPred, nClasses);
  const counts = new Int32Array(nClasses * nClasses);
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i] * nClasses + yPred[i]]++;
  return ndarray(counts, [nClasses, nClasses]);
}

/**
 * Each row divided by its sum: `C[i][j] / Σ_j C[i][j]`, the fraction of class `i` predicted as `j`
 * (`confusion_matrix(..., normalize="true")`). A class with no examples keeps a row of zeros.
 */
export function normalizeRows(matrix: NdArray<Int32Array | Float32Array | Float64Array>): NdArray<Float64Array> {
  const [rows, cols] = matrix.shape;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += matrix.data[i * cols + j];
    if (sum > 0) for (let j = 0; j < cols; j++) out[i * cols + j] = matrix.data[i * cols + j] / sum;
  }
  return ndarray(out, [rows, cols]);
}
