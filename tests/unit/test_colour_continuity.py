"""Shot matching: a shot mis-graded in linear light is brought back to the hero it partly
overlaps; with no overlap the neutral/skin fallback is used and said; the decision's files
(CDL through OpenColorIO, .cube) read back."""

from __future__ import annotations

import colour
import cv2
import numpy as np
import pytest
import skimage.data

from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl, cdl_inverse
from reelgraph.algorithms.colour.correspondence_sift_lowe2004 import overlap_pairs
from reelgraph.algorithms.colour.neutral_skin_statistics_buchsbaum1980 import match_neutrals
from reelgraph.algorithms.colour.robust_fit_huber1964 import fit_affine_huber
from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.colour import lut
from reelgraph.colour.continuity import choose_hero, delta_e_2000, hero_for_scene, match_shot
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.errors import AlgorithmError, PlanError


def misgrade(encoded: np.ndarray, gains: tuple[float, float, float], sat: float) -> np.ndarray:
    """A white-balance/exposure (gains) and saturation error made in scene-linear light."""
    linear = to_linear(encoded, "bt709") * np.float32(gains)
    luma = linear @ LUMA_BT709
    linear = luma[..., None] + np.float32(sat) * (linear - luma[..., None])
    return np.clip(from_linear(linear, "bt709"), 0.0, 1.0)


def photo(name: str) -> np.ndarray:
    return getattr(skimage.data, name)().astype(np.float32) / 255.0


def angles(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hero's view and a second angle sharing only part of it (shifted, scaled ×1.2)."""
    h, w = image.shape[:2]
    hero = image[:, : int(w * 0.65)]
    other = image[int(h * 0.1) :, int(w * 0.4) :]
    return hero, cv2.resize(other, None, fx=1.2, fy=1.2, interpolation=cv2.INTER_AREA)


def test_a_partly_overlapping_misgraded_angle_is_matched_to_the_hero_within_2_de() -> None:
    hero, truth = angles(photo("chelsea"))
    shot = misgrade(truth, (1.18, 1.0, 0.82), 0.75)
    before = delta_e_2000(shot, truth, "bt709").mean()
    result = match_shot([shot], [hero])
    after = delta_e_2000(result.decision.encoded(shot), truth, "bt709").mean()
    assert result.method == "homography"
    assert before > 2.5
    assert after <= 2.0
    assert result.delta_e_after < result.delta_e_before


@pytest.mark.slow
def test_one_decision_is_pooled_over_the_shots_frames() -> None:
    hero, truth = angles(photo("coffee"))
    frames = [misgrade(np.roll(truth, 6 * i, axis=1), (0.8, 1.0, 1.2), 1.2) for i in range(3)]
    result = match_shot(frames, [hero])
    assert "from 3/3 frames" in result.notes[0]
    after = delta_e_2000(result.decision.encoded(frames[0]), np.roll(truth, 0, axis=1), "bt709")
    assert after.mean() <= 2.0


def test_without_overlap_the_neutral_statistics_are_used_and_said() -> None:
    image = photo("astronaut")
    hero, far = image[:, :200], image[:, 312:]
    shot = misgrade(far, (1.25, 1.0, 0.8), 1.0)
    result = match_shot([shot], [hero])
    assert result.method in ("neutrals", "neutrals+skin")
    assert "share no verified view" in result.notes[0]
    slope = np.array(result.decision.cdl.slope)
    # The warm cast is pulled back: red reduced relative to blue.
    assert slope[0] / slope[2] < 0.85


def test_the_correction_never_clips_more_than_the_shot_or_the_hero() -> None:
    hero, truth = angles(photo("rocket"))
    shot = misgrade(truth, (0.5, 0.5, 0.5), 1.0)  # one stop under
    bright_hero = np.clip(misgrade(hero, (3.0, 3.0, 3.0), 1.0), 0, 1)  # heavily clipped
    result = match_shot([shot], [bright_hero])
    out = result.decision.encoded(shot)
    clipped = lambda x: float(np.mean(np.max(x, axis=-1) >= 0.999))  # noqa: E731
    assert clipped(out) <= max(clipped(shot), clipped(bright_hero)) + 0.003
    hero_only, truth2 = angles(photo("rocket"))
    dim = misgrade(truth2, (0.5, 0.5, 0.5), 1.0)
    plain = match_shot([dim], [hero_only])
    assert not plain.clip_bounded


def test_the_cdl_alone_is_used_when_it_reaches_the_match() -> None:
    hero, truth = angles(photo("chelsea"))
    shot = misgrade(truth, (1.1, 1.0, 0.9), 1.0)  # gains only: exactly a CDL slope
    result = match_shot([shot], [hero])
    assert result.decision.residual is None
    assert result.to_dict()["residual_lut"] is False


def test_the_hero_is_the_shot_nearest_the_scenes_median_look() -> None:
    looks = {
        "sh010": np.array([50.0, 10.0, 10.0, 20.0]),
        "sh020": np.array([55.0, 2.0, 1.0, 18.0]),
        "sh030": np.array([60.0, -5.0, -8.0, 15.0]),
    }
    assert choose_hero(looks) == "sh020"
    assert hero_for_scene("kitchen", looks) == (
        "sh020",
        "sh020 is nearest the scene's median look (3 shots)",
    )
    assert hero_for_scene("kitchen", looks, "sh030")[0] == "sh030"
    with pytest.raises(ValueError):
        choose_hero({})


def test_a_hero_that_is_not_in_the_scene_is_refused_with_its_shots_listed() -> None:
    looks = {"sh010": np.zeros(4), "sh020": np.ones(4)}
    with pytest.raises(PlanError) as refused:
        hero_for_scene("kitchen", looks, "sh999")
    assert "sh010, sh020" in refused.value.hint
    with pytest.raises(PlanError):
        hero_for_scene("empty", {})


def test_huber_fit_shrugs_off_outliers_and_degenerate_input() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((400, 3))
    matrix = np.array([[0.9, 0.1, 0.0], [0.05, 1.0, -0.05], [0.0, 0.1, 1.1]])
    y = x @ matrix.T
    y[:60] = rng.random((60, 3)) * 3
    fit = fit_affine_huber(x, y)
    np.testing.assert_allclose(fit.matrix, matrix, atol=0.02)
    nan = np.full((10, 3), np.nan)
    assert np.allclose(fit_affine_huber(nan, nan).matrix, np.eye(3))
    assert np.allclose(fit_affine_huber(np.zeros((0, 3)), np.zeros((0, 3))).matrix, np.eye(3))


def test_overlap_and_neutrals_survive_tiny_nan_and_flat_images() -> None:
    flat = np.full((40, 40, 3), 0.5, np.float32)
    assert overlap_pairs(flat, flat).method == "none"
    assert overlap_pairs(flat[:8, :8], flat).method == "none"
    noisy = flat.copy()
    noisy[5, 5] = np.nan
    assert overlap_pairs(noisy, flat).method == "none"
    assert match_neutrals(np.full((4, 3), np.nan), flat).used == "none"


def test_tetrahedral_lut_application_equals_colour_sciences() -> None:
    rng = np.random.default_rng(5)
    table = lut.bake(
        lambda x: np.clip(x @ np.array([[0.9, 0.1, 0], [0, 1, 0], [0.1, 0, 0.8]]), 0, 1)
    )
    points = rng.random((1000, 3)).astype(np.float32)
    ours = lut.apply(points, table)
    theirs = colour.algebra.table_interpolation_tetrahedral(points.astype(np.float64), table)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert lut.apply(np.full((2, 2, 3), np.nan, np.float32), table).shape == (2, 2, 3)


def test_cdl_inverse_undoes_the_cdl_and_linear_values_above_one_pass_unclamped() -> None:
    cdl = CDL(
        slope=(1.2, 0.9, 1.1), offset=(0.01, 0.0, -0.01), power=(1.1, 1.0, 0.9), saturation=0.8
    )
    rgb = np.random.default_rng(2).uniform(0.1, 0.8, (50, 3)).astype(np.float32)
    np.testing.assert_allclose(cdl_inverse(apply_cdl(rgb, cdl), cdl), rgb, atol=1e-4)
    bright = np.array([[2.0, 1.5, 1.0]], np.float32)
    assert apply_cdl(bright, CDL(), clamp=False).max() == pytest.approx(2.0)
    assert apply_cdl(bright, CDL()).max() == pytest.approx(1.0)


def test_the_report_says_which_method_was_used_with_thumbnails(tmp_path) -> None:
    import json

    from reelgraph.review.continuity_report import ContinuityEntry, write_continuity_report

    image = photo("astronaut")
    hero, far = image[:, :200], image[:, 312:]
    shot = misgrade(far, (1.25, 1.0, 0.8), 1.0)
    result = match_shot([shot], [hero])
    after = result.decision.encoded(shot)
    entry = ContinuityEntry("sh020", "sh010", result.to_dict(), hero, shot, after)
    index = write_continuity_report(tmp_path / "report", [entry], "Continuity: kitchen")
    page = index.read_text()
    assert "share no verified view" in page and result.method in page
    assert (tmp_path / "report" / "sh020_thumbs.png").is_file()
    figures = json.loads((tmp_path / "report" / "continuity.json").read_text())
    assert figures["shots"][0]["method"] == result.method
    assert figures["shots"][0]["hero"] == "sh010"


def test_cdl_files_escape_ids_and_parse_back_in_opencolorio(tmp_path) -> None:
    import PyOpenColorIO as ocio

    from reelgraph.algorithms.colour.asc_cdl import corrections_to_xml

    hostile = 'sh<010>&"kitchen"'
    warm = CDL((1.1, 1.0, 0.9), (0.01, 0.0, -0.01), (1.0, 1.0, 1.05), 0.95)
    cool = CDL(slope=(0.9, 1.0, 1.1))
    for suffix in (".ccc", ".cdl"):
        path = tmp_path / f"scene{suffix}"
        path.write_text(
            corrections_to_xml([(hostile, warm, "warm & <bright>"), ("sh020", cool, "")], suffix)
        )
        back = ocio.CDLTransform.CreateFromFile(str(path), hostile)
        assert back.getID() == hostile
        np.testing.assert_allclose(back.getSlope(), warm.slope)
        np.testing.assert_allclose(back.getPower(), warm.power)
        assert back.getSat() == pytest.approx(warm.saturation)
        assert ocio.CDLTransform.CreateFromFile(str(path), "sh020").getSlope()[2] == 1.1
    single = tmp_path / "one.cc"
    single.write_text(warm.to_xml(hostile, ".cc", "a description"))
    assert ocio.CDLTransform.CreateFromFile(str(single), "").getID() == hostile
    with pytest.raises(AlgorithmError, match="exactly one"):
        corrections_to_xml([("a", warm, ""), ("b", cool, "")], ".cc")


def test_hdr_shots_are_matched_in_their_own_light_and_also_measured_in_itp() -> None:
    hero, truth = angles(photo("chelsea"))

    def pq(encoded: np.ndarray) -> np.ndarray:
        return from_linear(to_linear(encoded, "bt709"), "smpte2084")

    shot = pq(misgrade(truth, (1.15, 1.0, 0.85), 1.0))
    result = match_shot([shot], [pq(hero)], transfer="smpte2084", primaries="bt2020")
    assert result.method == "homography"
    assert result.delta_e_itp_before is not None and result.delta_e_itp_after is not None
    assert result.delta_e_itp_after < result.delta_e_itp_before / 3
    after = delta_e_2000(result.decision.encoded(shot), pq(truth), "smpte2084", "bt2020")
    assert after.mean() <= 2.0
    sdr = match_shot([misgrade(truth, (1.15, 1.0, 0.85), 1.0)], [hero])
    assert sdr.delta_e_itp_before is None


def test_a_view_with_nothing_near_grey_is_left_alone_not_given_its_colour() -> None:
    # Two views that share nothing: a brown coffee shot as hero, a cat as the other shot. The
    # coffee's nearest-to-grey pixels are brown; taking them as white would turn the cat
    # orange.
    hero = photo("coffee")[:, :120]  # beans and brown wood: no white saucer in view
    shot = misgrade(photo("chelsea"), (0.94, 1.0, 1.08), 1.0)
    result = match_shot([shot], [hero])
    assert result.method == "none"
    assert result.decision.cdl.is_identity()
    assert "left as it is" in result.notes[0]


def test_two_different_photographs_are_not_matched_by_a_chance_overlap() -> None:
    """The demo's launch scene: a rocket and an astronaut photograph. A few frame pairs of
    such shots pass a geometric check by chance; a match fitted to them turns the shot to
    a near-flat colour. Views that do not share a scene through the shot are matched by
    their statistics (or left alone), never by their "overlap"."""
    from reelgraph.demo.build import SHOTS, camera_move, degrade

    shots = {s.id: s for s in SHOTS}

    def sampled(shot_id: str) -> list[np.ndarray]:
        clean = camera_move(shots[shot_id])
        picks = np.linspace(0, len(clean) - 1, 8).round().astype(int)
        return [degrade(clean[i], shots[shot_id], int(i)) for i in picks]

    result = match_shot(sampled("sh040"), sampled("sh030"), transfer="bt709")
    assert result.method not in ("homography", "epipolar")
    assert min(result.decision.cdl.slope) > 0.5 and result.decision.cdl.saturation > 0.5
