"""AV1-style film grain (estimate, synthesise, re-apply) and f3kdb debanding."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import skimage.data

from reelgraph.algorithms.qc.banding_cambi_tandon2021 import BandingParameters, cambi
from reelgraph.algorithms.restore._checks import luma_bt709
from reelgraph.algorithms.restore.deband_f3kdb import deband_f3kdb
from reelgraph.algorithms.restore.film_grain_av1 import (
    FilmGrainModel,
    _ar_template,
    apply_film_grain_av1,
    estimate_film_grain_av1,
    synthesize_film_grain_av1,
)
from reelgraph.algorithms.restore.mctf_buades2016 import denoise_mctf_buades2016
from reelgraph.errors import AlgorithmError

EYE = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
#: A lag-2 AR grain with clear spatial correlation (sum of |a| = 0.94 < 1: stable).
AR2 = (0.02, 0.05, 0.08, 0.05, 0.02, 0.05, 0.12, 0.2, 0.12, 0.05, 0.08, 0.1)


@pytest.fixture(scope="module")
def smooth_scene() -> np.ndarray:
    photo = skimage.data.chelsea().astype(np.float32) / 255.0
    return cv2.GaussianBlur(photo, (0, 0), 1.5)[50:242, 100:356]


def grainy(scene: np.ndarray, model: FilmGrainModel, index: int) -> np.ndarray:
    grain = synthesize_film_grain_av1(model, luma_bt709(scene), frame_index=index, seed=7)
    return np.clip(scene + grain, 0.0, 1.0).astype(np.float32)


# --- estimation --------------------------------------------------------------------


def test_grain_sigma_recovered_within_15_percent_through_the_temporal_denoiser(smooth_scene):
    truth = FilmGrainModel(0, (), ((0.0, 0.03, 0.03, 0.03),), EYE)
    frames = [grainy(smooth_scene, truth, i) for i in range(5)]
    denoised = denoise_mctf_buades2016(frames, 2, sigma=0.03)
    estimate = estimate_film_grain_av1(frames[2], denoised, ar_lag=2)
    assert estimate.sigma == pytest.approx(0.03, rel=0.15)


def test_grain_pattern_and_strength_curve_recovered(smooth_scene):
    truth = FilmGrainModel(2, AR2, ((0.2, 0.02, 0.02, 0.02), (0.8, 0.04, 0.04, 0.04)), EYE)
    noisy = grainy(smooth_scene, truth, 0)
    estimate = estimate_film_grain_av1(noisy, smooth_scene, ar_lag=2, n_points=6)
    points = np.asarray(estimate.scaling_points)
    expected = np.interp(points[:, 0], [0.2, 0.8], [0.02, 0.04])
    np.testing.assert_allclose(points[:, 1:].mean(axis=1), expected, rtol=0.15)
    # The strongest taps (left neighbour and the one above) are found.
    np.testing.assert_allclose(estimate.ar_coeffs[-1], AR2[-1], atol=0.05)
    np.testing.assert_allclose(estimate.ar_coeffs[7], AR2[7], atol=0.05)


def test_estimate_rejects_bad_input(smooth_scene):
    with pytest.raises(AlgorithmError, match="differ"):
        estimate_film_grain_av1(smooth_scene, smooth_scene[:10])
    with pytest.raises(AlgorithmError, match="ar_lag"):
        estimate_film_grain_av1(smooth_scene, smooth_scene, ar_lag=4)
    with pytest.raises(AlgorithmError, match="too small"):
        estimate_film_grain_av1(smooth_scene[:8, :8], smooth_scene[:8, :8])
    nan = smooth_scene.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(AlgorithmError, match="NaN"):
        estimate_film_grain_av1(nan, smooth_scene)


# --- synthesis ---------------------------------------------------------------------


def test_grain_is_deterministic_per_frame_and_changes_between_frames():
    model = FilmGrainModel(2, AR2, ((0.5, 0.02, 0.02, 0.02),), EYE)
    luma = np.full((64, 80), 0.5, np.float32)
    a = synthesize_film_grain_av1(model, luma, frame_index=4, seed=1)
    b = synthesize_film_grain_av1(model, luma, frame_index=4, seed=1)
    c = synthesize_film_grain_av1(model, luma, frame_index=5, seed=1)
    d = synthesize_film_grain_av1(model, luma, frame_index=4, seed=2)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.01 and np.abs(a - d).mean() > 0.01
    assert float(a.std()) == pytest.approx(0.02, rel=0.1)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_grain_covers_the_frame_with_template_blocks_as_av1_does(scale):
    """Every 32×32 block (64×64 after ×2), edge blocks cut short, is one piece of the
    template at the block's random offset (§7.18.3.5), scaled by the luma table."""
    model = FilmGrainModel(2, AR2, ((0.5, 0.02, 0.02, 0.02),), EYE)
    height, width = 75, 101  # not multiples of the block: partial blocks at the edges
    grain = synthesize_film_grain_av1(
        model, np.full((height, width), 0.5, np.float32), frame_index=3, seed=9, scale=scale
    )
    # The same random draws as the synthesiser, in its order: template, then offsets.
    rng = np.random.default_rng([9, 3])
    template = _ar_template(model, rng) @ np.asarray(model.channel_mix, np.float32).T
    block = round(32 * scale)
    if scale != 1.0:
        size = round(template.shape[0] * scale)
        template = cv2.resize(template, (size, size), interpolation=cv2.INTER_CUBIC)
        template -= template.mean(axis=(0, 1))
        template /= np.maximum(template.std(axis=(0, 1)), 1e-6)
    span = template.shape[0] - block
    blocks = (-(-height // block), -(-width // block))
    offset_y, offset_x = rng.integers(0, span + 1, blocks), rng.integers(0, span + 1, blocks)
    for by in range(blocks[0]):
        for bx in range(blocks[1]):
            rows, cols = min(block, height - by * block), min(block, width - bx * block)
            expected = template[
                offset_y[by, bx] : offset_y[by, bx] + rows,
                offset_x[by, bx] : offset_x[by, bx] + cols,
            ] * np.float32(0.02)
            got = grain[by * block : by * block + rows, bx * block : bx * block + cols]
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_grain_follows_the_luma_scaling_function():
    model = FilmGrainModel(0, (), ((0.2, 0.01, 0.01, 0.01), (0.8, 0.05, 0.05, 0.05)), EYE)
    dark = synthesize_film_grain_av1(model, np.full((96, 96), 0.1, np.float32), frame_index=0)
    bright = synthesize_film_grain_av1(model, np.full((96, 96), 0.9, np.float32), frame_index=0)
    assert float(dark.std()) == pytest.approx(0.01, rel=0.1)  # constant beyond the ends
    assert float(bright.std()) == pytest.approx(0.05, rel=0.1)


def test_grain_after_x2_upscale_keeps_its_size_relative_to_the_picture():
    model = FilmGrainModel(2, AR2, ((0.5, 0.02, 0.02, 0.02),), EYE)

    def correlation_length(grain: np.ndarray) -> float:
        g = grain[..., 1] - grain[..., 1].mean()
        lag1 = float((g[:, 1:] * g[:, :-1]).mean() / g.var())
        return lag1

    native = synthesize_film_grain_av1(model, np.full((128, 128), 0.5, np.float32), frame_index=0)
    upscaled = synthesize_film_grain_av1(
        model, np.full((256, 256), 0.5, np.float32), frame_index=0, scale=2.0
    )
    assert float(upscaled.std()) == pytest.approx(0.02, rel=0.1)
    assert correlation_length(upscaled) > correlation_length(native) + 0.1


def test_apply_grain_clips_and_keeps_shape(rng):
    model = FilmGrainModel(1, (0.1, 0.2, 0.1, 0.3), ((0.5, 0.2, 0.2, 0.2),), EYE)
    frame = rng.random((33, 47, 3)).astype(np.float32)
    out = apply_film_grain_av1(frame, model, frame_index=0)
    assert out.shape == frame.shape and out.min() >= 0.0 and out.max() <= 1.0


def test_grain_model_validation_and_serialisation():
    with pytest.raises(AlgorithmError, match="unstable"):
        FilmGrainModel(1, (0.5, 0.5, 0.5, 0.5), ((0.5, 0.02, 0.02, 0.02),), EYE)
    with pytest.raises(AlgorithmError, match="coefficients"):
        FilmGrainModel(2, (0.1,), ((0.5, 0.02, 0.02, 0.02),), EYE)
    with pytest.raises(AlgorithmError, match="increasing"):
        FilmGrainModel(0, (), ((0.5, 0.02, 0.02, 0.02), (0.4, 0.02, 0.02, 0.02)), EYE)
    data = FilmGrainModel(1, (0.1, 0.2, 0.1, 0.3), ((0.5, 0.02, 0.02, 0.02),), EYE).to_dict()
    assert data["schema"] == "FilmGrainModel.1" and data["ar_lag"] == 1


# --- debanding (f3kdb) -------------------------------------------------------------


def banded_gradient() -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:256, 0:512].astype(np.float32)
    smooth = 0.3 + 0.06 * x / 512 + 0.01 * np.sin(y / 40)
    smooth = np.stack([smooth, smooth * 0.95, smooth * 1.05], axis=-1).astype(np.float32)
    return smooth, (np.round(smooth * 255) / 255).astype(np.float32)


def test_deband_lowers_the_banding_score_of_a_quantised_gradient():
    smooth, banded = banded_gradient()
    out = deband_f3kdb(banded)
    # On the delivery QC's CAMBI: from a staircase the QC flags to under half its limit.
    visible = BandingParameters().threshold
    assert cambi(luma_bt709(banded)) > visible
    assert cambi(luma_bt709(out)) < visible / 2
    assert np.abs(out - smooth).mean() < np.abs(banded - smooth).mean()


def test_deband_keeps_texture_and_edges():
    photo = skimage.data.astronaut().astype(np.float32) / 255.0
    out = deband_f3kdb(photo)
    assert np.abs(out - photo).mean() < 0.5 / 255
    edge = np.zeros((32, 32, 3), np.float32)
    edge[:, 16:] = 1.0
    np.testing.assert_array_equal(deband_f3kdb(edge, dither=0.0), edge)


def test_deband_is_deterministic_and_static_across_frames():
    _, banded = banded_gradient()
    a = deband_f3kdb(banded, seed=3)
    np.testing.assert_array_equal(a, deband_f3kdb(banded, seed=3))  # same pattern each frame
    assert np.abs(a - deband_f3kdb(banded, seed=4)).max() > 0


@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 3, 3), (31, 17, 3)])
def test_deband_any_size(rng, shape):
    out = deband_f3kdb(rng.random(shape).astype(np.float32))
    assert out.shape == shape and np.isfinite(out).all()


def test_deband_bad_input():
    with pytest.raises(AlgorithmError, match="alpha"):
        deband_f3kdb(np.zeros((8, 8, 4), np.float32))
    with pytest.raises(AlgorithmError, match="radius"):
        deband_f3kdb(np.zeros((8, 8, 3), np.float32), radius=0)
    with pytest.raises(AlgorithmError, match="1023"):
        deband_f3kdb(np.full((8, 8, 3), 1023.0, np.float32))
