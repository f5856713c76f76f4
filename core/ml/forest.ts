/**
 * Random forest classifier, scikit-learn's `RandomForestClassifier` on binned features:
 *
 *     tree t: a bootstrap draw of n rows with replacement (draw counts as row weights), grown with the
 *             gini criterion of core/ml/histtree.ts, maxFeatures features drawn at each node
 *     proba(x) = (1/T) Σ_t leaf_t(x) class distribution;   predict = argmax (first maximum)
 *
 * Features are binned once into ≤ maxBins quantile bins (core/ml/binning.ts), so split thresholds are
 * bin edges rather than scikit-learn's midpoints between sorted values; trees are otherwise grown the
 * same way (until pure or minSamplesLeaf, no depth limit by default).
 *
 * Params:
 *   nEstimators     integer ≥ 1; default 100
 *   maxFeatures     "sqrt" (⌊√nCols⌋) | "log2" (⌊log2 nCols⌋) | "all" | integer in [1, nCols]; default "sqrt"
 *   maxDepth        integer ≥ 1, or null for none; default none
 *   maxLeafNodes    integer ≥ 2, or null for none (best-first growth when set); default none
 *   minSamplesLeaf  integer ≥ 1; default 1
 *   bootstrap       boolean; default true (false: every tree sees every row once)
 *   maxBins         integer in [2, 256]; default 255
 *   seed            integer; default 0 (bootstrap draws and feature draws)
 */
import { ParamError } from "../errors.ts";
import { mulberry32 } from "../random.ts";
import { binTable } from "./binning.ts";
import {
  argmaxRows,
  booleanParam,
  checkKnownParams,
  checkPredictInput,
  checkTrainingData,
  limitParam,
  numberParam,
  SavedReader,
  type Classifier,
  type Features,
  type SavedClassifier,
} from "./common.ts";
import { growTree, Tree, TreeWorkspace } from "./histtree.ts";

const KIND = "forest";

export interface ForestParams {
  readonly nEstimators?: number;
  readonly maxFeatures?: "sqrt" | "log2" | "all" | number;
  readonly maxDepth?: number | null;
  readonly maxLeafNodes?: number | null;
  readonly minSamplesLeaf?: number;
  readonly bootstrap?: boolean;
  readonly maxBins?: number;
  readonly seed?: number;
}

export class ForestModel implements Classifier {
  readonly kind = KIND;

  constructor(
    readonly nCols: number,
    readonly nClasses: number,
    readonly trees: readonly Tree[],
  ) {}

  predictProba(X: Features, nRows: number): Float64Array {
    checkPredictInput(KIND, X, nRows, this.nCols);
    const { nClasses, nCols, trees } = this;
    const proba = new Float64Array(nRows * nClasses);
    for (const tree of trees) {
      const values = tree.values;
      for (let i = 0; i < nRows; i++) {
        const v = tree.leaf(X, i, nCols) * nClasses;
        const out = i * nClasses;
        for (let k = 0; k < nClasses; k++) proba[out + k] += values[v + k];
      }
    }
    for (let i = 0; i < proba.length; i++) proba[i] /= trees.length;
    return proba;
  }

  predict(X: Features, nRows: number): Int32Array {
    return argmaxRows(this.predictProba(X, nRows), nRows, this.nClasses);
  }

  toJSON(): SavedClassifier {
    return { kind: KIND, version: 1, nCols: this.nCols, nClasses: this.nClasses, trees: this.trees.map((t) => t.toJSON()) };
  }

  static fromJSON(json: unknown): ForestModel {
    const r = new SavedReader(KIND, 1, json);
    const trees = r.list("trees", (item, i) => {
      const tree = Tree.fromJSON(item, r.nCols, r.nClasses);
      if (typeof tree === "string") throw r.error(`trees[${i}]: ${tree}`);
      return tree;
    });
    if (trees.length === 0) throw r.error("no trees");
    return new ForestModel(r.nCols, r.nClasses, trees);
  }
}

export function fitForest(X: Features, nRows: number, nCols: number, y: Int32Array, nClasses: number, params: ForestParams = {}): ForestModel {
  checkKnownParams(KIND, params, ["nEstimators", "maxFeatures", "maxDepth", "maxLeafNodes", "minSamplesLeaf", "bootstrap", "maxBins", "seed"]);
  const nEstimators = numberParam(KIND, params, "nEstimators", 100, { min: 1, integer: true });
  const maxDepth = limitParam(KIND, params, "maxDepth", null, 1);
  const maxLeafNodes = limitParam(KIND, params, "maxLeafNodes", null, 2);
  const minSamplesLeaf = numberParam(KIND, params, "minSamplesLeaf", 1, { min: 1, integer: true });
  const bootstrap = booleanParam(KIND, params, "bootstrap", true);
  const maxBins = numberParam(KIND, params, "maxBins", 255, { min: 2, max: 256, integer: true });
  const seed = numberParam(KIND, params, "seed", 0, { integer: true });
  const maxFeatures = featureCount(params.maxFeatures, nCols);
  checkTrainingData(KIND, X, nRows, nCols, y, nClasses);

  const table = binTable(X, nRows, nCols, { maxBins, seed });
  const ws = new TreeWorkspace(table, nClasses);
  const random = mulberry32(seed);
  const weight = new Float64Array(nRows);
  const trees: Tree[] = [];
  for (let t = 0; t < nEstimators; t++) {
    if (bootstrap) {
      weight.fill(0);
      for (let i = 0; i < nRows; i++) weight[Math.floor(random() * nRows)]++;
    } else {
      weight.fill(1);
    }
    let used = 0;
    for (let i = 0; i < nRows; i++) if (weight[i] > 0) used++;
    const rows = new Int32Array(used);
    for (let i = 0, p = 0; i < nRows; i++) if (weight[i] > 0) rows[p++] = i;
    const grown = growTree(ws, rows, { criterion: "gini", y, weight, nClasses }, { maxDepth, maxLeafNodes, minSamplesLeaf, maxFeatures, random });
    trees.push(grown.tree);
  }
  return new ForestModel(nCols, nClasses, trees);
}

function featureCount(value: ForestParams["maxFeatures"], nCols: number): number {
  if (value === undefined || value === "sqrt") return Math.max(1, Math.floor(Math.sqrt(nCols)));
  if (value === "log2") return Math.max(1, Math.floor(Math.log2(nCols)));
  if (value === "all") return nCols;
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= nCols) return value;
  throw new ParamError(KIND, "maxFeatures", `${JSON.stringify(value)} is not "sqrt", "log2", "all" or an integer in [1, ${nCols}]`);
}
