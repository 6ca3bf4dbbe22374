"""Rotoscoping algorithms and the per-frame chain (reelgraph.algorithms.roto)."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

from reelgraph.algorithms.roto.chain import RotoParams, RotoTracker
from reelgraph.algorithms.roto.edge_shift_chamfer_barrow1977 import edge_shift
from reelgraph.algorithms.roto.guided_filter_he2013 import guided_feathering, guided_filter
from reelgraph.algorithms.roto.temporal_fusion_bai2009 import fuse_alpha, propagate_alpha
from reelgraph.algorithms.roto.trimap_morphology_xu2017 import (
    TRIMAP_BACKGROUND,
    TRIMAP_FOREGROUND,
    TRIMAP_UNKNOWN,
    trimap_morphology,
)
from reelgraph.errors import AlgorithmError
from roto_clips import RotoClip, clip_frames, frame_and_truth, pole_coverage, subject_alpha

SMALL = RotoClip(width=320, height=180, frames=16)


def _iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    mine, true = alpha >= 0.5, truth >= 0.5
    return float(np.count_nonzero(mine & true) / max(1, np.count_nonzero(mine | true)))


def _keyframe_run(clip: RotoClip, keys: dict[int, np.ndarray] | None = None) -> list:
    tracker = RotoTracker(RotoParams())
    out = []
    for t, (frame, truth) in enumerate(clip_frames(clip)):
        key = (truth >= 0.5).astype(np.float32) if t == 0 else None
        if keys and t in keys:
            key = keys[t]
        out.append((tracker.step(frame, keyframe=key), truth))
    return out


# -- trimap ----------------------------------------------------------------------------------


def test_trimap_band_straddles_the_edge_by_band_pixels() -> None:
    mask = np.zeros((40, 40), np.float32)
    mask[:, 20:] = 1.0
    trimap = trimap_morphology(mask, 3)
    row = trimap[20]
    assert set(row[:17]) == {TRIMAP_BACKGROUND}
    assert set(row[17:23]) == {TRIMAP_UNKNOWN}  # 3 px each side of the 0.5 edge
    assert set(row[23:]) == {TRIMAP_FOREGROUND}
    unsure = np.zeros_like(mask, dtype=bool)
    unsure[5, 35] = True
    assert trimap_morphology(mask, 3, unsure=unsure)[5, 35] == TRIMAP_UNKNOWN


def test_trimap_nan_is_background_and_bad_input_raises() -> None:
    mask = np.full((8, 8), np.nan, np.float32)
    assert set(trimap_morphology(mask, 1).ravel()) == {TRIMAP_BACKGROUND}
    with pytest.raises(AlgorithmError):
        trimap_morphology(np.zeros((0, 0), np.float32), 1)
    with pytest.raises(AlgorithmError):
        trimap_morphology(np.zeros((8, 8), np.float32), 0)


# -- guided filter -----------------------------------------------------------------------------


def test_guided_filter_moves_a_misplaced_mask_edge_onto_the_image_edge() -> None:
    frame = np.zeros((48, 64, 3), np.float32)
    frame[:, 32:] = (0.9, 0.6, 0.3)
    coarse = np.zeros((48, 64), np.float32)
    coarse[:, 29:] = 1.0  # 3 px off
    trimap = trimap_morphology(coarse, 4)
    matte = guided_feathering(frame, coarse, trimap, 6, 1e-4)
    assert _iou(matte, (frame[..., 0] > 0.5).astype(np.float32)) > 0.96
    assert _iou(coarse, (frame[..., 0] > 0.5).astype(np.float32)) < 0.95


@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (33, 5), (64, 48)])
def test_guided_filter_any_shape_and_subsampling(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    frame = rng.random((*shape, 3), dtype=np.float32)
    mask = (rng.random(shape) > 0.5).astype(np.float32)
    for subsample in (1, 4):
        out = guided_filter(frame, mask, 3, 1e-3, subsample=subsample)
        assert out.shape == shape and np.isfinite(out).all()


def test_guided_filter_nan_and_bad_arguments() -> None:
    frame = np.full((16, 16, 3), np.nan, np.float32)
    out = guided_filter(frame, np.ones((16, 16), np.float32), 2, 1e-3)
    assert np.isfinite(out).all()
    with pytest.raises(AlgorithmError):
        guided_filter(np.zeros((16, 16, 3), np.float32), np.zeros((16, 16), np.float32), 0, 1e-3)
    with pytest.raises(AlgorithmError):
        guided_filter(np.zeros((16, 8, 3), np.float32), np.zeros((16, 16), np.float32), 2, 1e-3)


@pytest.mark.parametrize(
    ("radius", "eps", "subsample"), [(0, 1e-3, 1), (2, 0.0, 1), (2, float("nan"), 1), (2, 1e-3, 0)]
)
def test_filter_and_feathering_refuse_the_same_bad_settings(
    radius: int, eps: float, subsample: int
) -> None:
    frame = np.zeros((16, 16, 3), np.float32)
    mask = np.zeros((16, 16), np.float32)
    mask[:, 8:] = 1.0
    trimap = trimap_morphology(mask, 2)
    for call in (
        lambda: guided_filter(frame, mask, radius, eps, subsample=subsample),
        lambda: guided_feathering(frame, mask, trimap, radius, eps, subsample=subsample),
    ):
        with pytest.raises(AlgorithmError) as caught:
            call()
        assert caught.value.hint == "radius and subsample are whole numbers >= 1 and eps is > 0"


# -- temporal fusion, edge shift -----------------------------------------------------------------


def test_propagation_moves_the_matte_with_the_flow_and_fusion_weights_it() -> None:
    alpha = np.zeros((48, 64), np.float32)
    alpha[10:30, 10:30] = 1.0
    flow = np.zeros((48, 64, 2), np.float32)
    flow[..., 0], flow[..., 1] = -4.0, -2.0  # content moved 4 right, 2 down
    carried = propagate_alpha(alpha, flow, -flow)
    moved = np.zeros_like(alpha)
    moved[12:32, 14:34] = 1.0
    assert _iou(carried.visible, moved) > 0.95
    fused = fuse_alpha(carried.visible, carried.confidence, np.zeros_like(alpha), memory=0.5)
    assert float(fused.max()) == pytest.approx(0.5, abs=0.01)
    with pytest.raises(AlgorithmError):
        fuse_alpha(alpha, alpha, alpha, memory=1.5)


def test_edge_shift_reference_values_and_empty_mattes() -> None:
    a = np.zeros((60, 60), np.float32)
    a[10:50, 10:50] = 1.0
    assert edge_shift(a, a) == 0.0
    b = np.zeros_like(a)
    b[10:50, 13:53] = 1.0  # 3 px right: the sides move 3, the top and bottom overlap
    assert 1.0 < edge_shift(a, b) < 3.0
    assert np.isnan(edge_shift(a, np.zeros_like(a)))


# -- the chain ---------------------------------------------------------------------------------


def test_keyframe_only_follows_the_subject_through_occlusion_and_scale() -> None:
    results = _keyframe_run(SMALL)
    ious = [_iou(r.alpha, truth) for r, truth in results]
    assert min(ious[:7]) > 0.95, np.round(ious, 3)  # moving, growing, before the pole
    assert np.mean(ious) > 0.93, np.round(ious, 3)
    assert min(ious) > 0.75, np.round(ious, 3)  # the pole is cut out while it passes
    assert ious[-1] > 0.95  # back on the whole subject after the pole has passed
    for r, _ in results:
        assert r.alpha.dtype == np.float32
        assert float(r.alpha.min()) >= 0.0 and float(r.alpha.max()) <= 1.0


def test_keyframes_are_reproduced_exactly_on_their_frames() -> None:
    _, truth7 = frame_and_truth(SMALL, 7)
    painted = (truth7 >= 0.5).astype(np.float32) * 0.75  # a semi-transparent painted mask
    results = _keyframe_run(SMALL, {7: painted})
    assert np.array_equal(results[0][0].alpha, (results[0][1] >= 0.5).astype(np.float32))
    assert np.array_equal(results[7][0].alpha, painted)
    assert results[7][0].source == "keyframe" and results[8][0].source == "propagated"


def test_chain_is_deterministic() -> None:
    first = [r.alpha for r, _ in _keyframe_run(RotoClip(width=160, height=90, frames=6))]
    second = [r.alpha for r, _ in _keyframe_run(RotoClip(width=160, height=90, frames=6))]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_subject_leaving_the_frame_is_reported_not_fatal() -> None:
    clip = RotoClip(width=240, height=136, frames=16, occlusion=False, exit_at=6)
    results = _keyframe_run(clip)
    assert not any(r.lost or r.needs_keyframe for r, _ in results[:5])
    gone = [t for t, (_, truth) in enumerate(results) if float(truth.max()) < 0.5]
    assert gone, "the clip's subject must leave the frame"
    for r, _ in results[6:]:  # from the exit on, every frame is reported: lost or keyframe
        assert r.lost or r.needs_keyframe
        assert float(r.alpha.min()) >= 0.0 and float(r.alpha.max()) <= 1.0


def test_first_frames_without_a_guess_are_empty_and_keyframe_size_is_checked() -> None:
    tracker = RotoTracker()
    frame, truth = frame_and_truth(SMALL, 0)
    result = tracker.step(frame)
    assert result.source == "none" and result.lost and float(result.alpha.max()) == 0.0
    with pytest.raises(AlgorithmError, match="keyframe matte"):
        tracker.step(frame, keyframe=truth[:-2])


def test_memory_is_flat_in_shot_length() -> None:
    # _keyframe_run keeps every result; measure the streaming chain itself instead.
    def peak(frames: int) -> int:
        clip = RotoClip(width=160, height=90, frames=frames)
        tracker = RotoTracker()
        tracemalloc.start()
        for t, (frame, truth) in enumerate(clip_frames(clip)):
            tracker.step(frame, keyframe=truth if t == 0 else None)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    short, long = peak(4), peak(24)
    assert long < 1.2 * short, (short, long)


def test_model_guess_is_fused_and_refined() -> None:
    """With a coarse, wobbling guess (the truth blurred, shifted and quantised to a
    low-resolution grid, as a model's mask is), the chain's matte is closer to the truth."""
    rng = np.random.default_rng(3)
    tracker = RotoTracker()
    raw_sad, chain_sad = [], []
    for frame, truth in clip_frames(RotoClip(width=240, height=136, frames=8, occlusion=False)):
        dx, dy = rng.integers(-3, 4, size=2)
        shifted = np.roll(truth, (int(dy), int(dx)), axis=(0, 1))
        small = cv2.resize(shifted, (60, 34), interpolation=cv2.INTER_AREA)
        guess = cv2.resize(small, (240, 136), interpolation=cv2.INTER_LINEAR)
        result = tracker.step(frame, guess=guess)
        raw_sad.append(np.abs(guess - truth).sum())
        chain_sad.append(np.abs(result.alpha - truth).sum())
    assert np.mean(chain_sad) < 0.8 * np.mean(raw_sad)


def test_a_model_mask_that_takes_the_occluder_for_the_subject_is_overruled() -> None:
    """A segmenter takes the pole passing in front for part of the subject (its mask is
    subject ∪ pole): the chain cuts the pole out where it covers the subject and ignores
    it away from the subject."""
    clip = RotoClip(width=320, height=180, frames=16)
    tracker = RotoTracker()
    chain_iou, raw_iou = [], []
    for t, (frame, truth) in enumerate(clip_frames(clip)):
        guess = np.maximum(subject_alpha(clip, t), pole_coverage(clip, t))
        key = (truth >= 0.5).astype(np.float32) if t == 0 else None
        result = tracker.step(frame, guess=None if t == 0 else guess, keyframe=key)
        if float((pole_coverage(clip, t) * subject_alpha(clip, t)).max()) > 0.5:
            chain_iou.append(_iou(result.alpha, truth))
            raw_iou.append(_iou(guess, truth))
    assert len(chain_iou) >= 4
    assert np.mean(raw_iou) < 0.8  # the whole pole, top to bottom, is in the guess
    assert np.mean(chain_iou) > 0.9, chain_iou


def test_a_frame_above_the_proxy_size_gets_a_full_size_matte_close_to_the_full_run() -> None:
    """Propagation and fusion on a proxy grid, the soft alpha at full size: the keyframe
    is still exact, the matte has the frame's size and follows the subject as closely as
    the chain run wholly at full size."""
    clip = RotoClip(width=320, height=180, frames=8, occlusion=False)
    proxy, full = RotoTracker(RotoParams(proxy_height=90)), RotoTracker()
    for t, (frame, truth) in enumerate(clip_frames(clip)):
        key = (truth >= 0.5).astype(np.float32) if t == 0 else None
        small, whole = proxy.step(frame, keyframe=key), full.step(frame, keyframe=key)
        assert small.alpha.shape == truth.shape and small.alpha.dtype == np.float32
        assert float(small.alpha.min()) >= 0.0 and float(small.alpha.max()) <= 1.0
        if t == 0:
            assert np.array_equal(small.alpha, key)
        assert _iou(small.alpha, truth) > 0.95
        assert _iou(small.alpha, whole.alpha) > 0.95


def test_track_runs_a_slow_model_on_every_stride_th_frame_but_not_on_keyframes() -> None:
    from types import SimpleNamespace

    from reelgraph.agents.roto import track

    clip = RotoClip(width=160, height=90, frames=7, occlusion=False)
    pairs = list(clip_frames(clip))
    seen: list[float] = []

    def mask(frame: np.ndarray) -> np.ndarray:
        seen.append(float(frame.mean()))
        t = [float(f.mean()) for f, _ in pairs].index(seen[-1])
        return cv2.resize(pairs[t][1], (64, 36), interpolation=cv2.INTER_AREA)  # model size

    model = SimpleNamespace(spec=SimpleNamespace(stride=2), mask=mask)
    keys = {4: (pairs[4][1] >= 0.5).astype(np.float32)}
    frames = [(t, frame) for t, (frame, _) in enumerate(pairs)]
    out = list(track(frames, RotoTracker(), model, keys))  # type: ignore[arg-type]
    assert [t for t, _, _ in out] == list(range(7))
    means = [float(f.mean()) for f, _ in pairs]
    assert sorted(means.index(v) for v in seen) == [0, 2, 6]  # not 4: it has a keyframe
    sources = [r.source for _, _, r in out]
    assert sources == ["model", "propagated", "fused", "propagated", "keyframe",
                       "propagated", "fused"]  # fmt: skip
    assert all(_iou(r.alpha, pairs[t][1]) > 0.9 for t, _, r in out)


def test_a_part_the_model_always_misses_is_not_erased_while_an_occluder_passes() -> None:
    """A segmenter that leaves out the same part of the subject on every frame loses its
    say there while the motion carries that part surely, so when a pole crosses (the
    motion is unsure) the part is kept — and is still there after the pole has passed."""

    def run(params: RotoParams) -> list[float]:
        clip = RotoClip(width=320, height=180, frames=16, shape="lobes", seed=11)
        tracker, ious = RotoTracker(params), []
        for t, (frame, truth) in enumerate(clip_frames(clip)):
            xs = np.nonzero(truth >= 0.5)[1]
            guess = truth.copy()
            guess[:, int(np.percentile(xs, 80)) :] = 0.0  # the right fifth, always missed
            key = (truth >= 0.5).astype(np.float32) if t == 0 else None
            result = tracker.step(frame, guess=None if t == 0 else guess, keyframe=key)
            ious.append(_iou(result.alpha, truth))
        return ious

    learnt, trusting = run(RotoParams()), run(RotoParams(reliability_rate=0.0))
    assert np.mean(learnt) > np.mean(trusting) + 0.02, (learnt, trusting)
    assert learnt[-1] > trusting[-1] + 0.04, (learnt, trusting)  # after the pole


def test_an_occluder_that_matches_itself_is_kept_out_of_the_matte_until_it_has_passed() -> None:
    """A grey, weakly textured pole crossing the blob over the rocket passes the
    photometric check against the previous frame (it matches itself, moved with the
    subject); where the previous frame already showed it, only the subject's remembered
    look lets a pixel back in, so the pole is not taken into the matte frame after frame
    (which once ended with the subject lost) and the subject is whole after it passes."""
    clip = RotoClip(width=320, height=180, frames=16, shape="lobes", seed=11, background="rocket")
    ious = [_iou(result.alpha, truth) for result, truth in _keyframe_run(clip)]
    assert min(ious) > 0.75, np.round(ious, 2)
    assert min(ious[-4:]) > 0.95, np.round(ious, 2)  # the pole has passed


def test_where_the_previous_frame_showed_the_occluder_only_the_subjects_look_lets_it_back() -> None:
    """Keyframe only, the blob over grass with the pole crossing: a covered pixel that the
    previous frame already showed covered is not let back into the matte because it
    matches the occluder of the previous frame; it needs the subject's own look (or to
    move with the subject, as a part coming out from behind the pole does)."""
    clip = RotoClip(width=640, height=360, frames=32, shape="lobes", seed=3)
    ious = [_iou(result.alpha, truth) for result, truth in _keyframe_run(clip)]
    assert np.mean(ious) > 0.96, np.round(ious, 2)


def test_a_part_coming_out_from_behind_a_long_occluder_comes_back_into_the_matte() -> None:
    """Keyframe only, the bust over gravel with the pole in front for most of the clip:
    a part of the subject that comes out from behind the pole moves with the subject, so
    it is checked against the previous frame again rather than held out until its old
    look matches (which, long hidden, it no longer does)."""
    clip = RotoClip(width=640, height=360, frames=32, seed=5, background="gravel")
    ious = [_iou(result.alpha, truth) for result, truth in _keyframe_run(clip)]
    assert np.mean(ious) > 0.86, np.round(ious, 2)
    assert min(ious[-4:]) > 0.88, np.round(ious, 2)
