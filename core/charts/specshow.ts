/**
 * A feature matrix (features × frames: mel or linear spectrogram, chroma, MFCC, tempogram) drawn as
 * `librosa.display.specshow` draws it: time in seconds across, and down the side the frequency, pitch
 * class, coefficient, tempo or lag of each row, each cell placed between its row's edges as librosa
 * computes them (`__coord_mel_hz`, `__coord_fft_hz`), on a mel-like, linear or log2 scale.
 *
 * Cells are rect marks. A large matrix is averaged down to at most `maxCells` cells (whole rows first,
 * then frames) so the SVG stays small enough for a notebook.
 */
import { melFrequencies } from "../dsp/convert.ts";
import { powerToDb } from "../dsp/db.ts";
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

/** What the rows of the matrix are, as librosa's `y_axis`. */
export type SpecshowAxis = "linear" | "mel" | "chroma" | "mfcc" | "tempo" | "lag";

/** A matrix `[rows, frames]` in row-major order, as features return it (any NdArray). */
export interface FeatureMatrix {
  readonly data: ArrayLike<number> | BigInt64Array;
  readonly shape: readonly number[];
}

export interface SpecshowOptions extends ChartOptions {
  /** What the rows are (default "linear": FFT bins from 0 to sr/2). */
  readonly yAxis?: SpecshowAxis;
  /** Sampling rate in Hz (default 22050). */
  readonly sr?: number;
  /** Samples between frames (default 512). */
  readonly hopLength?: number;
  /** Mel axis: lowest and highest band frequencies (default 0 and sr/2) and the HTK formula (default Slaney). */
  readonly fmin?: number;
  readonly fmax?: number;
  readonly htk?: boolean;
  /** Convert to decibels first, relative to the matrix's maximum, floored 80 dB below it. */
  readonly db?: "power" | "amplitude";
  /** Tempo axis: the highest tempo shown, in BPM (default 1024). */
  readonly maxTempo?: number;
  /** Legend title (default "dB" with `db`, none otherwise). */
  readonly legendTitle?: string;
  /** At most this many cells are drawn (default 16000, about 0.9 MB of SVG). */
  readonly maxCells?: number;
}

const KIND = "specshow";
const defaults = { sr: 22050, hopLength: 512, width: 600, height: 240, maxCells: 16000, maxRows: 128, maxTempo: 1024, sequential: "magma" };
const PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/** The row edges (rows + 1 values, monotonic) in the axis's unit, and how the axis draws them. */
interface RowAxis {
  readonly edges: Float64Array;
  /** First row drawn (the tempo axis has no place for lag 0 or tempi above `maxTempo`). */
  readonly firstRow: number;
  /** The axis's extent, low to high. */
  readonly domain: readonly [number, number];
  readonly title: string;
  readonly scale: Record<string, Json>;
  readonly axis: Record<string, Json>;
}

const powersOfTwo = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let p = 2 ** Math.ceil(Math.log2(Math.max(lo, 1))); p <= hi; p *= 2) out.push(p);
  return out;
};

type RowAxisOptions = { sr: number; hopLength: number; fmin: number; fmax: number; htk: boolean; maxTempo: number };

function rowAxis(kind: SpecshowAxis, rows: number, o: RowAxisOptions): RowAxis {
  const edges = new Float64Array(rows + 1);
  switch (kind) {
    case "linear": {
      // librosa's __coord_fft_hz: bin centres k·sr/n_fft shifted down half a bin, floored at 0, then sr/2.
      const nFft = 2 * (rows - 1);
      const step = nFft > 0 ? o.sr / nFft : o.sr / 2;
      for (let k = 0; k < rows; k++) edges[k] = Math.max(0, (k - 0.5) * step);
      edges[rows] = rows > 1 ? (rows - 1) * step : o.sr / 2;
      return { edges, firstRow: 0, domain: [edges[0], edges[rows]], title: "Frequency (Hz)", scale: { type: "linear" }, axis: { format: "d" } };
    }
    case "mel": {
      // librosa's __coord_mel_hz: band centres, each moved down half the gap to the one below, then fmax.
      const centres = melFrequencies(rows, o.fmin, o.fmax, o.htk);
      for (let i = 0; i < rows; i++) edges[i] = Math.max(0, i === 0 ? centres[0] : centres[i] - 0.5 * (centres[i] - centres[i - 1]));
      edges[rows] = o.fmax;
      // log(1 + f/700) is the HTK mel curve: equal mel bands get (nearly) equal heights.
      const ticks = [0, ...powersOfTwo(256, edges[rows])].filter((f) => f >= edges[0] && f <= edges[rows]);
      return { edges, firstRow: 0, domain: [edges[0], edges[rows]], title: "Frequency (Hz)", scale: { type: "symlog", constant: 700 }, axis: { values: ticks, format: "d" } };
    }
    case "chroma": {
      for (let i = 0; i <= rows; i++) edges[i] = (12 * i) / rows;
      const values = Array.from({ length: 12 }, (_, i) => i + 0.5 * (12 / rows));
      return {
        edges,
        firstRow: 0,
        domain: [0, 12],
        title: "Pitch class",
        scale: { type: "linear", nice: false },
        axis: { values, labelExpr: `${JSON.stringify(PITCH_CLASSES)}[floor(datum.value)]`, grid: false },
      };
    }
    case "mfcc": {
      for (let i = 0; i <= rows; i++) edges[i] = i;
      const every = rows <= 20 ? 1 : rows <= 60 ? 5 : 10;
      const values = Array.from({ length: Math.ceil(rows / every) }, (_, i) => i * every + 0.5);
      return { edges, firstRow: 0, domain: [edges[0], edges[rows]], title: "MFCC coefficient", scale: { type: "linear", nice: false }, axis: { values, labelExpr: "floor(datum.value)", grid: false } };
    }
    case "tempo": {
      // Lag l frames is a tempo of 60·sr/(hop·l) BPM; row l spans lags l ± 1/2, so edges[l] =
      // bpm(l - 1/2) and the edges fall. Lag 0 (an infinite tempo) has no place on a log axis, and the
      // few shortest lags (thousands of BPM) would take a third of the height: rows wholly above
      // maxTempo are left out, the one across it is clipped.
      const bpm = (lag: number) => (60 * o.sr) / (o.hopLength * lag);
      for (let l = 1; l <= rows; l++) edges[l] = bpm(l - 0.5);
      edges[0] = Infinity;
      let firstRow = 1;
      while (firstRow < rows - 1 && edges[firstRow + 1] >= o.maxTempo) firstRow++;
      const domain: [number, number] = [edges[rows], Math.min(o.maxTempo, edges[firstRow])];
      const ticks = powersOfTwo(domain[0], domain[1]);
      return { edges, firstRow, domain, title: "Tempo (BPM)", scale: { type: "log", base: 2 }, axis: { values: ticks, format: "d" } };
    }
    case "lag": {
      for (let i = 0; i <= rows; i++) edges[i] = (i * o.hopLength) / o.sr;
      return { edges, firstRow: 0, domain: [edges[0], edges[rows]], title: "Lag (s)", scale: { type: "linear", nice: false }, axis: {} };
    }
  }
}

function toDb(values: Float64Array, kind: "power" | "amplitude"): Float64Array {
  // amplitude_to_db(S, ref=max) = power_to_db(S², ref=max²).
  const power = kind === "power" ? values : values.map((v) => v * v);
  return powerToDb(power, { ref: "max", topDb: 80 });
}

/** Group `n` items into at most `groups` consecutive runs: run g is [bounds[g], bounds[g+1]). */
function runs(n: number, groups: number): number[] {
  const count = Math.min(n, groups);
  return Array.from({ length: count + 1 }, (_, g) => Math.floor((g * n) / count));
}

/** A feature matrix `[rows, frames]` drawn as librosa's specshow draws it. */
export function specshowChart(matrix: FeatureMatrix, options: SpecshowOptions = {}): Chart {
  if (matrix.shape.length !== 2) throw new ChartError(KIND, `expected a matrix [rows, frames], got shape [${matrix.shape.join(", ")}]`);
  const [rows, frames] = matrix.shape;
  if (!(rows > 0 && frames > 0)) throw new ChartError(KIND, `the matrix [${rows}, ${frames}] is empty`);
  if (matrix.data.length !== rows * frames) throw new ChartError(KIND, `${matrix.data.length} values for shape [${rows}, ${frames}]`);
  const yAxis = options.yAxis ?? "linear";
  const sr = size(KIND, "sr", options.sr, defaults.sr);
  const hopLength = size(KIND, "hopLength", options.hopLength, defaults.hopLength);
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? sr / 2;
  if (yAxis === "mel" && !(fmin >= 0 && fmax > fmin)) throw new ChartError(KIND, `mel axis: fmin ${fmin} and fmax ${fmax} must satisfy 0 <= fmin < fmax`);
  if (yAxis === "tempo" && rows < 2) throw new ChartError(KIND, "a tempo axis needs at least 2 lags (lag 0 is not drawn)");
  const maxCells = Math.floor(size(KIND, "maxCells", options.maxCells, defaults.maxCells));

  let values: Float64Array = Float64Array.from(matrix.data as ArrayLike<number | bigint>, Number);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new ChartError(KIND, `value at row ${Math.floor(i / frames)}, frame ${i % frames} is ${values[i]}`);
    }
  }
  if (options.db) values = toDb(values, options.db);

  const maxTempo = size(KIND, "maxTempo", options.maxTempo, defaults.maxTempo);
  const axis = rowAxis(yAxis, rows, { sr, hopLength, fmin, fmax, htk: options.htk ?? false, maxTempo });
  const drawnRows = rows - axis.firstRow;
  // Rows first (at most maxRows, leaving room for 8 frames), then as many frames as the budget allows.
  const rowRuns = runs(drawnRows, Math.min(defaults.maxRows, Math.max(1, Math.floor(maxCells / Math.min(frames, 8)))));
  const rowGroups = rowRuns.length - 1;
  const frameRuns = runs(frames, Math.max(1, Math.floor(maxCells / rowGroups)));
  const seconds = hopLength / sr;

  const data: Datum[] = [];
  let min = Infinity;
  let max = -Infinity;
  for (let g = 0; g < rowGroups; g++) {
    const r0 = axis.firstRow + rowRuns[g];
    const r1 = axis.firstRow + rowRuns[g + 1];
    // Tempo edges fall as the lag grows: take each span as a sorted pair.
    const [y0, y1] = [axis.edges[r0], axis.edges[r1]].sort((a, b) => a - b);
    for (let c = 0; c + 1 < frameRuns.length; c++) {
      const t0 = frameRuns[c];
      const t1 = frameRuns[c + 1];
      let sum = 0;
      for (let r = r0; r < r1; r++) for (let t = t0; t < t1; t++) sum += values[r * frames + t];
      const v = sum / ((r1 - r0) * (t1 - t0));
      min = Math.min(min, v);
      max = Math.max(max, v);
      data.push({ t0: round(t0 * seconds, 6), t1: round(t1 * seconds, 6), y0: round(y0, 6), y1: round(y1, 6), v: round(v) });
    }
  }

  // librosa's choice of colour map: magma for data of one sign, coolwarm (blue-white-red) for both.
  const colorScale: Record<string, Json> = options.scheme
    ? { scheme: options.scheme }
    : min < 0 && max > 0
      ? { scheme: "redblue", reverse: true, domainMid: 0 }
      : { scheme: defaults.sequential };
  const legendTitle = options.legendTitle ?? (options.db ? "dB" : null);
  return new Chart(KIND, {
    ...frame(options),
    width: size(KIND, "width", options.width, defaults.width),
    height: size(KIND, "height", options.height, defaults.height),
    data: { values: data },
    // No aria labels: they would triple the SVG of a large matrix. Each cell reaches half a pixel into
    // the next, so rounding never leaves a seam between neighbours.
    mark: { type: "rect", aria: false, clip: true, x2Offset: 0.5, y2Offset: -0.5 },
    encoding: {
      x: { field: "t0", type: "quantitative", title: "Time (s)", scale: { domain: [0, round(frames * seconds, 6)], nice: false }, axis: { grid: false } },
      x2: { field: "t1" },
      y: { field: "y0", type: "quantitative", title: axis.title, scale: { ...axis.scale, domain: axis.domain.map((v) => round(v, 6)), nice: false, ...(axis.scale.type === "log" ? {} : { zero: false }) }, axis: { grid: false, ...axis.axis } },
      y2: { field: "y1" },
      color: { field: "v", type: "quantitative", title: legendTitle, scale: colorScale },
    },
  });
}
