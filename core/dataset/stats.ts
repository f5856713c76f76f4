/**
 * `clave dataset stats`: class balance and durations, one row per label plus a total — how many
 * tracks in each split, the label's share of the tracks, its artists, and its durations.
 */
import { EXCLUDED, type Manifest } from "./manifest.ts";

export interface LabelStats {
  label: string;
  tracks: number;
  /** Fraction of all tracks. */
  share: number;
  train: number;
  validation: number;
  test: number;
  excluded: number;
  /** Tracks with no split yet. */
  unsplit: number;
  /** Distinct known artists. */
  artists: number;
  min_s: number | null;
  mean_s: number | null;
  max_s: number | null;
  /** Sum of durations, hours. */
  total_h: number | null;
}

export const TOTAL_LABEL = "(all)";

function summarise(label: string, rows: Manifest["rows"], all: number): LabelStats {
  const durations = rows.map((r) => r.duration_s).filter((d): d is number => d !== null);
  const sum = durations.reduce((a, b) => a + b, 0);
  const count = (split: string) => rows.filter((r) => r.split === split).length;
  return {
    label,
    tracks: rows.length,
    share: all === 0 ? 0 : rows.length / all,
    train: count("train"),
    validation: count("validation"),
    test: count("test"),
    excluded: count(EXCLUDED),
    unsplit: count(""),
    artists: new Set(rows.map((r) => r.artist.trim().toLowerCase()).filter((a) => a !== "")).size,
    min_s: durations.length ? Math.min(...durations) : null,
    mean_s: durations.length ? sum / durations.length : null,
    max_s: durations.length ? Math.max(...durations) : null,
    total_h: durations.length ? sum / 3600 : null,
  };
}

/** One row per label (sorted by name), then the total row labelled `(all)`. */
export function datasetStats(manifest: Pick<Manifest, "rows">): LabelStats[] {
  const labels = [...new Set(manifest.rows.map((r) => r.label))].sort();
  const n = manifest.rows.length;
  return [
    ...labels.map((label) => summarise(label, manifest.rows.filter((r) => r.label === label), n)),
    summarise(TOTAL_LABEL, manifest.rows, n),
  ];
}
