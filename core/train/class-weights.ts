/**
 * Class weights for imbalanced data, scikit-learn's "balanced" heuristic:
 * `w_c = n / (k · n_c)` for `n` examples, `k` classes and `n_c` examples of class `c`, so every class
 * contributes the same total weight to the loss. A class absent from `y` gets weight 1.
 */
export function balancedClassWeights(y: ArrayLike<number>, nClasses: number): number[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? y.length / (present * c) : 1));
}
