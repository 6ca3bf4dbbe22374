"""True-peak level of ITU-R BS.1770-5 Annex 2 (4× polyphase FIR oversampling), in dBTP.

Reference
---------
ITU-R BS.1770-5 (11/2023), Annex 2 "Guidelines for accurate measurement of true-peak
level": oversample by at least 4 (to ≥ 192 kHz for 48 kHz material) with a low-pass
interpolating filter, take the absolute value, and read the maximum in dB relative to full
scale (dBTP). The interpolator is a Kaiser-windowed sinc of 20 taps per phase (β = 5.0,
cut-off at the input Nyquist frequency): every phase is flat within ±0.05 dB up to
0.42·fs (20 kHz at 48 kHz). The Annex's optional −12.04 dB input attenuation only
protects fixed-point arithmetic and is not needed in floating point.

Annex 2 prints an example order-48, 4-phase interpolator (12 taps per phase; kept here as
:data:`ANNEX2_PHASES`). It is not used: its two middle phases pass DC at −0.24 dB and a
quarter of the sample rate at +0.22 dB, so a −6.02 dBFS sine at fs/4 with a 60° phase
reads −5.77 dBTP, outside the +0.2 dB that EBU Tech 3341 allows (an ideal 4× interpolator
reads −6.10, as FFmpeg's ebur128 does).

EBU Tech 3341 §2.3 and test signals 15–23 check a meter to +0.2/−0.4 dB.

The polyphase filter is evaluated for all phases at once as one vectorised multiply-add
per tap over shifted views of the input — no Python loop over samples or blocks (chunks of
2^15 samples bound the memory).

Domain and range
----------------
==================  ==============================================================
``samples``         float32/float64, ``(samples, channels)`` or ``(samples,)``, linear,
                    1.0 = full scale; NaN/inf → AlgorithmError
``rate``            float, Hz, >= 8000
``oversampling``    int >= 2 (default 4, the Annex 2 filter)
returns             :class:`TruePeakResult`: linear peak per channel (float, >= 0) and
                    dBTP (``-inf`` for digital silence or empty input)
==================  ==============================================================

Example
-------
>>> import numpy as np
>>> n = np.arange(48000)
>>> fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 4800)  # 0.1 s ramps, as Tech 3341 #16
>>> x = fade * 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)  # fs/4: samples peak at -9 dBFS
>>> float(round(20 * np.log10(np.abs(x).max()), 1)), round(true_peak(x, 48000).max_dbtp, 1)
(-9.0, -6.2)

The waveform peaks at −6.0 dBFS; the 4× points fall 11.25° either side of the crest
(cos 11.25° = −0.17 dB), within Tech 3341's −0.4 dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from reelgraph.algorithms.audio._common import amplitude_to_db, as_audio, check_rate
from reelgraph.errors import AlgorithmError

__all__ = [
    "ANNEX2_PHASES",
    "DEFAULT_OVERSAMPLING",
    "TruePeakMeter",
    "TruePeakResult",
    "TruePeakSeries",
    "interpolation_taps",
    "oversample",
    "true_peak",
    "true_peak_envelope",
    "true_peak_series",
]

#: BS.1770-5 Annex 2's example interpolating FIR, order 48, four phases of 12 taps (one row
#: per phase). The prototype is symmetric: phase 3 is phase 0 reversed, phase 2 is phase 1
#: reversed. For reference only (its ripple is too large for Tech 3341: see the docstring).
_PHASE_0: Final = (
    0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
    -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
    0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500,
)  # fmt: skip
_PHASE_1: Final = (
    -0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
    -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
    0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375,
)  # fmt: skip
ANNEX2_PHASES: Final = np.array(
    [_PHASE_0, _PHASE_1, _PHASE_1[::-1], _PHASE_0[::-1]], dtype=np.float64
)
ANNEX2_PHASES.setflags(write=False)

#: Default oversampling factor: Annex 2's four phases (192 kHz for 48 kHz material).
DEFAULT_OVERSAMPLING: Final = 4

#: Taps per phase of the interpolators: 20 keep every phase within ±0.05 dB to 0.42·fs
#: (12, as in Annex 2's example, cannot: ±0.6 dB at 0.4·fs with this window).
TAPS_PER_PHASE: Final = 20
_KAISER_BETA: Final = 5.0
_SUB_CHUNK: Final = 1 << 15


def interpolation_taps(oversampling: int = DEFAULT_OVERSAMPLING) -> NDArray[np.float64]:
    """Polyphase interpolator, shape ``(oversampling, 20)``: row p gives output phase p.

    Output phase p of input index m is ``Σ_k taps[p, k] · x[m − k]``: the interpolated value
    at input time ``m − (20·L − 1)/(2L) + p/L`` for an L-fold, 20·L-tap linear-phase
    interpolator (m − 9.875 + p/4 for 4×).
    """
    if not isinstance(oversampling, int) or oversampling < 2:
        raise AlgorithmError(
            f"oversampling must be an integer >= 2, got {oversampling!r}",
            hint="BS.1770 Annex 2 asks for at least 4x (192 kHz for 48 kHz audio)",
        )
    n_taps = TAPS_PER_PHASE * oversampling
    prototype = signal.firwin(n_taps, 1.0 / oversampling, window=("kaiser", _KAISER_BETA))
    prototype *= oversampling  # unity gain for the zero-stuffed input
    return np.ascontiguousarray(prototype.reshape(TAPS_PER_PHASE, oversampling).T)


def _oversample_1d(
    x: NDArray[np.float32], history: NDArray[np.float32], taps: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Interpolated samples, shape ``(phases, len(x))``, of ``x`` preceded by 11 ``history``
    samples: ``y[p, m] = Σ_k taps[p, k] · x[m − k]``.

    One vectorised multiply-add per tap over all phases at once: as fast as a BLAS product on
    these shapes, and immune to BLAS thread oversubscription in a process pool.
    """
    n = x.size
    padded = np.concatenate((history, x))
    out = np.empty((taps.shape[0], n), dtype=np.float32)
    scratch = np.empty_like(out)
    last = TAPS_PER_PHASE - 1
    np.multiply(taps[:, 0, np.newaxis], padded[np.newaxis, last : last + n], out=out)
    for k in range(1, TAPS_PER_PHASE):
        np.multiply(
            taps[:, k, np.newaxis], padded[np.newaxis, last - k : last - k + n], out=scratch
        )
        out += scratch
    return out


def oversample(samples: ArrayLike, oversampling: int = DEFAULT_OVERSAMPLING) -> NDArray[np.float32]:
    """Oversampled signal, shape ``(samples·L + 19·L, channels)``, including the filter tail.

    Meant for plots and tests; :func:`true_peak` does not build this array.
    """
    array = np.asarray(samples)
    audio = as_audio(array)
    taps = _taps32(oversampling)
    n, channels = audio.shape
    tail = np.zeros(TAPS_PER_PHASE - 1, dtype=np.float32)
    out = np.empty((n + TAPS_PER_PHASE - 1, oversampling, channels), dtype=np.float32)
    for c in range(channels):
        x = np.concatenate((audio[:, c].astype(np.float32), tail))
        out[:, :, c] = _oversample_1d(x, tail, taps).T
    out = out.reshape(-1, channels)
    return out[:, 0] if array.ndim == 1 else out


def _taps32(oversampling: int) -> NDArray[np.float32]:
    return np.ascontiguousarray(interpolation_taps(oversampling), dtype=np.float32)


@dataclass(frozen=True)
class TruePeakResult:
    """True-peak level per channel."""

    peak: tuple[float, ...]
    """Linear true peak per channel (1.0 = full scale)."""
    oversampling: int
    """Oversampling factor used."""

    @property
    def dbtp(self) -> tuple[float, ...]:
        """True peak per channel, dBTP (``-inf`` for a silent channel)."""
        return tuple(float(v) for v in amplitude_to_db(np.asarray(self.peak)))

    @property
    def max_dbtp(self) -> float:
        """Highest true peak over all channels, dBTP (``-inf`` for silence or no sample)."""
        return float(amplitude_to_db(max(self.peak, default=0.0)))


@dataclass(frozen=True)
class TruePeakSeries:
    """True peak per hop and channel, for plots, findings and limiters."""

    hop_s: float
    """Hop length, seconds; value k covers [k·hop, (k+1)·hop)."""
    peak: NDArray[np.float64]
    """Linear true peak, shape ``(hops, channels)``."""

    @property
    def dbtp(self) -> NDArray[np.float64]:
        """True peak per hop and channel, dBTP."""
        return amplitude_to_db(self.peak)

    @property
    def start_s(self) -> NDArray[np.float64]:
        """Start time of each hop, seconds."""
        return np.arange(self.peak.shape[0], dtype=np.float64) * self.hop_s


class TruePeakMeter:
    """Streaming true-peak meter: :meth:`process` chunks, then :meth:`result`.

    The filter tail is flushed in :meth:`result` (the interpolated samples after the last
    input sample count: a DAC produces them too), so the result equals :func:`true_peak`.
    With ``hop_s`` it also keeps the peak of every hop (for :func:`true_peak_series`).
    """

    def __init__(
        self,
        rate: float,
        channels: int,
        *,
        oversampling: int = DEFAULT_OVERSAMPLING,
        hop_s: float | None = None,
    ) -> None:
        self.rate = check_rate(rate)
        if channels < 1:
            raise AlgorithmError(f"channels must be >= 1, got {channels}")
        self.channels = channels
        self.oversampling = oversampling
        self._taps = _taps32(oversampling)
        self._history = np.zeros((TAPS_PER_PHASE - 1, channels), dtype=np.float32)
        self._peak = np.zeros(channels, dtype=np.float64)
        self._samples = 0
        self._hop_s = hop_s
        if hop_s is not None and not (math.isfinite(hop_s) and hop_s * self.rate >= 1.0):
            raise AlgorithmError(f"hop_s must be at least one sample long, got {hop_s!r}")
        self._hop_peaks: list[NDArray[np.float64]] = []
        self._hop_partial = np.zeros(channels, dtype=np.float64)
        self._next_hop = 1
        self._flushed = False

    def process(self, samples: ArrayLike) -> None:
        """Add the next chunk, shape ``(samples, channels)``."""
        if self._flushed:
            raise AlgorithmError("the meter was already read with result(); make a new one")
        audio = as_audio(samples, offset=self._samples)
        if audio.shape[1] != self.channels:
            raise AlgorithmError(
                f"chunk has {audio.shape[1]} channels, meter was set up for {self.channels}"
            )
        for start in range(0, audio.shape[0], _SUB_CHUNK):
            self._process(audio[start : start + _SUB_CHUNK].astype(np.float32, copy=False), True)

    def _process(self, chunk: NDArray[np.float32], advance: bool) -> None:
        n = chunk.shape[0]
        if n == 0:
            return
        per_sample = np.empty((n, self.channels), dtype=np.float32) if self._hop_s else None
        for c in range(self.channels):
            y = _oversample_1d(chunk[:, c], self._history[:, c], self._taps)
            if per_sample is None:
                self._peak[c] = max(self._peak[c], float(y.max()), float(-y.min()))
            else:
                per_sample[:, c] = np.abs(y).max(axis=0)
                self._peak[c] = max(self._peak[c], float(per_sample[:, c].max()))
        self._history = np.concatenate((self._history, chunk))[-(TAPS_PER_PHASE - 1) :]
        if per_sample is not None and advance:
            self._add_hops(per_sample)
        elif per_sample is not None:
            # The flushed tail belongs to the last (partial) hop.
            self._hop_partial = np.maximum(self._hop_partial, per_sample.max(axis=0))
        if advance:
            self._samples += n

    def _add_hops(self, per_sample: NDArray[np.float32]) -> None:
        assert self._hop_s is not None
        n = per_sample.shape[0]
        start, end = self._samples, self._samples + n
        hop = self._hop_s * self.rate
        ks = np.arange(self._next_hop, int(end / hop) + 2)
        bounds = np.floor(ks * hop + 0.5).astype(np.int64)
        ks, bounds = ks[bounds <= end], bounds[bounds <= end]
        if bounds.size == 0:
            self._hop_partial = np.maximum(self._hop_partial, per_sample.max(axis=0))
            return
        edges = np.concatenate(([0], bounds - start))
        # reduceat over [edges[i], edges[i+1]); a zero-length first piece cannot happen
        # because the previous boundary was consumed in an earlier chunk.
        pieces = np.maximum.reduceat(per_sample, edges[:-1], axis=0).astype(np.float64)
        pieces[0] = np.maximum(pieces[0], self._hop_partial)
        self._hop_peaks.append(pieces)
        tail = per_sample[edges[-1] :]
        self._hop_partial = (
            tail.max(axis=0).astype(np.float64) if tail.size else np.zeros(self.channels)
        )
        self._next_hop = int(ks[-1]) + 1

    def _flush(self) -> None:
        if not self._flushed:
            # Push zeros through the filter so the interpolated tail is measured.
            self._process(np.zeros((TAPS_PER_PHASE - 1, self.channels), np.float32), False)
            self._flushed = True

    def result(self) -> TruePeakResult:
        """True peak of everything processed (ends the stream)."""
        self._flush()
        return TruePeakResult(tuple(float(v) for v in self._peak), self.oversampling)

    def series(self) -> TruePeakSeries:
        """Peak per hop (the last, partial hop included if it has samples); ends the stream."""
        if self._hop_s is None:
            raise AlgorithmError("the meter was made without hop_s; no series was kept")
        self._flush()
        peaks = list(self._hop_peaks)
        last_bound = math.floor((self._next_hop - 1) * self._hop_s * self.rate + 0.5)
        if self._samples > last_bound:
            peaks.append(self._hop_partial[np.newaxis, :])
        elif peaks:  # the tail of the filter rings into the last complete hop
            peaks[-1] = peaks[-1].copy()
            peaks[-1][-1] = np.maximum(peaks[-1][-1], self._hop_partial)
        peak = np.concatenate(peaks) if peaks else np.zeros((0, self.channels))
        return TruePeakSeries(self._hop_s, peak)


def true_peak(
    samples: ArrayLike, rate: float, *, oversampling: int = DEFAULT_OVERSAMPLING
) -> TruePeakResult:
    """Maximum true-peak level per channel (BS.1770-5 Annex 2)."""
    audio = as_audio(samples)
    meter = TruePeakMeter(rate, audio.shape[1], oversampling=oversampling)
    meter.process(audio)
    return meter.result()


def true_peak_series(
    samples: ArrayLike, rate: float, *, hop_s: float = 0.1, oversampling: int = DEFAULT_OVERSAMPLING
) -> TruePeakSeries:
    """True peak of every ``hop_s`` hop per channel (plots, QC findings, limiter checks)."""
    audio = as_audio(samples)
    meter = TruePeakMeter(rate, audio.shape[1], oversampling=oversampling, hop_s=hop_s)
    meter.process(audio)
    return meter.series()


def true_peak_envelope(
    samples: ArrayLike, *, oversampling: int = DEFAULT_OVERSAMPLING
) -> NDArray[np.float32]:
    """Linked true-peak envelope: for each input sample n, the largest absolute value over all
    channels of the input and of the interpolated signal between samples n−1 and n+1.

    Shape ``(samples,)``, linear. A gain g[n] ≤ ceiling / envelope[n] keeps every sample and
    every interpolated point around n under the ceiling; the true-peak limiter builds on it.
    """
    audio = as_audio(samples)
    n, channels = audio.shape
    taps = _taps32(oversampling)
    # Output row m of the interpolator lies between input times m − T/2 and m − T/2 + 1
    # (T taps per phase; group delay T/2 − 1/(2L) samples for phase 0), so the interval
    # (n−1, n+1) is covered by rows n + T/2 − 1 and n + T/2: run the filter T/2 + 1
    # samples past the end.
    half = TAPS_PER_PHASE // 2
    lead = half + 1
    envelope = np.zeros(n, dtype=np.float32)
    history = np.zeros(TAPS_PER_PHASE - 1, dtype=np.float32)
    for c in range(channels):
        x = np.concatenate((audio[:, c].astype(np.float32), np.zeros(lead, np.float32)))
        interpolated = np.empty(x.size, dtype=np.float32)
        previous = history
        for start in range(0, x.size, _SUB_CHUNK):
            piece = x[start : start + _SUB_CHUNK]
            interpolated[start : start + piece.size] = np.abs(
                _oversample_1d(piece, previous, taps)
            ).max(axis=0)
            previous = np.concatenate((previous, piece))[-(TAPS_PER_PHASE - 1) :]
        around = np.maximum(interpolated[half - 1 : half - 1 + n], interpolated[half : half + n])
        np.maximum(envelope, around, out=envelope)
        np.maximum(envelope, np.abs(audio[:, c]), out=envelope)
    return envelope
