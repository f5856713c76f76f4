/**
 * The histogram tree learner shared by the random forest (core/ml/forest.ts) and gradient boosting
 * (core/ml/boosting.ts). Rows are binned once (core/ml/binning.ts); a node's candidate splits
 * "bin ≤ b" are scored from per-bin sums over its rows, never by sorting values.
 *
 * Two criteria:
 *   gini    (classification trees, scikit-learn's DecisionTreeClassifier as used by RandomForestClassifier)
 *           per bin: row count and weighted class counts c_k. For a split into L, R of weights w_L, w_R:
 *             proxy = Σ_k c_Lk² / w_L + Σ_k c_Rk² / w_R       (maximising it minimises w_L·gini_L + w_R·gini_R)
 *           a node is a leaf when pure; its value is its class distribution c_k / w. Any split that leaves
 *           ≥ minSamplesLeaf rows on both sides is taken, even one that does not lower the impurity
 *           (scikit-learn's min_impurity_decrease = 0). The threshold is the bin edge halfway (in bins)
 *           between the two occupied bins on either side, as scikit-learn takes the midpoint value.
 *   newton  (gradient boosting, scikit-learn's HistGradientBoosting grower)
 *           per bin: Σ g, Σ h, row count. gain = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), taken when > 0
 *           and both sides keep ≥ minSamplesLeaf rows and ≥ minHessian hessian; leaf value −G/(H+λ)·shrinkage.
 *           The larger child's histogram is the parent's minus the smaller child's (only the smaller
 *           child's rows are scanned).
 *
 * Growth is best-first: the open node of largest gain is split next, until no node can split or the
 * tree has maxLeafNodes leaves (scikit-learn's max_leaf_nodes); a node at maxDepth (edges from the
 * root) is a leaf. Under gini, each node draws its candidate features at random (maxFeatures of them
 * that vary at the node, or all when fewer do), as scikit-learn's splitter.
 */
import type { BinnedTable } from "./binning.ts";

export interface GiniTarget {
  readonly criterion: "gini";
  readonly y: Int32Array;
  /** Row weights (a bootstrap's draw counts); rows of weight 0 must not be passed in `rows`. */
  readonly weight: Float64Array;
  readonly nClasses: number;
}

export interface NewtonTarget {
  readonly criterion: "newton";
  readonly gradient: Float64Array;
  readonly hessian: Float64Array;
  /** λ, the L2 penalty on leaf values. */
  readonly l2: number;
  readonly minHessian: number;
  /** Multiplies every leaf value (the learning rate). */
  readonly shrinkage: number;
}

export interface GrowOptions {
  readonly maxDepth: number;
  readonly maxLeafNodes: number;
  readonly minSamplesLeaf: number;
  /** Gini only: features tried per node. */
  readonly maxFeatures: number;
  /** Gini only (with maxFeatures < nCols): the generator of the feature draws. */
  readonly random: () => number;
}

/**
 * A fitted tree, flat. Internal node n: go left when x[feature[n]] ≤ threshold[n]. Leaf n:
 * feature[n] = −1 and left[n] is its leaf id; the leaf's value is values[id·width .. (id+1)·width).
 */
export class Tree {
  constructor(
    readonly feature: Int32Array,
    readonly threshold: Float64Array,
    readonly left: Int32Array,
    readonly right: Int32Array,
    readonly values: Float64Array,
    readonly width: number,
  ) {}

  get nLeaves(): number {
    return this.values.length / this.width;
  }

  /** The leaf id of row `i` of `X` (row-major, nCols wide). */
  leaf(X: ArrayLike<number>, i: number, nCols: number): number {
    const { feature, threshold, left, right } = this;
    let node = 0;
    let f = feature[0];
    const base = i * nCols;
    while (f >= 0) {
      node = X[base + f] <= threshold[node] ? left[node] : right[node];
      f = feature[node];
    }
    return left[node];
  }

  toJSON(): { feature: number[]; threshold: number[]; left: number[]; right: number[]; values: number[] } {
    return {
      feature: Array.from(this.feature),
      threshold: Array.from(this.threshold),
      left: Array.from(this.left),
      right: Array.from(this.right),
      values: Array.from(this.values),
    };
  }

  /** Read a saved tree; returns a reason instead when it is not a well-formed tree over `nCols` columns. */
  static fromJSON(json: unknown, nCols: number, width: number): Tree | string {
    if (typeof json !== "object" || json === null) return "not an object";
    const r = json as Record<string, unknown>;
    const arrays: Record<string, number[]> = {};
    for (const field of ["feature", "threshold", "left", "right", "values"]) {
      const v = r[field];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x))) return `${field} is not an array of finite numbers`;
      arrays[field] = v as number[];
    }
    const n = arrays.feature.length;
    if (n === 0) return "no nodes";
    if (arrays.threshold.length !== n || arrays.left.length !== n || arrays.right.length !== n) return "node arrays of different lengths";
    if (arrays.values.length % width !== 0) return `values length is not a multiple of ${width}`;
    const nLeaves = arrays.values.length / width;
    for (let node = 0; node < n; node++) {
      const f = arrays.feature[node];
      const l = arrays.left[node];
      const rr = arrays.right[node];
      if (f === -1) {
        if (!Number.isInteger(l) || l < 0 || l >= nLeaves) return `leaf ${node} has no value`;
      } else if (!Number.isInteger(f) || f < 0 || f >= nCols) {
        return `node ${node} splits on column ${f}, outside [0, ${nCols})`;
      } else if (!(Number.isInteger(l) && Number.isInteger(rr) && l > node && rr > node && l < n && rr < n)) {
        // Children after their parent: the walk from the root always ends.
        return `node ${node} has bad children`;
      }
    }
    return new Tree(
      Int32Array.from(arrays.feature),
      Float64Array.from(arrays.threshold),
      Int32Array.from(arrays.left),
      Int32Array.from(arrays.right),
      Float64Array.from(arrays.values),
      width,
    );
  }
}

export interface GrownTree {
  readonly tree: Tree;
  /** The rows passed in, reordered so that each leaf's rows are contiguous. */
  readonly rows: Int32Array;
  /** Leaf id → its rows: rows[leafStart[id] .. leafEnd[id]). */
  readonly leafStart: Int32Array;
  readonly leafEnd: Int32Array;
}

/**
 * Scratch memory of the learner for one binned table, reused from tree to tree (a forest grows
 * hundreds, boosting a thousand).
 */
export class TreeWorkspace {
  readonly scratchRows: Int32Array;
  /** Gini: per-bin row counts, weights, class weights; touched bins. */
  readonly binCount: Int32Array;
  readonly binWeight: Float64Array;
  readonly binClass: Float64Array;
  readonly touched: Int32Array;
  readonly featureOrder: Int32Array;
  /** Newton: rows' gradients and hessians gathered in node order; the histogram pool. */
  readonly orderedG: Float64Array;
  readonly orderedH: Float64Array;
  private readonly pool: Float64Array[] = [];
  readonly histSize: number;

  constructor(
    readonly table: BinnedTable,
    readonly nClasses: number,
  ) {
    const B = table.maxBins;
    this.scratchRows = new Int32Array(table.nRows);
    this.binCount = new Int32Array(B);
    this.binWeight = new Float64Array(B);
    this.binClass = new Float64Array(B * Math.max(1, nClasses));
    this.touched = new Int32Array(B);
    this.featureOrder = new Int32Array(table.nCols);
    this.orderedG = new Float64Array(table.nRows);
    this.orderedH = new Float64Array(table.nRows);
    this.histSize = table.nCols * B * 3;
  }

  acquireHistogram(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.histSize);
  }

  releaseHistogram(h: Float64Array | undefined): void {
    if (h) this.pool.push(h);
  }
}

/** Grow one tree on `rows` (reordered in place) of the workspace's table. */
export function growTree(ws: TreeWorkspace, rows: Int32Array, target: GiniTarget | NewtonTarget, options: GrowOptions): GrownTree {
  return new Grower(ws, rows, target, options).grow();
}

const NO_SPLIT = -Infinity;

class Grower {
  // Node fields (parallel arrays; nodes are few enough that plain arrays suffice).
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly depth: number[] = [];
  private readonly splitFeature: number[] = [];
  private readonly splitBin: number[] = [];
  private readonly splitThreshold: number[] = [];
  private readonly gain: number[] = [];
  private readonly leftChild: number[] = [];
  private readonly rightChild: number[] = [];
  /** Newton: Σg, Σh of each node, and the left side's of its best split. */
  private readonly sumG: number[] = [];
  private readonly sumH: number[] = [];
  private readonly leftG: number[] = [];
  private readonly leftH: number[] = [];
  private readonly histograms: (Float64Array | undefined)[] = [];
  private readonly heap: number[] = [];
  private readonly classTotals: Float64Array;

  constructor(
    private readonly ws: TreeWorkspace,
    private readonly rows: Int32Array,
    private readonly target: GiniTarget | NewtonTarget,
    private readonly options: GrowOptions,
  ) {
    this.classTotals = new Float64Array(target.criterion === "gini" ? target.nClasses : 1);
  }

  grow(): GrownTree {
    const { options, target } = this;
    const root = this.newNode(0, this.rows.length, 0);
    if (target.criterion === "newton") {
      let G = 0, H = 0;
      for (let i = 0; i < this.rows.length; i++) {
        G += target.gradient[this.rows[i]];
        H += target.hessian[this.rows[i]];
      }
      this.sumG[root] = G;
      this.sumH[root] = H;
      if (this.splittable(root) && H >= target.minHessian) {
        this.histograms[root] = this.buildHistogram(root);
        this.evaluateNewton(root);
      }
    } else if (this.splittable(root)) {
      this.evaluateGini(root);
    }
    let leaves = 1;
    while (this.heap.length > 0 && leaves < options.maxLeafNodes) {
      const node = this.popHeap();
      this.split(node);
      leaves++;
    }
    for (const node of this.heap) this.ws.releaseHistogram(this.histograms[node]);
    this.heap.length = 0;
    return this.finish();
  }

  private newNode(start: number, end: number, depth: number): number {
    const id = this.start.length;
    this.start.push(start);
    this.end.push(end);
    this.depth.push(depth);
    this.splitFeature.push(-1);
    this.splitBin.push(0);
    this.splitThreshold.push(0);
    this.gain.push(NO_SPLIT);
    this.leftChild.push(-1);
    this.rightChild.push(-1);
    this.sumG.push(0);
    this.sumH.push(0);
    this.leftG.push(0);
    this.leftH.push(0);
    this.histograms.push(undefined);
    return id;
  }

  private splittable(node: number): boolean {
    const n = this.end[node] - this.start[node];
    return n >= 2 * this.options.minSamplesLeaf && n >= 2 && this.depth[node] < this.options.maxDepth;
  }

  private split(node: number): void {
    const { rows, ws } = this;
    const s = this.start[node], e = this.end[node];
    const col = this.splitFeature[node] * ws.table.nRows;
    const bin = this.splitBin[node];
    const codes = ws.table.codes;
    const scratch = ws.scratchRows;
    let p = s, q = 0;
    // Stable partition: rows keep their order, and with it the locality of the column reads.
    for (let i = s; i < e; i++) {
      const r = rows[i];
      if (codes[col + r] <= bin) rows[p++] = r;
      else scratch[q++] = r;
    }
    rows.set(scratch.subarray(0, q), p);
    const depth = this.depth[node] + 1;
    const left = this.newNode(s, p, depth);
    const right = this.newNode(p, e, depth);
    this.leftChild[node] = left;
    this.rightChild[node] = right;

    const target = this.target;
    if (target.criterion === "gini") {
      if (this.splittable(left)) this.evaluateGini(left);
      if (this.splittable(right)) this.evaluateGini(right);
      return;
    }
    this.sumG[left] = this.leftG[node];
    this.sumH[left] = this.leftH[node];
    this.sumG[right] = this.sumG[node] - this.leftG[node];
    this.sumH[right] = this.sumH[node] - this.leftH[node];
    const splitLeft = this.splittable(left);
    const splitRight = this.splittable(right);
    const parentHist = this.histograms[node]!;
    this.histograms[node] = undefined;
    if (splitLeft || splitRight) {
      const leftSmaller = p - s < e - p;
      const small = leftSmaller ? left : right;
      const large = leftSmaller ? right : left;
      const smallHist = this.buildHistogram(small);
      if (leftSmaller ? splitRight : splitLeft) {
        // The larger child's histogram: parent − smaller, in the parent's buffer.
        for (let i = 0; i < parentHist.length; i++) parentHist[i] -= smallHist[i];
        this.histograms[large] = parentHist;
      } else {
        ws.releaseHistogram(parentHist);
      }
      this.histograms[small] = smallHist;
      for (const child of [left, right]) {
        if (child === left ? splitLeft : splitRight) this.evaluateNewton(child);
        if (this.gain[child] === NO_SPLIT) {
          ws.releaseHistogram(this.histograms[child]);
          this.histograms[child] = undefined;
        }
      }
    } else {
      ws.releaseHistogram(parentHist);
    }
  }

  /** Σg, Σh and row count per (column, bin) over a node's rows: hist[(j·B + b)·3 + {0, 1, 2}]. */
  private buildHistogram(node: number): Float64Array {
    const { ws, rows } = this;
    const target = this.target as NewtonTarget;
    const { codes, nRows, nCols, nBins, maxBins: B } = ws.table;
    const hist = ws.acquireHistogram();
    const s = this.start[node], e = this.end[node];
    const n = e - s;
    const og = ws.orderedG, oh = ws.orderedH;
    for (let i = 0; i < n; i++) {
      const r = rows[s + i];
      og[i] = target.gradient[r];
      oh[i] = target.hessian[r];
    }
    for (let j = 0; j < nCols; j++) {
      const base = j * B * 3;
      hist.fill(0, base, base + nBins[j] * 3);
      const col = j * nRows;
      for (let i = 0; i < n; i++) {
        const p = base + codes[col + rows[s + i]] * 3;
        hist[p] += og[i];
        hist[p + 1] += oh[i];
        hist[p + 2] += 1;
      }
    }
    return hist;
  }

  private evaluateNewton(node: number): void {
    const target = this.target as NewtonTarget;
    const { nCols, nBins, maxBins: B, thresholds, thresholdStart } = this.ws.table;
    const hist = this.histograms[node]!;
    const n = this.end[node] - this.start[node];
    const msl = this.options.minSamplesLeaf;
    const { l2, minHessian } = target;
    const G = this.sumG[node], H = this.sumH[node];
    const parentScore = (G * G) / (H + l2);
    let bestGain = 0, bestFeature = -1, bestBin = 0, bestGL = 0, bestHL = 0;
    for (let j = 0; j < nCols; j++) {
      const base = j * B * 3;
      let GL = 0, HL = 0, nL = 0;
      const last = nBins[j] - 1;
      for (let b = 0; b < last; b++) {
        const p = base + b * 3;
        GL += hist[p];
        HL += hist[p + 1];
        nL += hist[p + 2];
        if (nL < msl) continue;
        if (n - nL < msl) break;
        if (HL < minHessian) continue;
        const HR = H - HL;
        if (HR < minHessian) break;
        const GR = G - GL;
        const gain = (GL * GL) / (HL + l2) + (GR * GR) / (HR + l2) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = j;
          bestBin = b;
          bestGL = GL;
          bestHL = HL;
        }
      }
    }
    if (bestFeature < 0) return;
    this.splitFeature[node] = bestFeature;
    this.splitBin[node] = bestBin;
    this.splitThreshold[node] = thresholds[thresholdStart[bestFeature] + bestBin];
    this.leftG[node] = bestGL;
    this.leftH[node] = bestHL;
    this.gain[node] = bestGain;
    this.pushHeap(node);
  }

  private evaluateGini(node: number): void {
    const target = this.target as GiniTarget;
    const { ws, rows, options } = this;
    const { y, weight, nClasses: K } = target;
    const s = this.start[node], e = this.end[node];
    const n = e - s;
    const tot = this.classTotals;
    tot.fill(0);
    let W = 0;
    for (let i = s; i < e; i++) {
      const r = rows[i];
      tot[y[r]] += weight[r];
      W += weight[r];
    }
    let present = 0;
    let sqTotal = 0;
    for (let k = 0; k < K; k++) {
      if (tot[k] > 0) present++;
      sqTotal += tot[k] * tot[k];
    }
    if (present < 2) return;
    const { codes, nRows, nCols, thresholds, thresholdStart } = ws.table;
    const { binCount, binWeight, binClass, touched, featureOrder } = ws;
    const msl = options.minSamplesLeaf;
    const leftClass = new Float64Array(K);
    for (let j = 0; j < nCols; j++) featureOrder[j] = j;
    let bestProxy = NO_SPLIT, bestFeature = -1, bestBin = 0;
    let visited = 0;
    for (let drawn = 0; drawn < nCols && visited < options.maxFeatures; drawn++) {
      if (options.maxFeatures < nCols) {
        const pick = drawn + Math.floor(options.random() * (nCols - drawn));
        const t = featureOrder[drawn];
        featureOrder[drawn] = featureOrder[pick];
        featureOrder[pick] = t;
      }
      const f = featureOrder[drawn];
      const col = f * nRows;
      let nTouched = 0;
      for (let i = s; i < e; i++) {
        const r = rows[i];
        const b = codes[col + r];
        if (binCount[b] === 0) touched[nTouched++] = b;
        binCount[b]++;
        binWeight[b] += weight[r];
        binClass[b * K + y[r]] += weight[r];
      }
      if (nTouched >= 2) {
        visited++;
        const bins = touched.subarray(0, nTouched).sort();
        leftClass.fill(0);
        let sqL = 0, sqR = sqTotal, wL = 0, nL = 0;
        for (let t = 0; t < nTouched - 1; t++) {
          const b = bins[t];
          const cb = b * K;
          for (let k = 0; k < K; k++) {
            const c = binClass[cb + k];
            if (c !== 0) {
              const l = leftClass[k];
              sqL += c * (2 * l + c);
              sqR += c * (c - 2 * (tot[k] - l));
              leftClass[k] = l + c;
            }
          }
          wL += binWeight[b];
          nL += binCount[b];
          if (nL < msl) continue;
          if (n - nL < msl) break;
          const proxy = sqL / wL + sqR / (W - wL);
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestFeature = f;
            // Halfway between this occupied bin and the next: the binned analogue of a midpoint threshold.
            bestBin = (b + bins[t + 1] - 1) >> 1;
          }
        }
      }
      for (let t = 0; t < nTouched; t++) {
        const b = touched[t];
        binCount[b] = 0;
        binWeight[b] = 0;
        binClass.fill(0, b * K, b * K + K);
      }
    }
    if (bestFeature < 0) return;
    this.splitFeature[node] = bestFeature;
    this.splitBin[node] = bestBin;
    this.splitThreshold[node] = thresholds[thresholdStart[bestFeature] + bestBin];
    this.gain[node] = Math.max(0, bestProxy - sqTotal / W);
    this.pushHeap(node);
  }

  /** Leaf values and the flat tree (nodes in creation order, so children come after their parent). */
  private finish(): GrownTree {
    const nNodes = this.start.length;
    const isLeaf = (node: number) => this.leftChild[node] < 0;
    let nLeaves = 0;
    for (let node = 0; node < nNodes; node++) if (isLeaf(node)) nLeaves++;
    const target = this.target;
    const width = target.criterion === "gini" ? target.nClasses : 1;
    const feature = new Int32Array(nNodes);
    const threshold = new Float64Array(nNodes);
    const left = new Int32Array(nNodes);
    const right = new Int32Array(nNodes);
    const values = new Float64Array(nLeaves * width);
    const leafStart = new Int32Array(nLeaves);
    const leafEnd = new Int32Array(nLeaves);
    let leaf = 0;
    for (let node = 0; node < nNodes; node++) {
      if (!isLeaf(node)) {
        feature[node] = this.splitFeature[node];
        threshold[node] = this.splitThreshold[node];
        left[node] = this.leftChild[node];
        right[node] = this.rightChild[node];
        continue;
      }
      feature[node] = -1;
      left[node] = leaf;
      right[node] = -1;
      const s = this.start[node], e = this.end[node];
      leafStart[leaf] = s;
      leafEnd[leaf] = e;
      if (target.criterion === "newton") {
        values[leaf] = (-this.sumG[node] / (this.sumH[node] + target.l2)) * target.shrinkage;
      } else {
        const base = leaf * width;
        let W = 0;
        for (let i = s; i < e; i++) {
          const r = this.rows[i];
          values[base + target.y[r]] += target.weight[r];
          W += target.weight[r];
        }
        for (let k = 0; k < width; k++) values[base + k] /= W;
      }
      leaf++;
    }
    return { tree: new Tree(feature, threshold, left, right, values, width), rows: this.rows, leafStart, leafEnd };
  }

  // Binary max-heap of node ids by gain (ties: the earlier node first, for determinism).
  private higher(a: number, b: number): boolean {
    const ga = this.gain[a], gb = this.gain[b];
    return ga > gb || (ga === gb && a < b);
  }

  private pushHeap(node: number): void {
    const heap = this.heap;
    let i = heap.push(node) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.higher(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private popHeap(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let best = i;
        if (l < heap.length && this.higher(heap[l], heap[best])) best = l;
        if (r < heap.length && this.higher(heap[r], heap[best])) best = r;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best], heap[i]];
        i = best;
      }
    }
    return top;
  }
}
