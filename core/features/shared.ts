/**
 * The intermediates features share within one clip, each computed once through `ctx.memo` under a key
 * that holds every param it depends on: the power spectrogram (the one STFT), the magnitude, mel
 * spectrograms, their dB, onset envelopes. A plugin asks for what it needs; whichever plugin asks
 * first pays for it.
 */
import { FeatureError } from "../errors.ts";
import type { FeatureContext, Signal } from "../plugin.ts";
import { powerToDb } from "../dsp/db.ts";
import { applyFilterbank, melFilterbank } from "../dsp/mel.ts";
import { onsetStrength } from "../dsp/onset.ts";
import type { FrameMatrix } from "../dsp/spectrogram.ts";
import { magnitudeFromPower, powerSpectrogram } from "../dsp/stft.ts";
import type { MelParams, StftParams } from "./params.ts";
import { scratchFloat32 } from "./scratch.ts";

/** The memo key prefix of the STFT itself (tests count these to check the STFT runs once). */
export const STFT_KEY = "stft";

function stftKey(p: StftParams): string {
  return `${p.n_fft}/${p.hop_length}/${p.win_length ?? p.n_fft}/${p.window}/${p.center}/${p.pad_mode}`;
}

/**
 * Refuse signals librosa refuses (`util.valid_audio`: NaN or Inf anywhere) and empty ones, once per
 * clip. `feature` names the asking feature in the error.
 */
export function checkSignal(signal: Signal, feature: string, ctx: FeatureContext): void {
  ctx.memo("signal:checked", () => {
    const { y, sr } = signal;
    if (!(sr > 0) || !Number.isFinite(sr)) throw new FeatureError(feature, undefined, `sampling rate ${sr} is not a positive number`);
    if (y.length === 0) throw new FeatureError(feature, undefined, "the signal is empty (0 samples)");
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      if (v - v !== 0) {
        throw new FeatureError(feature, undefined, `audio buffer is not finite everywhere: sample ${i} is ${v} (librosa refuses it too)`);
      }
    }
    return true;
  });
}

/** Run a DSP step, turning its RangeErrors (bad params for this clip) into a FeatureError. */
export function guard<T>(feature: string, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof RangeError) throw new FeatureError(feature, undefined, error.message, { cause: error });
    throw error;
  }
}

/** |X|², frame-major float32: the one STFT of the clip for these params. */
export function powerSpec(signal: Signal, p: StftParams, ctx: FeatureContext): FrameMatrix<Float32Array> {
  return ctx.memo(`${STFT_KEY}:${stftKey(p)}`, () =>
    powerSpectrogram(signal.y, {
      nFft: p.n_fft,
      hopLength: p.hop_length,
      winLength: p.win_length,
      window: p.window,
      center: p.center,
      padMode: p.pad_mode,
    }, (n) => scratchFloat32(ctx, n)),
  );
}

/** |X| (power 1), derived from the shared |X|². */
export function magSpec(signal: Signal, p: StftParams, ctx: FeatureContext): FrameMatrix<Float32Array> {
  return ctx.memo(`mag:${stftKey(p)}`, () => magnitudeFromPower(powerSpec(signal, p, ctx), (n) => scratchFloat32(ctx, n)));
}

function melKey(p: StftParams & MelParams, sr: number, norm: "slaney" | null): string {
  return `${stftKey(p)}:${p.n_mels}/${p.fmin}/${p.fmax ?? sr / 2}/${p.htk}/${norm}`;
}

/** Mel power spectrogram (power 2), frame-major float32. */
export function melSpec(
  signal: Signal,
  p: StftParams & MelParams,
  ctx: FeatureContext,
  norm: "slaney" | null = "slaney",
): FrameMatrix<Float32Array> {
  return ctx.memo(`mel:${melKey(p, signal.sr, norm)}`, () => {
    const fb = melFilterbank({ sr: signal.sr, nFft: p.n_fft, nMels: p.n_mels, fmin: p.fmin, fmax: p.fmax, htk: p.htk, norm });
    return applyFilterbank(fb, powerSpec(signal, p, ctx));
  });
}

/** power_to_db(mel, ref=1, amin=1e-10, top_db=80): what mfcc and onset_strength both start from. */
export function melDb(
  signal: Signal,
  p: StftParams & MelParams,
  ctx: FeatureContext,
  norm: "slaney" | null = "slaney",
): FrameMatrix<Float32Array> {
  return ctx.memo(`meldb:${melKey(p, signal.sr, norm)}`, () => {
    const mel = melSpec(signal, p, ctx, norm);
    return { data: powerToDb(mel.data), nFrames: mel.nFrames, nBins: mel.nBins };
  });
}

export interface OnsetParams {
  lag: number;
  max_size: number;
  detrend: boolean;
  center: boolean;
  aggregate: "mean" | "median";
}

/** `librosa.onset.onset_strength` of the clip: spectral flux of the dB mel spectrogram, float32. */
export function onsetEnvelope(
  signal: Signal,
  stft: StftParams & MelParams,
  o: OnsetParams,
  ctx: FeatureContext,
): Float32Array {
  const key = `onset:${melKey(stft, signal.sr, "slaney")}:${o.lag}/${o.max_size}/${o.detrend}/${o.center}/${o.aggregate}`;
  return ctx.memo(key, () =>
    onsetStrength(melDb(signal, stft, ctx), {
      lag: o.lag,
      maxSize: o.max_size,
      aggregate: o.aggregate,
      center: o.center,
      nFft: stft.n_fft,
      hopLength: stft.hop_length,
      detrend: o.detrend,
    }),
  );
}

/** The default onset envelope librosa's tempogram, tempo and beat_track compute from y. */
export function defaultOnset(signal: Signal, hopLength: number, aggregate: "mean" | "median", ctx: FeatureContext): Float32Array {
  return onsetEnvelope(
    signal,
    { n_fft: 2048, hop_length: hopLength, win_length: null, window: "hann", center: true, pad_mode: "constant", n_mels: 128, fmin: 0, fmax: null, htk: false },
    { lag: 1, max_size: 1, detrend: false, center: true, aggregate },
    ctx,
  );
}
