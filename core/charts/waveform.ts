/**
 * A waveform as `librosa.display.waveshow` draws a long signal: for each pixel column, the band
 * between the lowest and highest sample in it (the min/max envelope), so a minute of audio is a few
 * hundred points whatever its sampling rate. Takes a loaded signal: `waveformChart(await loadAudio(path))`.
 */
import { Chart } from "./chart.ts";
import { ChartError, frame, round, size, type ChartOptions, type Datum } from "./spec.ts";

export interface WaveformSignal {
  /** Mono samples. */
  readonly y: ArrayLike<number>;
  /** Sampling rate in Hz. */
  readonly sr: number;
  /** Channels in `y`, when it holds several one after the other (only 1 is drawn). */
  readonly channels?: number;
}

export interface WaveformOptions extends ChartOptions {
  /** Fill colour of the envelope (default Vega's blue). */
  readonly color?: string;
}

const KIND = "waveform";
const defaults = { width: 600, height: 160, color: "#4c78a8" };

/** The min/max envelope of a mono signal, one column per pixel of `width`. */
export function waveformChart(signal: WaveformSignal, options: WaveformOptions = {}): Chart {
  const { y, sr } = signal;
  if ((signal.channels ?? 1) !== 1) {
    throw new ChartError(KIND, `the signal has ${signal.channels} channels; load it with mono: true (the default) to draw it`);
  }
  if (!(Number.isFinite(sr) && sr > 0)) throw new ChartError(KIND, `sampling rate ${sr} must be a positive number of Hz`);
  if (y.length === 0) throw new ChartError(KIND, "the signal has no samples");
  const width = size(KIND, "width", options.width, defaults.width);
  const columns = Math.min(y.length, Math.max(1, Math.round(width)));
  const values: Datum[] = [];
  let peak = 0;
  for (let c = 0; c < columns; c++) {
    const start = Math.floor((c * y.length) / columns);
    const end = Math.floor(((c + 1) * y.length) / columns);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) throw new ChartError(KIND, `sample ${i} is ${v}`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    peak = Math.max(peak, Math.abs(lo), Math.abs(hi));
    values.push({ t: round((0.5 * (start + end)) / sr, 6), lo: round(lo), hi: round(hi) });
  }
  const extent = peak > 0 ? peak : 1;
  return new Chart(KIND, {
    ...frame(options),
    width,
    height: size(KIND, "height", options.height, defaults.height),
    data: { values },
    // A thin outline keeps columns whose samples are all equal (silence) visible as a line.
    mark: { type: "area", color: options.color ?? defaults.color, stroke: options.color ?? defaults.color, strokeWidth: 0.6 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "Time (s)", scale: { domain: [0, round(y.length / sr, 6)], nice: false } },
      y: { field: "lo", type: "quantitative", title: "Amplitude", scale: { domain: [-extent, extent], nice: true } },
      y2: { field: "hi" },
    },
  });
}
