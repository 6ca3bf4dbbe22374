"""EBU Tech 3342 (v4, 2023) Loudness Range conformance, cases 1–4 from their definitions.

Table 1 of Tech 3342: stereo 1 kHz sines, each level (dBFS) held for 20 s; the meter must
read the stated LRA ±1 LU. Checked at 44.1 and 48 kHz (the 48 kHz EBU files are tested in
test_ebu_testset.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.algorithms.audio.loudness_range_tech3342 import loudness_range


def tone_steps(rate: int, levels_dbfs: list[float], seconds_each: float = 20.0) -> np.ndarray:
    n = round(seconds_each * rate)
    t = np.arange(n * len(levels_dbfs)) / rate
    amplitude = np.repeat([10 ** (level / 20) for level in levels_dbfs], n)
    x = (amplitude * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32)
    return np.stack([x, x], axis=1)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize(
    ("case", "levels", "expected_lu"),
    [
        (1, [-20.0, -30.0], 10.0),
        (2, [-20.0, -15.0], 5.0),
        (3, [-40.0, -20.0], 20.0),
        (4, [-50.0, -35.0, -20.0, -35.0, -50.0], 15.0),
    ],
)
def test_loudness_range_cases(
    rate: int, case: int, levels: list[float], expected_lu: float
) -> None:
    result = loudness_range(tone_steps(rate, levels), rate)
    assert result.lra_lu == pytest.approx(expected_lu, abs=1.0)
    assert result.windows_gated > 0
