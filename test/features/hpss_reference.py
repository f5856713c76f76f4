"""librosa 0.11's effects.hpss, reimplemented from its source with numpy and scipy (librosa itself is not
installed): core.stft -> decompose.hpss (median filters, util.softmask) -> core.istft, with librosa's
defaults and dtypes (float32 signal, complex64 spectra, float32 output).

Usage: hpss_reference.py Y.npy OUT_DIR [STFT_MAG.npy]
Writes OUT_DIR/y_harm.npy and OUT_DIR/y_perc.npy. With STFT_MAG.npy (librosa's own abs(stft(y)) from the
shared reference), prints the largest difference of this STFT's magnitude from it, relative to its
maximum: the check that this STFT is librosa's.

Sources (librosa 0.11.0): effects.py hpss; decompose.py hpss; util/utils.py softmask;
core/spectrum.py stft, istft, magphase; filters.py window_sumsquare.
"""
import sys

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

N_FFT = 2048
HOP = N_FFT // 4
KERNEL = 31
POWER = 2.0
MARGIN = 1.0


def hann(n):
    # scipy.signal.get_window("hann", n, fftbins=True): the periodic Hann window, float64
    return scipy.signal.get_window("hann", n, fftbins=True)


def stft(y):
    """core.stft: centred with zeros (pad_mode="constant"), frames every HOP, float64 window times the
    float32 frames, rfft, stored as complex64."""
    window = hann(N_FFT)
    padded = np.pad(y, (N_FFT // 2, N_FFT // 2), mode="constant")
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(padded, shape=(N_FFT, n_frames), strides=(padded.strides[0], HOP * padded.strides[0]))
    out = np.empty((N_FFT // 2 + 1, n_frames), dtype=np.complex64)
    out[:] = scipy.fft.rfft(window[:, None] * frames, axis=0)
    return out


def magphase(D):
    mag = np.abs(D)
    zeros_to_ones = mag == 0
    mag_nonzero = mag + zeros_to_ones
    phase = np.empty_like(D, dtype=np.complex64)
    phase.real = D.real / mag_nonzero + zeros_to_ones
    phase.imag = D.imag / mag_nonzero
    return mag, phase


def softmask(X, X_ref, power, split_zeros):
    dtype = X.dtype
    Z = np.maximum(X, X_ref).astype(dtype)
    bad_idx = Z < np.finfo(dtype).tiny
    Z[bad_idx] = 1
    mask = (X / Z) ** power
    ref_mask = (X_ref / Z) ** power
    good_idx = ~bad_idx
    mask[good_idx] /= mask[good_idx] + ref_mask[good_idx]
    mask[bad_idx] = 0.5 if split_zeros else 0.0
    return mask


def decompose_hpss(D):
    S, phase = magphase(D)
    harm = np.empty_like(S)
    harm[:] = scipy.ndimage.median_filter(S, size=(1, KERNEL), mode="reflect")
    perc = np.empty_like(S)
    perc[:] = scipy.ndimage.median_filter(S, size=(KERNEL, 1), mode="reflect")
    split_zeros = MARGIN == 1 and MARGIN == 1
    mask_harm = softmask(harm, perc * MARGIN, POWER, split_zeros)
    mask_perc = softmask(perc, harm * MARGIN, POWER, split_zeros)
    return (S * mask_harm) * phase, (S * mask_perc) * phase


def overlap_add(y, ytmp, hop):
    n_fft = ytmp.shape[0]
    N = n_fft
    for frame in range(ytmp.shape[1]):
        sample = frame * hop
        if N > len(y) - sample:
            N = len(y) - sample
        y[sample : sample + N] += ytmp[:N, frame]


def window_sumsquare(n_frames, dtype=np.float32):
    n = N_FFT + HOP * (n_frames - 1)
    x = np.zeros(n, dtype=dtype)
    win_sq = hann(N_FFT) ** 2
    for i in range(n_frames):
        sample = i * HOP
        x[sample : min(n, sample + N_FFT)] += win_sq[: max(0, min(N_FFT, n - sample))]
    return x


def istft(D, length):
    """core.istft with center=True, length given, dtype float32."""
    window = hann(N_FFT)
    padded_length = length + 2 * (N_FFT // 2)
    n_frames = min(D.shape[1], int(np.ceil(padded_length / HOP)))
    y = np.zeros(length, dtype=np.float32)
    start_frame = int(np.ceil((N_FFT // 2) / HOP))
    ytmp = window[:, None] * scipy.fft.irfft(D[:, :start_frame], n=N_FFT, axis=0)
    head = np.zeros(N_FFT + HOP * (start_frame - 1), dtype=np.float32)
    overlap_add(head, ytmp, HOP)
    if len(y) < len(head) - N_FFT // 2:
        y[:] = head[N_FFT // 2 : len(y) + N_FFT // 2]
    else:
        y[: len(head) - N_FFT // 2] = head[N_FFT // 2 :]
    offset = start_frame * HOP - N_FFT // 2
    ytmp = window[:, None] * scipy.fft.irfft(D[:, start_frame:n_frames], n=N_FFT, axis=0)
    overlap_add(y[offset:], ytmp, HOP)
    wss = window_sumsquare(n_frames)[N_FFT // 2 :]
    wss = np.pad(wss, (0, max(0, length - len(wss))))[:length]
    nonzero = wss > np.finfo(np.float32).tiny
    y[nonzero] /= wss[nonzero]
    return y


def main():
    y = np.load(sys.argv[1]).astype(np.float32)
    out = sys.argv[2]
    D = stft(y)
    if len(sys.argv) > 3:
        ref = np.load(sys.argv[3])
        print(float(np.max(np.abs(np.abs(D) - ref)) / np.max(np.abs(ref))))
    H, P = decompose_hpss(D)
    np.save(f"{out}/y_harm.npy", istft(H, len(y)))
    np.save(f"{out}/y_perc.npy", istft(P, len(y)))


main()
