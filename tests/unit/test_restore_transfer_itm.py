"""Transfer-function wrappers (round trips, dtype) and SDR->HDR inverse tone mapping."""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.algorithms.restore import transfer_bt2100 as tf
from reelgraph.algorithms.restore.itm import ITM_METHODS, inverse_tone_map
from reelgraph.algorithms.restore.itm_bt2408 import (
    bt709_to_bt2020_matrix,
    expansion_curve_bt2408,
    itm_bt2408,
)
from reelgraph.errors import AlgorithmError


def test_pq_round_trip_within_1e4(rng):
    signal = rng.random((64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(tf.pq_inverse_eotf(tf.pq_eotf(signal)), signal, atol=1e-4)
    nits = np.geomspace(0.01, 10000, 200)
    np.testing.assert_allclose(tf.pq_eotf(tf.pq_inverse_eotf(nits)), nits, rtol=1e-4)


def test_float32_frame_pq_agrees_with_colour_science_and_standard_values():
    nits = np.concatenate([np.geomspace(1e-4, 10000, 5000), [0.0, 100.0, 203.0, 1000.0]])
    reference = tf.pq_inverse_eotf(nits)
    fast = tf.pq_inverse_eotf_frame(nits.astype(np.float32))
    assert fast.dtype == np.float32
    assert np.abs(fast - reference).max() < 2e-5  # a twelfth of a 12-bit code value
    # BT.2408 Table 1: 203 cd/m² at 58 % PQ; BT.2100: 10 000 cd/m² at 1.0, 0 at 0.
    assert fast[-2] == pytest.approx(0.5807, abs=1e-4)
    assert float(tf.pq_inverse_eotf_frame(np.float32([10000.0, 0.0, 20000.0, -1.0]))[0]) == (
        pytest.approx(1.0, abs=1e-6)
    )
    frame = np.full((4, 5, 3), 1000.0, np.float32)
    assert tf.pq_inverse_eotf_frame(frame).shape == (4, 5, 3) and frame[0, 0, 0] == 1000.0


def test_hlg_round_trips_within_1e4(rng):
    signal = rng.random((32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(tf.hlg_inverse_eotf(tf.hlg_eotf(signal)), signal, atol=1e-4)
    scene = rng.random(500).astype(np.float32)
    np.testing.assert_allclose(tf.hlg_inverse_oetf(tf.hlg_oetf(scene)), scene, atol=1e-4)
    sdr = rng.random(100)
    np.testing.assert_allclose(tf.bt1886_inverse_eotf(tf.bt1886_eotf(sdr)), sdr, atol=1e-4)


def test_transfer_wrappers_are_float32_in_any_shape():
    for function in (tf.pq_eotf, tf.pq_inverse_eotf, tf.hlg_oetf, tf.bt1886_eotf):
        assert function(0.5).dtype == np.float32
        assert function(np.zeros((2, 3, 4))).shape == (2, 3, 4)
    assert tf.hlg_eotf(np.full((5,), 0.5)).shape == (5,)  # achromatic input stays achromatic


def test_bt709_to_bt2020_matrix_preserves_white_and_is_read_only():
    matrix = bt709_to_bt2020_matrix()
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-6)
    with pytest.raises(ValueError):
        matrix[0, 0] = 1.0


@pytest.mark.parametrize("white", [100.0, 203.0, 300.0])
def test_itm_reference_white_is_a_parameter(white):
    out = itm_bt2408(np.ones((1, 1, 3), np.float32), reference_white=white)
    assert float(tf.pq_eotf(out)[0, 0, 1]) == pytest.approx(white, rel=1e-3)


def test_itm_highlight_expansion_reaches_peak_smoothly():
    y_white = 0.9**2.4
    y = np.linspace(0, 1, 2001, dtype=np.float32)
    curve = expansion_curve_bt2408(y, sdr_reference_white=0.9, peak_luminance=1000.0)
    assert float(curve[-1]) == pytest.approx(1000.0, rel=1e-4)
    assert float(np.interp(y_white, y, curve)) == pytest.approx(203.0, rel=1e-3)
    assert np.all(np.diff(curve) >= 0)  # monotonic
    h = 1e-3
    around = expansion_curve_bt2408(
        np.array([y_white - h, y_white, y_white + h], np.float32),
        sdr_reference_white=0.9,
        peak_luminance=1000.0,
    ).astype(np.float64)
    below, above = (around[1] - around[0]) / h, (around[2] - around[1]) / h
    assert above == pytest.approx(below, rel=0.05)  # value and slope continuous (C1)
    grey = np.full((1, 1, 3), 1.0, np.float32)
    expanded = itm_bt2408(grey, sdr_reference_white=0.9, peak_luminance=1000.0)
    assert float(tf.pq_eotf(expanded)[0, 0, 0]) == pytest.approx(1000.0, rel=2e-3)


def test_itm_without_peak_needs_headroom_message():
    with pytest.raises(AlgorithmError, match="headroom") as caught:
        itm_bt2408(np.ones((2, 2, 3), np.float32), peak_luminance=1000.0)
    assert "sdr_reference_white" in caught.value.hint


def test_itm_keeps_chromaticity_in_bt2020():
    red = np.zeros((1, 1, 3), np.float32)
    red[..., 0] = 1.0
    out = itm_bt2408(red, transfer="pq")
    linear = tf.pq_eotf(out)[0, 0]
    expected = bt709_to_bt2020_matrix() @ np.array([203.0, 0.0, 0.0], np.float32)
    np.testing.assert_allclose(linear, expected, rtol=2e-3, atol=0.01)


@pytest.mark.parametrize("method", sorted(ITM_METHODS))
@pytest.mark.parametrize("transfer", ["pq", "hlg"])
def test_itm_monotonic_range_and_shapes(rng, method, transfer):
    ramp = np.repeat(np.linspace(0, 1, 64, dtype=np.float32)[None, :, None], 3, axis=2)
    out = inverse_tone_map(ramp, transfer=transfer, method=method)
    assert out.dtype == np.float32 and out.shape == ramp.shape
    assert np.all(np.diff(out[0, :, 1]) >= 0) and out.min() >= 0 and out.max() <= 1
    odd = rng.random((7, 3, 3)).astype(np.float32)
    assert inverse_tone_map(odd, transfer=transfer, method=method).shape == (7, 3, 3)


def test_itm_bad_input():
    frame = np.full((4, 4, 3), 0.5, np.float32)
    with pytest.raises(AlgorithmError, match="unknown transfer"):
        inverse_tone_map(frame, transfer="slog3")
    with pytest.raises(AlgorithmError, match="unknown inverse tone mapping method"):
        inverse_tone_map(frame, method="bt2446a")
    with pytest.raises(AlgorithmError, match="unknown option"):
        inverse_tone_map(frame, options={"peak": 1000})
    with pytest.raises(AlgorithmError, match="alpha"):
        inverse_tone_map(np.ones((4, 4, 4), np.float32))
    nan = frame.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(AlgorithmError, match="NaN"):
        inverse_tone_map(nan)
    with pytest.raises(AlgorithmError, match="must exceed"):
        inverse_tone_map(frame, options={"sdr_reference_white": 0.9, "peak_luminance": 150.0})
