/**
 * Points of a 2-D or 3-D embedding (PCA, t-SNE, UMAP) coloured by label. A 3-D embedding is drawn
 * in an oblique view: the points turned by `azimuth` about the vertical axis and tilted by
 * `elevation`, projected orthographically inside their bounding box (drawn as a wireframe, its
 * three axes named), nearer points drawn larger and over farther ones. All three axes share one scale,
 * so distances keep their proportions.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum, type Json } from "./spec.ts";

export interface EmbeddingOptions extends ChartOptions {
  /** Axis titles (default dim 1, dim 2, dim 3). */
  readonly axisTitles?: readonly string[];
  /** Label order (default alphabetical). */
  readonly labels?: readonly string[];
  /** 3-D: turn about the vertical axis, in degrees (default 35). */
  readonly azimuth?: number;
  /** 3-D: tilt towards the viewer, in degrees (default 25). */
  readonly elevation?: number;
  /** Point area in square pixels (default: smaller as there are more points). */
  readonly pointSize?: number;
  /** A name per point for tooltips (track ids). */
  readonly names?: readonly string[];
}

const KIND = "embedding";
const defaults = { side: 380 };

/** The 12 edges of the cube [-1, 1]³, as pairs of corners. */
const EDGES: [number[], number[]][] = [];
for (const a of [-1, 1]) {
  for (const b of [-1, 1]) {
    EDGES.push([[-1, a, b], [1, a, b]], [[a, -1, b], [a, 1, b]], [[a, b, -1], [a, b, 1]]);
  }
}

function colorScale(labels: readonly string[], scheme: string | undefined): Json {
  return { scheme: scheme ?? (labels.length <= 10 ? "tableau10" : "category20"), domain: [...labels] };
}

/** A scatter of `points` (`[n, 2]` or `[n, 3]`), one colour per label. */
export function embeddingChart(points: { readonly data: ArrayLike<number>; readonly shape: readonly number[] }, labels: readonly string[], options: EmbeddingOptions = {}): Chart {
  const [n, dims] = points.shape;
  if (points.shape.length !== 2 || (dims !== 2 && dims !== 3)) throw new ChartError(KIND, `expected points [n, 2] or [n, 3], got [${points.shape.join(", ")}]`);
  if (n === 0) throw new ChartError(KIND, "there are no points");
  if (labels.length !== n) throw new ChartError(KIND, `${labels.length} labels for ${n} points`);
  if (options.names && options.names.length !== n) throw new ChartError(KIND, `${options.names.length} names for ${n} points`);
  for (let i = 0; i < n * dims; i++) if (!Number.isFinite(points.data[i])) throw new ChartError(KIND, `point ${Math.floor(i / dims)} has a coordinate ${points.data[i]}`);
  const present = [...new Set(labels)];
  const order = options.labels ? [...options.labels] : present.sort();
  for (const label of present) if (!order.includes(label)) throw new ChartError(KIND, `label ${JSON.stringify(label)} is not in options.labels`);
  const titles = options.axisTitles ?? ["dim 1", "dim 2", "dim 3"];
  const side = size(KIND, "width", options.width, defaults.side);
  const height = size(KIND, "height", options.height, side);
  const pointSize = size(KIND, "pointSize", options.pointSize, Math.max(8, Math.min(60, 6000 / n)));
  const color = { field: "label", type: "nominal", title: "Label", scale: colorScale(order, options.scheme) };
  const tooltip = [{ field: "label" }, ...(options.names ? [{ field: "name" }] : [])];

  if (dims === 2) {
    const values: Datum[] = [];
    for (let i = 0; i < n; i++) {
      values.push({ x: round(points.data[i * 2], 5), y: round(points.data[i * 2 + 1], 5), label: labels[i], ...(options.names ? { name: options.names[i] } : {}) });
    }
    return new Chart(KIND, {
      ...frame(options),
      width: side,
      height,
      data: { values },
      mark: { type: "point", filled: true, size: pointSize, opacity: 0.75, strokeWidth: 0 },
      encoding: {
        x: { field: "x", type: "quantitative", title: titles[0], scale: { zero: false, nice: false }, axis: { grid: false } },
        y: { field: "y", type: "quantitative", title: titles[1], scale: { zero: false, nice: false }, axis: { grid: false } },
        color,
        tooltip,
      },
    });
  }

  // 3-D: centre on the bounding box, one scale for the three axes.
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.min(lo[k], points.data[i * 3 + k]);
      hi[k] = Math.max(hi[k], points.data[i * 3 + k]);
    }
  }
  const centre = lo.map((l, k) => (l + hi[k]) / 2);
  const half = Math.max(...lo.map((l, k) => (hi[k] - l) / 2)) || 1;
  const extent = lo.map((l, k) => Math.max((hi[k] - l) / 2 / half, 0.05));
  const azimuth = ((options.azimuth ?? 35) * Math.PI) / 180;
  const elevation = ((options.elevation ?? 25) * Math.PI) / 180;
  // x to the right and y into the screen, z up; then turned and tilted.
  const view = (p: readonly number[]): [number, number, number] => {
    const x1 = p[0] * Math.cos(azimuth) - p[1] * Math.sin(azimuth);
    const y1 = p[0] * Math.sin(azimuth) + p[1] * Math.cos(azimuth);
    const u = x1;
    const v = p[2] * Math.cos(elevation) - y1 * Math.sin(elevation);
    const depth = y1 * Math.cos(elevation) + p[2] * Math.sin(elevation);
    return [u, v, depth];
  };
  const values: Datum[] = [];
  let near = -Infinity;
  let far = Infinity;
  const projected = Array.from({ length: n }, (_, i) => {
    const p = [0, 1, 2].map((k) => (points.data[i * 3 + k] - centre[k]) / half);
    const [u, v, depth] = view(p);
    near = Math.max(near, depth);
    far = Math.min(far, depth);
    return { u, v, depth, i };
  });
  // Farthest first, so nearer points are drawn over them.
  projected.sort((a, b) => b.depth - a.depth);
  projected.forEach((p, rank) => {
    const closeness = near > far ? (near - p.depth) / (near - far) : 0.5;
    values.push({
      kind: "point",
      u: round(p.u, 5),
      v: round(p.v, 5),
      order: rank,
      size: round(pointSize * (0.55 + 0.9 * closeness), 3),
      label: labels[p.i],
      ...(options.names ? { name: options.names[p.i] } : {}),
    });
  });
  const box = (corner: readonly number[]) => corner.map((c, k) => c * extent[k]);
  for (const [a, b] of EDGES) {
    const [u1, v1] = view(box(a));
    const [u2, v2] = view(box(b));
    // The three edges from the corner (-1, -1, -1) are the axes, drawn darker.
    const axis = a.every((c, k) => c === -1 || b[k] !== c);
    values.push({ kind: "edge", u: round(u1, 5), v: round(v1, 5), u2: round(u2, 5), v2: round(v2, 5), axis: axis ? 1 : 0 });
  }
  // Each axis named at the end of the box edge along it, from the corner (-1, -1, -1).
  for (let k = 0; k < 3; k++) {
    const end = [-1, -1, -1];
    end[k] = 1.18;
    const [u, v] = view(box(end));
    values.push({ kind: "axis", u: round(u, 5), v: round(v, 5), text: titles[k] ?? `dim ${k + 1}` });
  }
  // The view's extent: the box and the axis names, with a margin; one scale on both screen axes.
  const placed = values.filter((v) => v.kind !== "point");
  const us = placed.flatMap((v) => [v.u as number, (v.u2 ?? v.u) as number]);
  const vs = placed.flatMap((v) => [v.v as number, (v.v2 ?? v.v) as number]);
  const margin = 0.12;
  const uRange = [Math.min(...us) - margin, Math.max(...us) + margin];
  const vRange = [Math.min(...vs) - margin, Math.max(...vs) + margin];
  const unit = Math.min(side / (uRange[1] - uRange[0]), height / (vRange[1] - vRange[0]));
  const width3d = Math.round(unit * (uRange[1] - uRange[0]));
  const height3d = Math.round(unit * (vRange[1] - vRange[0]));
  const axisOf = (range: number[]) => ({ scale: { domain: range, nice: false, zero: false }, axis: null });
  const u = axisOf(uRange);
  const v = axisOf(vRange);
  const layers: Json[] = [
    {
      transform: [{ filter: "datum.kind == 'edge'" }],
      mark: { type: "rule" },
      encoding: {
        color: { condition: { test: "datum.axis == 1", value: "#555" }, value: "#ccc" },
        strokeWidth: { condition: { test: "datum.axis == 1", value: 1.4 }, value: 0.8 },
        x: { field: "u", type: "quantitative", ...u }, y: { field: "v", type: "quantitative", ...v }, x2: { field: "u2" }, y2: { field: "v2" },
      },
    },
    {
      transform: [{ filter: "datum.kind == 'point'" }],
      mark: { type: "point", filled: true, opacity: 0.8, stroke: "white", strokeWidth: 0.4 },
      encoding: {
        x: { field: "u", type: "quantitative", ...u },
        y: { field: "v", type: "quantitative", ...v },
        size: { field: "size", type: "quantitative", scale: null, legend: null },
        order: { field: "order", type: "quantitative" },
        color,
        tooltip,
      },
    },
    {
      transform: [{ filter: "datum.kind == 'axis'" }],
      mark: { type: "text", fontSize: 11, color: "#555" },
      encoding: { x: { field: "u", type: "quantitative", ...u }, y: { field: "v", type: "quantitative", ...v }, text: { field: "text" } },
    },
  ];
  return new Chart(KIND, {
    ...frame(options),
    width: width3d,
    height: height3d,
    data: { values },
    layer: layers,
    config: { ...(frame(options).config as Record<string, Json>), view: { stroke: null } },
  });
}
