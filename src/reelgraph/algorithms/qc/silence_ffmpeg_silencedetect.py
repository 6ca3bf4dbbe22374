"""Digital silence: silent runs with the semantics of FFmpeg's ``silencedetect``, and
channels that are silent throughout.

Reference: FFmpeg ``libavfilter/af_silencedetect.c`` and "silencedetect" in *FFmpeg
Filters* (options ``noise``, ``duration``, ``mono``). A sample is silent when its amplitude
is below ``noise``; with ``mono=0`` (the default, used here for runs) a sample instant is
silent only when every channel is; a silence is reported once it has lasted ``duration``
seconds, from its first silent sample to its last. ``mono=1`` tests each channel on its own;
:func:`silent_channels` applies that to the whole programme, to find a dead channel.

The default ``noise`` here is −90 dBFS rather than FFmpeg's −60 dB: *digital* silence —
zeros, or no more than the dither of 16-bit PCM (one code is −90.3 dBFS) — is what a
delivery check rejects; quiet room tone between lines is not silence.

=================  ===========================  =======================================
input              dtype, shape                 domain
=================  ===========================  =======================================
``samples``        float32/64 ``(n, channels)``  linear, 1.0 = full scale; finite
``rate``           float                        Hz, > 0
returns            int64 ``(k, 2)`` / bool      inclusive sample runs / per channel
=================  ===========================  =======================================

>>> import numpy as np
>>> x = np.full((48000 * 5, 2), 0.1, np.float32); x[48000:48000 * 3] = 0.0
>>> silence_runs(x, 48000).tolist()
[[48000, 143999]]
>>> silent_channels(np.column_stack([x[:, 0], np.zeros(len(x), np.float32)])).tolist()
[False, True]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reelgraph.algorithms.qc.clipping_aes17 import _audio
from reelgraph.algorithms.qc.findings import Severity, mask_to_segments
from reelgraph.errors import AlgorithmError

__all__ = ["STANDARD", "SilenceParameters", "silence_runs", "silent_channels"]

STANDARD = "FFmpeg silencedetect (digital silence, -90 dBFS)"


@dataclass(frozen=True)
class SilenceParameters:
    """Thresholds of the silence check."""

    noise_db: float = -90.0
    """``noise``: a sample below this amplitude, dBFS, is silent."""
    min_duration: float = 2.0
    """``duration``: shortest silence reported, seconds (FFmpeg's default)."""
    severity: Severity = "warning"
    """Severity of a silent run (a pause may be intended)."""
    channel_severity: Severity = "fail"
    """Severity of a channel silent from start to end while others carry sound."""

    def __post_init__(self) -> None:
        if not self.noise_db < 0.0:
            raise AlgorithmError(f"noise_db must be below 0 dBFS, got {self.noise_db}")
        if self.min_duration < 0:
            raise AlgorithmError("min_duration must be >= 0 seconds")

    @property
    def noise(self) -> float:
        """``noise`` as a linear amplitude."""
        return float(10.0 ** (self.noise_db / 20.0))


def silence_runs(
    samples: ArrayLike, rate: float, params: SilenceParameters | None = None
) -> NDArray[np.int64]:
    """Inclusive ``[first, last]`` sample runs where every channel is silent, at least
    ``min_duration`` long."""
    params = params or SilenceParameters()
    if not rate > 0:
        raise AlgorithmError(f"rate must be > 0 Hz, got {rate}")
    audio = _audio(samples)
    if audio.shape[0] == 0:
        return np.zeros((0, 2), np.int64)
    loudest = np.abs(audio).max(axis=1)
    min_samples = max(1, int(np.ceil(params.min_duration * rate)))
    return mask_to_segments(loudest < params.noise, min_frames=min_samples)


def silent_channels(
    samples: ArrayLike, params: SilenceParameters | None = None
) -> NDArray[np.bool_]:
    """Per channel: silent for the whole programme (``silencedetect`` ``mono=1``)."""
    params = params or SilenceParameters()
    audio = _audio(samples)
    if audio.shape[0] == 0:
        return np.zeros(audio.shape[1], bool)
    return np.asarray(np.abs(audio).max(axis=0) < params.noise)
