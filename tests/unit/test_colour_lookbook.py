"""Looks from reference stills: the shot takes the lookbook's tone curve and colour
distribution, by the amount the strength says; bad stills are refused with a hint."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from reelgraph.colour import lut
from reelgraph.colour.linear import to_linear
from reelgraph.colour.lookbook import METHODS, fit_look, linear_to_lab, read_still
from reelgraph.errors import MediaError, MediaNotFoundError


def _lab(encoded: np.ndarray, transfer: str) -> np.ndarray:
    return linear_to_lab(np.clip(to_linear(encoded, transfer), 0, None).reshape(-1, 3))


@pytest.fixture(scope="module")
def scene() -> tuple[np.ndarray, np.ndarray]:
    shot = skimage.data.chelsea().astype(np.float32) / 255.0
    book = skimage.data.coffee().astype(np.float32) / 255.0
    return shot, book


@pytest.mark.parametrize("method", METHODS)
def test_the_shot_takes_the_lookbooks_mean_colour(scene, method: str) -> None:
    shot, book = scene
    look = fit_look(
        to_linear(shot, "bt709"), [to_linear(book, "iec61966-2-1")], transfer="bt709", method=method
    )
    out = lut.apply(shot, look.table())
    before = np.abs(_lab(shot, "bt709").mean(0) - _lab(book, "iec61966-2-1").mean(0))
    after = np.abs(_lab(out, "bt709").mean(0) - _lab(book, "iec61966-2-1").mean(0))
    assert before.max() > 8
    assert after.max() < 2.5


@pytest.mark.slow
def test_idt_matches_the_tone_curve_and_strength_blends(scene) -> None:
    shot, book = scene
    args = ([to_linear(book, "iec61966-2-1")],)
    levels = [10, 50, 90]
    full = fit_look(to_linear(shot, "bt709"), *args, transfer="bt709", method="idt")
    out = lut.apply(shot, full.table())
    l_out = np.percentile(_lab(out, "bt709")[:, 0], levels)
    l_book = np.percentile(_lab(book, "iec61966-2-1")[:, 0], levels)
    l_shot = np.percentile(_lab(shot, "bt709")[:, 0], levels)
    assert np.abs(l_out - l_book).max() < 3.0  # shadows: 33³ grid and gamut
    assert np.abs(l_shot - l_book).max() > 5.0
    none = fit_look(to_linear(shot, "bt709"), *args, transfer="bt709", strength=0.0)
    np.testing.assert_allclose(lut.apply(shot, none.table()), shot, atol=2e-3)
    half = fit_look(to_linear(shot, "bt709"), *args, transfer="bt709", strength=0.5)
    l_half = np.percentile(_lab(lut.apply(shot, half.table()), "bt709")[:, 0], 50)
    assert min(l_shot[1], l_out[1]) + 1 < l_half < max(l_shot[1], l_out[1]) - 1


def test_unreadable_and_missing_stills_are_refused_with_a_hint(tmp_path: Path) -> None:
    junk = tmp_path / "ref.png"
    junk.write_bytes(b"this is not a picture")
    with pytest.raises(MediaError) as bad:
        read_still(junk)
    assert "PNG" in bad.value.hint
    with pytest.raises(MediaNotFoundError):
        read_still(tmp_path / "missing.jpg")
    with pytest.raises(MediaError, match="unknown look method"):
        fit_look(
            np.ones((4, 3)), [np.ones((4, 4, 3), np.float32)], transfer="bt709", method="magic"
        )
    with pytest.raises(MediaError, match="strength"):
        fit_look(np.ones((4, 3)), [np.ones((4, 4, 3), np.float32)], transfer="bt709", strength=2.0)


def test_16_bit_stills_keep_their_precision(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 1024, dtype=np.uint16)
    image = np.repeat(np.stack([ramp] * 3, axis=-1)[None], 4, axis=0)
    path = tmp_path / "ramp.png"
    cv2.imwrite(str(path), image)
    linear = read_still(path)
    assert len(np.unique(linear[..., 0])) > 500


def test_flat_and_nan_colours_do_not_break_a_look() -> None:
    flat = np.full((16, 16, 3), 0.2, np.float32)
    for method in METHODS:
        look = fit_look(flat, [flat], transfer="bt709", method=method)
        table = look.table()
        assert np.all(np.isfinite(table))
    nan = np.full((4, 3), np.nan)
    assert np.all(np.isfinite(fit_look(nan, [flat], transfer="bt709").table()))


def test_transfers_keep_the_shape_of_what_they_are_given() -> None:
    from reelgraph.algorithms.colour.transfer_idt_pitie2005 import fit_idt
    from reelgraph.algorithms.colour.transfer_mkl_pitie2007 import fit_mkl
    from reelgraph.algorithms.colour.transfer_reinhard2001 import fit_reinhard

    rng = np.random.default_rng(4)
    source, target = rng.uniform(0.05, 1, (300, 3)), rng.uniform(0.05, 1, (300, 3))
    block = rng.uniform(0.05, 1, (2, 5, 3))
    fits = (fit_idt(source, target), fit_mkl(source, target), fit_reinhard(source, target))
    for transfer in fits:
        moved = transfer.apply(block)
        assert moved.shape == block.shape and np.all(np.isfinite(moved))
        assert transfer.apply(np.zeros((0, 3))).shape == (0, 3)


def test_transfers_fit_as_if_non_finite_colours_were_not_there() -> None:
    """A NaN or infinite pixel (a dead pixel, a bad EXR tile) does not move a fitted look."""
    from reelgraph.algorithms.colour.transfer_idt_pitie2005 import fit_idt
    from reelgraph.algorithms.colour.transfer_mkl_pitie2007 import fit_mkl
    from reelgraph.algorithms.colour.transfer_reinhard2001 import fit_reinhard

    rng = np.random.default_rng(5)
    source, target = rng.uniform(0.05, 1, (300, 3)), rng.uniform(0.05, 1, (300, 3))
    bad = np.array([[np.nan, 0.5, 0.5], [0.5, np.inf, 0.5], [0.5, 0.5, -np.inf]])
    probe = rng.uniform(0.05, 1, (50, 3))
    for fit in (fit_idt, fit_mkl, fit_reinhard):
        clean = fit(source, target).apply(probe)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # and without a RuntimeWarning on the terminal
            dirty = fit(np.vstack([source, bad]), np.vstack([bad, target])).apply(probe)
        np.testing.assert_allclose(dirty, clean, rtol=0, atol=1e-12)
