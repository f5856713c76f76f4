/**
 * librosa-exact signal processing as pure functions on typed arrays (exported as the `dsp` namespace).
 * Spectral matrices are frame-major (`FrameMatrix`: row t = frame t); `toBinsMajor` gives librosa's
 * (bins x frames) layout.
 */
export { ComplexFFT, RealFFT, isPowerOfTwo, nextPowerOfTwo } from "./fft.ts";
export { getWindow, padCenter, WINDOW_NAMES, type WindowName } from "./window.ts";
export { pad, PAD_MODES, type PadMode } from "./pad.ts";
export { fftFrequencies, hzToMel, melToHz, melFrequencies, hzToOcts, linspace, roundHalfEven } from "./convert.ts";
export { frameMatrix, toBinsMajor, type FrameMatrix } from "./spectrogram.ts";
export { powerSpectrogram, magnitudeFromPower, spectrogramPower, stftFrameCount, stftWindow, type StftOptions } from "./stft.ts";
export { melFilterbank, melFilterbankDense, applyFilterbank, sparseRows, denseRows, type MelOptions, type SparseFilterbank } from "./mel.ts";
export { powerToDb, type PowerToDbOptions } from "./db.ts";
export { dctMatrix, dctFrames } from "./dct.ts";
export { mfccFromMelDb, type MfccOptions } from "./mfcc.ts";
export { piptrack, pitchTuning, estimateTuning, type PiptrackOptions, type PitchPeaks, type TuningOptions } from "./pitch.ts";
export { chromaFilterbank, chromaRuns, chromaFromPower, type ChromaFilterOptions, type ChromaRuns } from "./chroma.ts";
export { spectralContrast, contrastBands, type ContrastOptions } from "./contrast.ts";
export { spectralCentroid, spectralBandwidth, spectralRolloff, type SpectralShapeOptions } from "./spectralShape.ts";
export { onsetStrength, type OnsetOptions } from "./onset.ts";
export { tempogram, padLinearRamp, type Tempogram, type TempogramOptions } from "./tempogram.ts";
export { tempo, tempoFrequencies, tempoWinLength, type TempoOptions } from "./tempo.ts";
export { beatTrack, type BeatTrack, type BeatTrackOptions } from "./beat.ts";
export { zeroCrossingRate, type ZcrOptions } from "./zcr.ts";
export { rms, type RmsOptions } from "./rms.ts";
export { selectKth, medianInPlace, extremeSums } from "./select.ts";
export { hpss, istft, medianFilter1d, reflectIndex, type HpssOptions, type HpssResult } from "./hpss.ts";
