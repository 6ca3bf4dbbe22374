"""Transitions between two clips: a picture dissolve (a linear mix, frame by frame) and a
sound crossfade with constant power.

Reference
---------
* Dissolve: SMPTE's dissolve (transition code ``D`` of the CMX 3600 edit decision list, and
  OpenTimelineIO's ``SMPTE_Dissolve``): the outgoing picture's weight falls linearly to 0
  while the incoming one's rises to 1 over the transition's frames. Frame ``j`` of ``N``
  takes weight ``(j + 1) / (N + 1)`` of the incoming picture, so no frame of the dissolve
  repeats either clip unmixed.
* Crossfade: the constant-power law (the "sine/cosine" or −3 dB pan law of
  F. R. Moore, *Elements of Computer Music*, Prentice Hall 1990, §4.3.5):
  g_out = cos(πx/2), g_in = sin(πx/2), x from 0 to 1, so g_out² + g_in² = 1. Two
  unrelated sounds (different takes) keep their summed loudness through the fade;
  a linear (constant-gain) fade would dip by 3 dB in the middle.

Domain and range
----------------
====================  ==========================================================
``frames``/``count``  int ≥ 0, length of the transition (frames or samples)
``a``, ``b``          float32 arrays of one shape (pictures (H, W, 3) or sound
                      (samples, channels)), any scale; NaN propagates
``weight``            float in [0, 1]: the share of ``b``
returns               float32: weights in (0, 1); gains in [0, 1]; the mix
====================  ==========================================================

Example
-------
>>> dissolve_weights(3).tolist()
[0.25, 0.5, 0.75]
>>> fade_out, fade_in = crossfade_gains(3)
>>> [round(float(g), 3) for g in fade_out ** 2 + fade_in ** 2]
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from reelgraph.errors import AlgorithmError

Array = npt.NDArray[np.float32]


def _count(count: int) -> int:
    if not isinstance(count, int | np.integer) or count < 0:
        raise AlgorithmError(f"a transition's length must be an integer >= 0, got {count!r}")
    return int(count)


def dissolve_weights(frames: int) -> Array:
    """Weight of the incoming picture on each of ``frames`` dissolve frames."""
    n = _count(frames)
    return (np.arange(1, n + 1, dtype=np.float32) / np.float32(n + 1)).astype(np.float32)


def mix(a: Array, b: Array, weight: float) -> Array:
    """``(1 − weight)·a + weight·b`` — one dissolve frame, in one float pass."""
    if a.shape != b.shape:
        raise AlgorithmError(f"cannot mix pictures of shapes {a.shape} and {b.shape}")
    if not 0.0 <= weight <= 1.0:
        raise AlgorithmError(f"a mix weight lies in [0, 1], got {weight!r}")
    out = np.subtract(b, a, dtype=np.float32)
    out *= np.float32(weight)
    out += a
    return out


def crossfade_gains(count: int) -> tuple[Array, Array]:
    """(fade-out gains, fade-in gains) of a constant-power crossfade over ``count``
    samples, sampled at the samples' centres."""
    n = _count(count)
    x = (np.arange(n, dtype=np.float64) + 0.5) / max(n, 1)
    half_pi = np.pi / 2
    return np.cos(half_pi * x).astype(np.float32), np.sin(half_pi * x).astype(np.float32)
