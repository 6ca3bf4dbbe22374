"""Deblocking, spatial and temporal denoising, the dispatcher and the streaming chain."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
import skimage.data
from skimage.metrics import peak_signal_noise_ratio

from reelgraph.algorithms.restore.blockiness_wu1997 import blockiness_wu1997
from reelgraph.algorithms.restore.chain import RestoreParams, restore_stream
from reelgraph.algorithms.restore.deblock_avc2003 import deblock_avc2003, qp_from_blockiness
from reelgraph.algorithms.restore.denoise import (
    DENOISE_METHODS,
    DENOISE_TEMPORAL_RADIUS,
    denoise,
    window_bounds,
)
from reelgraph.algorithms.restore.film_grain_av1 import FilmGrainModel
from reelgraph.algorithms.restore.flow_dis_kroeger2016 import FlowCache
from reelgraph.algorithms.restore.mctf_buades2016 import denoise_mctf_buades2016
from reelgraph.algorithms.restore.nlmeans_buades2005 import denoise_nlmeans_buades2005
from reelgraph.errors import AlgorithmError
from reelgraph.media.models import load_onnx_upscaler, shipped_model

EYE = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


def photo(name: str) -> np.ndarray:
    return getattr(skimage.data, name)()[..., :3].astype(np.float32) / 255.0


def moving_clip(name: str, frames: int, size: tuple[int, int]) -> list[np.ndarray]:
    """A camera pan with sub-pixel steps and a slow zoom across a photograph."""
    image = photo(name)
    width, height = size
    clip = []
    for t in range(frames):
        zoom = 1.0 + 0.003 * t
        matrix = np.float32([[zoom, 0, 20 + 1.37 * t], [0, zoom, 15 + 0.61 * t]])
        warped = cv2.warpAffine(
            image, matrix, (width, height), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
        )
        clip.append(np.clip(warped, 0.0, 1.0))
    return clip


def add_noise(frames: list[np.ndarray], sigma: float, rng: np.random.Generator) -> list[np.ndarray]:
    return [np.clip(f + rng.normal(0, sigma, f.shape), 0, 1).astype(np.float32) for f in frames]


def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    codes = np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)
    _, data = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255.0


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(reference, test, data_range=1.0))


# --- deblocking (H.264 loop-filter decisions) --------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "chelsea"])
def test_deblock_lowers_jpeg_blockiness_and_raises_psnr(name):
    clean = photo(name)
    coded = jpeg(clean, 15)
    before = blockiness_wu1997(coded)
    qp = qp_from_blockiness(before.score)
    out = deblock_avc2003(coded, qp=qp, offset=(before.offset_x, before.offset_y))
    assert blockiness_wu1997(out).score < before.score - 0.4
    assert psnr(clean, out) > psnr(clean, coded) + 0.2


def test_deblock_leaves_real_edges_and_off_grid_pixels_alone():
    frame = np.zeros((32, 32, 3), np.float32)
    frame[:, 16:] = 1.0  # a real edge on the grid: step far above alpha
    assert np.array_equal(deblock_avc2003(frame, qp=40), frame)
    rng = np.random.default_rng(1)
    noise = rng.random((40, 40, 3)).astype(np.float32)
    out = deblock_avc2003(noise, qp=51)
    # Columns and rows 3-4 of every block are more than 2 pixels from any grid line.
    inner = [i for i in range(40) if i % 8 in (3, 4)]
    np.testing.assert_array_equal(out[inner][:, inner], noise[inner][:, inner])


def test_deblock_qp_zero_is_identity_and_odd_sizes_work(rng):
    frame = rng.random((37, 23, 3)).astype(np.float32)
    np.testing.assert_array_equal(deblock_avc2003(frame, qp=0), frame)
    assert deblock_avc2003(frame, qp=40).shape == (37, 23, 3)
    assert deblock_avc2003(frame[:3, :5], qp=40).shape == (3, 5, 3)


def test_deblock_rejects_bad_arguments(rng):
    frame = rng.random((16, 16, 3)).astype(np.float32)
    with pytest.raises(AlgorithmError):
        deblock_avc2003(frame, qp=60)
    with pytest.raises(AlgorithmError, match="block_size"):
        deblock_avc2003(frame, block_size=4)


# --- spatial denoising (non-local means) -------------------------------------------


def test_nlmeans_raises_psnr_of_a_noisy_photograph_by_3_db(rng):
    clean = photo("astronaut")[128:384, 128:384]
    noisy = add_noise([clean], 10 / 255, rng)[0]
    out = denoise_nlmeans_buades2005(noisy, sigma=10 / 255)
    assert psnr(clean, out) > psnr(clean, noisy) + 3.0


def test_nlmeans_keeps_sub_code_precision_of_a_float_gradient():
    row = np.linspace(0.3, 0.31, 256, dtype=np.float32)
    gradient = np.repeat(np.tile(row, (8, 1))[..., None], 3, axis=2)
    out = denoise_nlmeans_buades2005(gradient, sigma=0.5 / 255)
    # OpenCV works on 8 bits; an 8-bit result would hold 3-4 levels on this row.
    assert len(np.unique(out[4, :, 1])) > 100
    assert np.abs(out - gradient).mean() < 0.3 / 255


# --- temporal denoising (flow-compensated) -----------------------------------------


@pytest.fixture(scope="module")
def coffee_clip() -> list[np.ndarray]:
    return moving_clip("coffee", 7, (160, 112))


def test_mctf_beats_noisy_input_by_5_db_and_spatial_by_1_5_db(coffee_clip, rng):
    noisy = add_noise(coffee_clip, 10 / 255, rng)
    temporal = denoise_mctf_buades2016(noisy[1:6], 2, sigma=10 / 255)
    spatial = denoise_nlmeans_buades2005(noisy[3], sigma=10 / 255)
    assert psnr(coffee_clip[3], temporal) > psnr(coffee_clip[3], noisy[3]) + 5.0
    assert psnr(coffee_clip[3], temporal) > psnr(coffee_clip[3], spatial) + 1.5


def test_mctf_with_short_windows_degrades_gracefully(coffee_clip, rng):
    noisy = add_noise(coffee_clip[:3], 10 / 255, rng)
    for window, centre in (([noisy[0]], 0), (noisy[:2], 0), (noisy[:2], 1), (noisy, 2)):
        out = denoise_mctf_buades2016(window, centre, sigma=10 / 255)
        truth = coffee_clip[:3][centre if len(window) > 1 or centre else 0]
        assert np.isfinite(out).all()
        assert psnr(truth, out) > psnr(truth, window[centre]) + 1.0


def test_mctf_does_not_ghost_an_occluding_object(rng):
    background = np.full((64, 64, 3), 0.5, np.float32)
    frames = [background.copy() for _ in range(5)]
    frames[0][20:40, 20:40] = 0.9  # an object only in the first frame
    noisy = add_noise(frames, 0.02, rng)
    out = denoise_mctf_buades2016(noisy, 2, sigma=0.02)
    assert abs(float(out[25:35, 25:35].mean()) - 0.5) < 0.02


# --- dispatcher --------------------------------------------------------------------


def test_dispatcher_runs_every_method_on_frames_and_windows(coffee_clip):
    assert set(DENOISE_METHODS) == set(DENOISE_TEMPORAL_RADIUS) == {"nlmeans", "mctf", "learned"}
    x1 = {"model": load_onnx_upscaler(shipped_model("restore_x1"))}
    for method in DENOISE_METHODS:
        options = x1 if method == "learned" else None
        for frames in (coffee_clip[0], coffee_clip[:5]):
            out = denoise(frames, sigma=0.02, method=method, options=options)
            assert out.shape == coffee_clip[0].shape
    with pytest.raises(AlgorithmError, match="x1 model"):
        denoise(coffee_clip[0], sigma=0.02, method="learned")
    assert denoise(np.stack(coffee_clip[:3]), sigma=0.02, centre=1).shape == coffee_clip[0].shape


def test_dispatcher_rejects_unknown_methods_and_options(coffee_clip):
    with pytest.raises(AlgorithmError, match="unknown denoise method") as caught:
        denoise(coffee_clip[0], sigma=0.02, method="bm3d")
    assert "mctf" in caught.value.hint and "nlmeans" in caught.value.hint
    with pytest.raises(AlgorithmError, match="unknown option") as caught:
        denoise(coffee_clip[0], sigma=0.02, method="nlmeans", options={"strenght": 2})
    assert "strength" in caught.value.hint
    with pytest.raises(AlgorithmError, match="outside"):
        denoise(coffee_clip[:3], sigma=0.02, centre=5)


@pytest.mark.parametrize("method", ["nlmeans", "mctf"])
def test_denoise_bad_input(method):
    nan = np.full((16, 16, 3), 0.5, np.float32)
    nan[2, 2, 0] = np.nan
    for bad, message in (
        (nan, "NaN"),
        (np.full((16, 16, 4), 0.5, np.float32), "alpha"),
        (np.full((16, 16, 3), 700.0, np.float32), "1023"),
    ):
        with pytest.raises(AlgorithmError) as caught:
            denoise(bad, sigma=0.02, method=method)
        assert message in str(caught.value) + caught.value.hint
    with pytest.raises(AlgorithmError):
        denoise([], sigma=0.02, method=method)
    with pytest.raises(AlgorithmError):
        denoise(np.full((8, 8, 3), 0.5, np.float32), sigma=-1.0, method=method)


def test_window_bounds_clip_to_the_shot():
    assert [window_bounds(i, 5, 2) for i in range(5)] == [(0, 3), (0, 4), (0, 5), (1, 5), (2, 5)]
    with pytest.raises(AlgorithmError):
        window_bounds(5, 5, 2)


# --- the streaming chain: chunks, flicker ------------------------------------------


def grain_model() -> FilmGrainModel:
    return FilmGrainModel(1, (0.1, 0.2, 0.1, 0.3), ((0.0, 0.01, 0.01, 0.01),), EYE)


def test_chunked_processing_equals_a_whole_run(coffee_clip, rng):
    clip = add_noise(coffee_clip, 6 / 255, rng)
    params = RestoreParams(
        deblock_qp=30, sigma=6 / 255, upscale_factor=2, deband=True, grain=grain_model()
    )
    whole = list(restore_stream(clip, params))
    radius = params.radius
    cut = 3
    first = list(restore_stream(clip[: cut + radius], params, context_after=radius))
    second = list(
        restore_stream(
            clip[cut - radius :], params, first_index=cut - radius, context_before=radius
        )
    )
    assert len(first) == cut and len(second) == len(clip) - cut
    for a, b in zip(whole, first + second, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_restoration_adds_no_flicker_on_a_static_scene(rng):
    still = photo("chelsea")[100:196, 150:278]
    clip = add_noise([still] * 6, 6 / 255, rng)
    for factor in (1, 2):
        out = list(restore_stream(clip, RestoreParams(sigma=6 / 255, upscale_factor=factor)))
        reference = [
            cv2.resize(
                f, (f.shape[1] * factor, f.shape[0] * factor), interpolation=cv2.INTER_LANCZOS4
            )
            for f in clip
        ]
        flicker_out = np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(out)])
        flicker_in = np.mean([np.abs(b - a).mean() for a, b in itertools.pairwise(reference)])
        assert flicker_out < 0.5 * flicker_in


def test_chain_rejects_bad_parameters(coffee_clip):
    with pytest.raises(AlgorithmError):
        list(restore_stream(coffee_clip[:2], RestoreParams(upscale_factor=3)))
    with pytest.raises(AlgorithmError):
        list(restore_stream(coffee_clip[:2], RestoreParams(denoise_method="median", sigma=0.1)))
    with pytest.raises(AlgorithmError, match="NaN"):
        bad = coffee_clip[1].copy()
        bad[0, 0, 0] = np.nan
        list(restore_stream([coffee_clip[0], bad], RestoreParams(sigma=0.01)))


def test_flows_across_the_window_are_concatenated_from_adjacent_searches():
    """A stream through 5-frame windows searches each neighbouring pair once; the flow
    two frames away is the sum of the steps along the way (here 3 px then 1 px, not
    twice either step)."""
    texture = cv2.GaussianBlur(np.random.default_rng(3).random((96, 160)), (0, 0), 2.0)
    shifts = [0, 1, 4, 5, 7, 8]  # cumulative pan of each frame, px
    frames = {
        t: np.repeat(texture[:, 16 + s : 144 + s, None], 3, 2).astype(np.float32)
        for t, s in enumerate(shifts)
    }
    cache = FlowCache("balanced")
    windows = [cache.window({t: frames[t] for t in range(c - 2, c + 3)}, c) for c in (2, 3)]
    # Searched: 2→1, 1→0, 2→3, 3→4 for the first window; 3→2, 4→5 added by the second
    # (a search per pair would take 8).
    assert cache.computed == 6
    inner = (slice(16, -16), slice(24, -24))
    for centre, flows in zip((2, 3), windows, strict=True):
        for k, flow in zip(range(centre - 2, centre + 3), flows.to_frame, strict=True):
            expected = shifts[centre] - shifts[k]
            assert np.median(flow[inner][..., 0]) == pytest.approx(expected, abs=0.15)
    # Super-resolution registers every neighbour by its own search.
    searched = FlowCache("balanced", concatenate=False)
    for c in (2, 3):
        searched.window({t: frames[t] for t in range(c - 2, c + 3)}, c)
    assert searched.computed == 8
    # Without the variational refinement (low-noise denoising) the pan is still found.
    coarse = FlowCache("balanced", refine=False).window(frames, 2)
    for k, flow in enumerate(coarse.to_frame):
        assert np.median(flow[inner][..., 0]) == pytest.approx(shifts[2] - shifts[k], abs=0.25)


def test_mctf_strips_join_exactly(coffee_clip, rng, monkeypatch):
    """The temporal average works on strips of rows; the patch distance near a strip's edge
    reads the rows beyond it, so the strips give exactly the whole frame's result."""
    import reelgraph.algorithms.restore.mctf_buades2016 as mctf

    noisy = add_noise(coffee_clip[:3], 8 / 255, rng)
    monkeypatch.setattr(mctf, "STRIP_ROWS", 7)  # many strip edges in a small frame
    strips = denoise_mctf_buades2016(noisy, 1, sigma=8 / 255, spatial_strength=0.0)
    monkeypatch.setattr(mctf, "STRIP_ROWS", 10_000)
    whole = denoise_mctf_buades2016(noisy, 1, sigma=8 / 255, spatial_strength=0.0)
    np.testing.assert_array_equal(strips, whole)
