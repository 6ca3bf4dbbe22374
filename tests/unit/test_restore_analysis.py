"""Plate analysis: noise, blockiness, banding, effective resolution, 8-bit lattice."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import skimage.data

from reelgraph.algorithms.qc.banding_cambi_tandon2021 import BandingParameters
from reelgraph.algorithms.restore.analysis import (
    PLATE_ANALYSIS_SCHEMA,
    PlateAnalysis,
    analyse_frames,
    lattice_score_8bit,
)
from reelgraph.algorithms.restore.blockiness_wu1997 import blockiness_wu1997
from reelgraph.algorithms.restore.noise_immerkaer1996 import noise_sigma_immerkaer1996
from reelgraph.algorithms.restore.resolution_spectrum_vanderschaaf1996 import (
    resolution_spectrum_vanderschaaf1996,
)
from reelgraph.errors import AlgorithmError


def photo(name: str = "astronaut") -> np.ndarray:
    return getattr(skimage.data, name)()[..., :3].astype(np.float32) / 255.0


def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    codes = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0


def ramp(height: int = 128, width: int = 512, lo: float = 0.3, hi: float = 0.36) -> np.ndarray:
    row = np.linspace(lo, hi, width, dtype=np.float32)
    return np.repeat(np.tile(row, (height, 1))[..., None], 3, axis=2)


# --- noise (Immerkær 1996) ---------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.005, 0.02, 0.05])
def test_noise_sigma_of_white_noise_within_3_percent(rng, sigma):
    flat = np.full((256, 256, 3), 0.5, np.float32)
    noisy = flat + rng.normal(0, sigma, flat.shape).astype(np.float32)
    estimate = noise_sigma_immerkaer1996(noisy)
    np.testing.assert_allclose(estimate, sigma, rtol=0.03)


def test_noise_sigma_per_channel(rng):
    flat = np.full((192, 192, 3), 0.5, np.float32)
    noisy = flat + rng.normal(0, 1, flat.shape).astype(np.float32) * np.float32([0.01, 0.02, 0.04])
    np.testing.assert_allclose(noise_sigma_immerkaer1996(noisy), [0.01, 0.02, 0.04], rtol=0.05)


def test_noise_sigma_on_a_photograph_tracks_added_noise(rng):
    clean = photo("chelsea")
    noisy = np.clip(clean + rng.normal(0, 10 / 255, clean.shape), 0, 1).astype(np.float32)
    # The photo's own noise adds in quadrature; texture must not inflate it much.
    estimate = noise_sigma_immerkaer1996(noisy, edge_fraction=0.3).mean() * 255
    assert 9.5 < estimate < 11.5


def test_noise_sigma_tiny_frame_returns_zeros():
    assert noise_sigma_immerkaer1996(np.zeros((2, 5, 3), np.float32)).tolist() == [0, 0, 0]


# --- blockiness (GBIM core) --------------------------------------------------------


def test_blockiness_rises_with_jpeg_compression():
    clean = photo()
    scores = [blockiness_wu1997(jpeg(clean, q)).score for q in (90, 50, 10)]
    assert blockiness_wu1997(clean).score < 1.1
    assert scores[0] < scores[1] < scores[2]
    assert scores[2] > 2.0


def test_blockiness_finds_a_shifted_grid():
    coded = jpeg(photo(), 20)[3:, 5:]  # crop: boundaries now at x = 3 mod 8, y = 5 mod 8
    measure = blockiness_wu1997(coded)
    assert (measure.block_size, measure.offset_x, measure.offset_y) == (8, 3, 5)


# --- banding (CAMBI, the delivery QC's score) --------------------------------------


def test_banding_scores_an_8bit_staircase_not_a_smooth_gradient(rng):
    """The plate's banding is the QC's CAMBI on the QC's scale: a staircase the QC would
    flag is flagged here, a smooth, dithered or photographic picture is not."""
    visible = BandingParameters().threshold
    smooth = ramp()
    banded = np.round(smooth * 255) / 255
    dithered = np.clip(banded + rng.normal(0, 0.5 / 255, banded.shape), 0, 1).astype(np.float32)

    def banding(frame: np.ndarray) -> float:
        return analyse_frames([frame.astype(np.float32)]).banding

    assert banding(banded) > visible
    assert banding(smooth) < visible / 4
    assert banding(dithered) < visible / 1.5
    assert banding(photo()) < visible / 10


# --- effective resolution ----------------------------------------------------------


def test_effective_resolution_detects_upscaled_material():
    clean = photo("coffee")
    h, w = clean.shape[:2]
    up2 = cv2.resize(
        cv2.resize(clean, (w // 2, h // 2), interpolation=cv2.INTER_AREA),
        (w, h),
        interpolation=cv2.INTER_LANCZOS4,
    )
    sharp = resolution_spectrum_vanderschaaf1996(clean)
    soft = resolution_spectrum_vanderschaaf1996(up2)
    assert sharp.effective_resolution > 0.9
    assert 0.4 < soft.effective_resolution < 0.7
    assert soft.spectral_slope > sharp.spectral_slope


# --- lattice and the combined analysis ---------------------------------------------


def test_lattice_score_separates_8bit_from_float(rng):
    assert lattice_score_8bit(photo()) > 0.95
    assert lattice_score_8bit(rng.random((64, 64, 3)).astype(np.float32)) < 0.1


def test_lattice_score_sees_8bit_yuv_through_a_bt709_matrix(rng):
    y = rng.integers(60, 196, (64, 64)) / 255.0  # full-range luma codes, no clipping below
    cb = rng.uniform(-0.05, 0.05, (64, 64))
    cr = rng.uniform(-0.05, 0.05, (64, 64))
    r, b = y + 1.5748 * cr, y + 1.8556 * cb
    g = (y - 0.2126 * r - 0.0722 * b) / 0.7152
    rgb = np.clip(np.stack([r, g, b], -1), 0, 1).astype(np.float32)
    assert lattice_score_8bit(rgb) > 0.95


def test_analyse_frames_flags_clean_compressed_8bit_material():
    clean = photo()
    coded = [jpeg(clean, 25) for _ in range(2)]
    result = analyse_frames(coded)
    assert result.looks_generated_8bit
    assert result.blockiness > 1.15 and result.block_size == 8
    assert any("block grid" in reason for reason in result.reasons)


def test_analyse_frames_does_not_flag_a_noisy_camera_plate(rng):
    noisy = np.clip(photo() + rng.normal(0, 4 / 255, (512, 512, 3)), 0, 1).astype(np.float32)
    result = analyse_frames([noisy])
    assert not result.looks_generated_8bit
    assert 3.5 < result.noise_sigma_luma * 255 < 5.5
    assert result.reasons == ()


def test_plate_analysis_to_dict_is_json_with_schema_and_every_field(rng):
    result = analyse_frames([rng.random((48, 80, 3)).astype(np.float32)])
    data = json.loads(json.dumps(result.to_dict()))
    assert data["schema"] == PLATE_ANALYSIS_SCHEMA == "PlateAnalysis.1"
    fields = set(PlateAnalysis.__dataclass_fields__)
    assert set(data) == fields | {"schema"}  # schema drift fails here


# --- shapes and bad input ----------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 7, 3), (17, 33, 3), (101, 37, 3)])
def test_analysis_functions_accept_any_size(rng, shape):
    frame = rng.random(shape).astype(np.float32)
    result = analyse_frames([frame])
    values = [v for v in result.to_dict().values() if isinstance(v, float)]
    assert all(np.isfinite(values))


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.full((16, 16, 4), 0.5, np.float32), "alpha"),
        (np.full((16, 16, 3), 512.0, np.float32), "values up to"),
        (np.full((16, 16), 0.5, np.float32), "shape"),
        (np.zeros((0, 16, 3), np.float32), "empty"),
        (np.full((16, 16, 3), 128, np.uint8), "integer dtype"),
    ],
)
def test_bad_frames_raise_algorithm_error_with_hint(frame, message):
    with pytest.raises(AlgorithmError, match=message) as caught:
        analyse_frames([frame])
    assert caught.value.hint


def test_nan_frames_raise(rng):
    frame = rng.random((16, 16, 3)).astype(np.float32)
    frame[3, 4, 1] = np.nan

    def plate(f):
        return analyse_frames([f])

    for function in (noise_sigma_immerkaer1996, blockiness_wu1997, plate):
        with pytest.raises(AlgorithmError, match="NaN"):
            function(frame)


def test_analyse_frames_rejects_no_frames_and_mixed_sizes(rng):
    with pytest.raises(AlgorithmError):
        analyse_frames([])
    with pytest.raises(AlgorithmError, match="differ"):
        analyse_frames([rng.random((8, 8, 3)), rng.random((8, 9, 3))])
