"""Film grain strength is estimated to within a few percent when the clean picture is known:
a re-grained plate must carry the grain the source had, not a visibly weaker one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from reelgraph.algorithms.restore._checks import luma_bt709
from reelgraph.algorithms.restore.film_grain_av1 import (
    FilmGrainModel,
    estimate_film_grain_av1,
    synthesize_film_grain_av1,
)

EYE = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
AR2 = (0.02, 0.05, 0.08, 0.05, 0.02, 0.05, 0.12, 0.2, 0.12, 0.05, 0.08, 0.1)


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    photo = skimage.data.chelsea().astype(np.float32) / 255.0
    return cv2.GaussianBlur(photo, (0, 0), 1.5)[50:242, 100:356]


@pytest.mark.parametrize(("ar_lag", "ar_coeffs"), [(0, ()), (2, AR2)])
@pytest.mark.parametrize("sigma", [0.01, 0.03])
def test_grain_strength_is_estimated_within_four_percent(
    scene: np.ndarray, ar_lag: int, ar_coeffs: tuple[float, ...], sigma: float
) -> None:
    truth = FilmGrainModel(ar_lag, ar_coeffs, ((0.0, sigma, sigma, sigma),), EYE)
    grain = synthesize_film_grain_av1(truth, luma_bt709(scene), frame_index=0, seed=7)
    grainy = np.clip(scene + grain, 0.0, 1.0).astype(np.float32)
    actual = float(grain.std())  # what was really added (the synthesis is itself random)
    estimate = estimate_film_grain_av1(grainy, scene, ar_lag=max(ar_lag, 1))
    assert estimate.sigma == pytest.approx(actual, rel=0.04)
    # The strength curve too: its mean, and every point within sampling noise (the grain is
    # spatially correlated, so a luma bin of a 256×192 frame holds few independent samples).
    per_bin = np.asarray(estimate.scaling_points)[:, 1:]
    assert per_bin.mean() == pytest.approx(actual, rel=0.04)
    np.testing.assert_allclose(per_bin, actual, rtol=0.12)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_white_grain_has_no_streaks_or_tiling() -> None:
    """AR lag 0 is white grain: neighbouring pixels, across and down, are uncorrelated (a
    block copied wrong makes streaks), and so are pixels a block apart (the same offset
    for every block makes a visible 32-pixel tiling)."""
    model = FilmGrainModel(0, (), ((0.0, 0.02, 0.02, 0.02),), EYE)
    flat = np.full((288, 320), 0.5, np.float32)  # 9 × 10 blocks
    grain = synthesize_film_grain_av1(model, flat, frame_index=3, seed=1)[..., 1]
    for lag in (1, 32):
        assert abs(_correlation(grain[:, lag:], grain[:, :-lag])) < 0.1, f"across, {lag} px"
        assert abs(_correlation(grain[lag:], grain[:-lag])) < 0.1, f"down, {lag} px"
