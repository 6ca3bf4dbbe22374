"""K-weighting derived from the analog prototype against the BS.1770-5 tables."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from reelgraph.algorithms.audio.k_weighting_bs1770 import (
    k_weighting_coefficients,
    k_weighting_filter,
)
from reelgraph.errors import AlgorithmError

# ITU-R BS.1770-5 Annex 1, Table 1 (pre-filter) and Table 2 (RLB), 48 kHz.
TABLE_1 = {
    "b0": 1.53512485958697,
    "b1": -2.69169618940638,
    "b2": 1.19839281085285,
    "a1": -1.69065929318241,
    "a2": 0.73248077421585,
}
TABLE_2 = {"b0": 1.0, "b1": -2.0, "b2": 1.0, "a1": -1.99004745483398, "a2": 0.99007225036621}


def test_coefficients_reproduce_bs1770_tables_at_48k() -> None:
    c = k_weighting_coefficients(48000)
    derived_1 = dict(zip(["b0", "b1", "b2"], c.shelf_b, strict=True)) | {
        "a1": c.shelf_a[1],
        "a2": c.shelf_a[2],
    }
    derived_2 = dict(zip(["b0", "b1", "b2"], c.highpass_b, strict=True)) | {
        "a1": c.highpass_a[1],
        "a2": c.highpass_a[2],
    }
    for key, value in TABLE_1.items():
        assert derived_1[key] == pytest.approx(value, abs=1e-8), key
    for key, value in TABLE_2.items():
        assert derived_2[key] == pytest.approx(value, abs=1e-8), key
    assert c.shelf_a[0] == 1.0 and c.highpass_a[0] == 1.0


def _response_db(rate: float, frequencies: np.ndarray) -> np.ndarray:
    _, h = signal.sosfreqz(k_weighting_coefficients(rate).sos, worN=frequencies, fs=rate)
    return 20 * np.log10(np.abs(h))


@pytest.mark.parametrize("rate", [32000, 44100, 88200, 96000, 192000])
def test_response_matches_48k_at_other_rates(rate: int) -> None:
    """Same curve at every rate below ~12 kHz (bilinear warping only bites near Nyquist)."""
    f = np.geomspace(20, min(12000, 0.35 * rate), 60)
    np.testing.assert_allclose(_response_db(rate, f), _response_db(48000, f), atol=0.02)


def test_known_points_of_the_curve() -> None:
    f = np.array([20.0, 1000.0, 10000.0])
    db = _response_db(48000, f)
    assert db[0] < -10  # RLB high-pass cuts the lowest octave
    assert abs(db[1]) < 0.7  # ~0 dB at 1 kHz (the −0.691 offset compensates)
    assert 3.5 < db[2] < 4.5  # +4 dB head shelf


def test_filter_shapes_and_errors(rng: np.random.Generator) -> None:
    mono = rng.standard_normal(1000).astype(np.float32)
    assert k_weighting_filter(mono, 48000).shape == (1000,)
    multi = rng.standard_normal((1000, 3))
    out = k_weighting_filter(multi, 48000)
    assert out.shape == (1000, 3) and out.dtype == np.float64
    np.testing.assert_allclose(out[:, 1], k_weighting_filter(multi[:, 1], 48000))
    assert k_weighting_filter(np.zeros((0, 2)), 48000).shape == (0, 2)
    with pytest.raises(AlgorithmError):
        k_weighting_filter(np.array([0.0, np.nan]), 48000)
    with pytest.raises(AlgorithmError):
        k_weighting_coefficients(3000)
    with pytest.raises(AlgorithmError):
        k_weighting_coefficients(float("nan"))
