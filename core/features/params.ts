/**
 * Param fragments the feature plugins share, named and defaulted as librosa names and defaults them
 * (librosa 0.11: sr 22050 comes from the signal, n_fft 2048, hop_length 512, periodic Hann window,
 * center=True with zero padding, 128 Slaney mel bands).
 */
import { z } from "zod";
import { PAD_MODES } from "../dsp/pad.ts";
import { WINDOW_NAMES } from "../dsp/window.ts";

/** STFT params (`librosa.stft`). */
export const stftShape = {
  n_fft: z.number().int().min(2).default(2048).describe("FFT size in samples (powers of two are fastest)"),
  hop_length: z.number().int().positive().default(512).describe("samples between successive frames"),
  win_length: z.number().int().positive().nullable().default(null).describe("window length in samples; null = n_fft"),
  window: z.enum(WINDOW_NAMES).default("hann").describe("analysis window (periodic, as scipy's get_window)"),
  center: z.boolean().default(true).describe("pad n_fft/2 on each side so frame t is centred at t*hop_length"),
  pad_mode: z.enum(PAD_MODES).default("constant").describe("padding when center=true (librosa >= 0.10: constant zeros)"),
};

/** Mel filterbank params (`librosa.filters.mel`). */
export const melShape = {
  n_mels: z.number().int().positive().default(128).describe("number of mel bands"),
  fmin: z.number().min(0).default(0).describe("lowest frequency (Hz)"),
  fmax: z.number().positive().nullable().default(null).describe("highest frequency (Hz); null = sr/2"),
  htk: z.boolean().default(false).describe("HTK mel scale instead of Slaney's"),
};

/** A norm as librosa takes it: "inf" (np.inf, max |x|), a p-norm, or null for none. */
export const normParam = z.union([z.literal("inf"), z.number().positive(), z.null()]);

export function normValue(norm: "inf" | number | null): number | null {
  return norm === "inf" ? Infinity : norm;
}

export type StftParams = {
  n_fft: number;
  hop_length: number;
  win_length: number | null;
  window: (typeof WINDOW_NAMES)[number];
  center: boolean;
  pad_mode: (typeof PAD_MODES)[number];
};

export type MelParams = { n_mels: number; fmin: number; fmax: number | null; htk: boolean };

/** The STFT params librosa uses inside onset_strength, tempogram and beat_track (centred, zero-padded). */
export function defaultStft(n_fft: number, hop_length: number): StftParams {
  return { n_fft, hop_length, win_length: null, window: "hann", center: true, pad_mode: "constant" };
}
