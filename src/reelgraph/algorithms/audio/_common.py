"""Input checks and small helpers shared by the audio algorithm modules (not a public API).

Every public audio algorithm takes ``samples`` shaped ``(samples, channels)`` (a 1-D array is
read as mono), floating point, linear full scale (1.0 = 0 dBFS), and a sample ``rate`` in Hz.
The checks here turn bad input into :class:`reelgraph.errors.AlgorithmError` with a hint,
instead of a NumPy warning or a silently wrong number.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from reelgraph.errors import AlgorithmError

#: Lowest sample rate the audio algorithms accept. The K-weighting shelf sits at 1.68 kHz and
#: needs a Nyquist frequency well above it; 8 kHz is the lowest rate in broadcast use.
MIN_RATE_HZ: Final = 8000.0

#: Number of samples processed at once by the streaming meters: bounds the size of the
#: float64 temporaries to a few MiB per channel whatever the programme length.
CHUNK_SAMPLES: Final = 1 << 15


def check_rate(rate: float) -> float:
    """Return ``rate`` as a float, or raise if it is not a usable sample rate in Hz."""
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise AlgorithmError(
            f"sample rate must be a number in Hz, got {rate!r}", hint="pass rate=48000"
        ) from None
    if not math.isfinite(value) or value < MIN_RATE_HZ:
        raise AlgorithmError(
            f"sample rate {rate!r} Hz is not supported (need a finite rate >= {MIN_RATE_HZ:g} Hz)",
            hint="resample the audio to 48000 Hz first",
        )
    return value


def as_audio(samples: ArrayLike, *, name: str = "samples", offset: int = 0) -> NDArray[np.floating]:
    """Return ``samples`` as a 2-D floating array ``(samples, channels)`` without copying.

    A 1-D array is taken as mono. Integer, boolean and complex arrays are refused (their full
    scale is ambiguous), as are arrays with no channel, and NaN or infinite samples (whose
    position is reported counting from ``offset``, for streamed chunks).
    """
    array = np.asarray(samples)
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        raise AlgorithmError(
            f"{name} must have shape (samples, channels), got shape {array.shape}",
            hint="pass a 1-D mono array or a 2-D (samples, channels) array",
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise AlgorithmError(
            f"{name} must be floating point with 1.0 = full scale, got dtype {array.dtype}",
            hint="convert integer PCM first, e.g. samples.astype(np.float32) / 32768",
        )
    if array.shape[1] == 0:
        raise AlgorithmError(
            f"{name} has no channel (shape {array.shape})",
            hint="pass at least one channel: shape (samples, channels)",
        )
    check_finite(array, name=name, offset=offset)
    return array


def check_finite(array: NDArray[np.floating], *, name: str = "samples", offset: int = 0) -> None:
    """Raise :class:`AlgorithmError` naming the first NaN or infinite sample, if any."""
    # One float64 reduction is far cheaper than a full isfinite() mask and propagates any
    # NaN or inf; only on failure is the offending sample located.
    if array.size == 0 or math.isfinite(float(np.sum(array, dtype=np.float64))):
        return
    bad = np.argwhere(~np.isfinite(array))
    if bad.size == 0:  # the float64 sum overflowed on huge but finite values
        return
    index, channel = (int(v) for v in bad[0])
    raise AlgorithmError(
        f"{name} contains NaN or infinite values (first at sample {index + offset}, "
        f"channel {channel})",
        hint="the decoder or an earlier processing step produced invalid samples; "
        "re-render that step or replace invalid samples before measuring",
    )


def check_finite_fields(parameters: Any, *, skip: tuple[str, ...] = ()) -> None:
    """Raise :class:`AlgorithmError` naming the first field of a parameter dataclass that is
    not a finite number (NaN or inf in a time constant or a level would propagate silently
    into every sample); fields in ``skip`` are not numbers and are not checked."""
    for f in dataclasses.fields(parameters):
        if f.name in skip:
            continue
        value = getattr(parameters, f.name)
        if not (isinstance(value, int | float) and math.isfinite(value)):
            raise AlgorithmError(f"{type(parameters).__name__}.{f.name} must be a finite number")


def resample(x: NDArray[np.float64], rate: float, to_rate_hz: int) -> NDArray[np.float64]:
    """A 1-D signal at ``rate`` Hz brought to ``to_rate_hz`` (returned as is when equal).

    An integer rate goes through SciPy's polyphase filter at the exact ratio of the two rates
    (anti-aliased, no FFT-length artefacts); only a fractional rate, which has no small ratio,
    falls back to FFT resampling.
    """
    if rate == to_rate_hz:
        return x
    if rate.is_integer():
        g = math.gcd(int(rate), to_rate_hz)
        return np.asarray(signal.resample_poly(x, to_rate_hz // g, int(rate) // g), np.float64)
    return np.asarray(signal.resample(x, max(1, round(x.size * to_rate_hz / rate))), np.float64)


def power_to_db(power: NDArray[np.floating] | float, offset_db: float = 0.0) -> NDArray[np.float64]:
    """``offset_db + 10·log10(power)`` with 0 mapped to ``-inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return offset_db + 10.0 * np.log10(np.asarray(power, dtype=np.float64))


def amplitude_to_db(amplitude: NDArray[np.floating] | float) -> NDArray[np.float64]:
    """``20·log10(amplitude)`` with 0 mapped to ``-inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.asarray(amplitude, dtype=np.float64))


def run_lengths(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Start indices and lengths of the runs of equal values in a 1-D boolean array."""
    if mask.size == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    changes = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate(([0], changes)).astype(np.intp)
    ends = np.concatenate((changes, [mask.size])).astype(np.intp)
    return starts, ends - starts


def fill_short_runs(mask: NDArray[np.bool_], value: bool, shorter_than: int) -> NDArray[np.bool_]:
    """Flip runs of ``value`` shorter than ``shorter_than`` that lie between opposite runs.

    Runs touching either end of the array are kept: nothing is known beyond the edges.
    """
    if shorter_than <= 1 or mask.size == 0:
        return mask.copy()
    starts, lengths = run_lengths(mask)
    values = mask[starts]
    interior = (starts > 0) & (starts + lengths < mask.size)
    flip = (values == value) & (lengths < shorter_than) & interior
    new_values = np.where(flip, not value, values)
    return np.repeat(new_values, lengths)
