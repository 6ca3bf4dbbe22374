"""Roto mattes as a mask input to the colour match: with a subject's matte, a view's
neutrals come from outside the subject and its skin from inside it, so a beige costume
does not pull the white balance and a peach wall behind the subject is not taken for skin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelgraph.agents._io import sample_positions
from reelgraph.algorithms.colour.neutral_skin_statistics_buchsbaum1980 import match_neutrals
from reelgraph.colour.continuity import SAMPLE_FRAMES, MatchResult, delta_e_2000, match_shot
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.orchestrator.graph import Node
from reelgraph.orchestrator.registry import DEFAULT
from reelgraph.plan.rules import ShotContext
from reelgraph.plan.rules.colour import grade_nodes
from reelgraph.project.brief import parse_brief
from reelgraph.specs.delivery import get_spec

H, W = 120, 160
#: Scene-linear colours of the set: a beige costume near grey, the subject's face, a peach
#: wall in skin's hue range (in the shot only) and a green one (in the hero only) of the
#: same luminance and chroma, so exposure and saturation statistics agree between views.
COSTUME, FACE = (0.30, 0.26, 0.19), (0.42, 0.26, 0.17)
PEACH_WALL, GREEN_WALL = (0.45, 0.30, 0.20), (0.16, 0.38, 0.30)
#: The shot's mis-grade: a cool cast made in scene-linear light.
MISGRADE = (1.0, 1.0, 1.3)


def view(seed: int, wall: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(encoded BT.709 picture, subject matte): a grey wall and a coloured one, a subject
    (costume and face) in front; textured by a seeded shading, so views share no detail."""
    rng = np.random.default_rng(seed)
    shade = rng.uniform(0.8, 1.2, (H, W, 1)).astype(np.float32)
    linear = np.empty((H, W, 3), np.float32)
    linear[:] = 0.18
    linear[:, : int(W * 0.45)] = wall
    subject = np.zeros((H, W), np.float32)
    x = 85 if seed else 80
    for (y0, x0, h, w), colour in (((40, x, 80, 50), COSTUME), ((10, x + 10, 30, 30), FACE)):
        linear[y0 : y0 + h, x0 : x0 + w] = colour
        subject[y0 : y0 + h, x0 : x0 + w] = 1.0
    return from_linear(linear * shade, "bt709").astype(np.float32), subject


def misgrade(encoded: np.ndarray) -> np.ndarray:
    linear = to_linear(encoded, "bt709") * np.float32(MISGRADE)
    return np.clip(from_linear(linear, "bt709"), 0.0, 1.0).astype(np.float32)


@pytest.fixture(scope="module")
def views() -> dict[str, np.ndarray]:
    truth, shot_matte = view(0, PEACH_WALL)
    hero, hero_matte = view(1, GREEN_WALL)
    return {
        "truth": truth,
        "shot": misgrade(truth),
        "shot_matte": shot_matte,
        "hero": hero,
        "hero_matte": hero_matte,
    }


def test_the_subjects_matte_gives_a_materially_better_match(views: dict[str, np.ndarray]) -> None:
    shot, truth, hero = views["shot"], views["truth"], views["hero"]
    plain = match_shot([shot], [hero])
    mattes = {"shot_mattes": [views["shot_matte"]], "hero_mattes": [views["hero_matte"]]}
    masked = match_shot([shot], [hero], **mattes)

    def error(result: MatchResult) -> float:
        graded = result.decision.encoded(shot)
        return float(delta_e_2000(graded, truth, "bt709").mean())

    before = float(delta_e_2000(shot, truth, "bt709").mean())
    # Colour alone: the costume is among the "neutrals" and the peach wall is "skin".
    assert plain.method == masked.method == "neutrals+skin"
    assert (plain.masks, masked.masks) == ("colour", "roto")
    assert error(masked) < 1.5 < before, (error(masked), before)
    assert error(masked) < 0.5 * error(plain), (error(masked), error(plain))
    # The white balance itself: B/G undoes the cast (1/1.3) with the mattes, not without.
    slope = np.asarray(masked.decision.cdl.slope)
    assert abs(slope[2] / slope[1] - 1 / 1.3) < 0.03
    assert abs(np.divide(*plain.decision.cdl.slope[2:0:-1]) - 1 / 1.3) > 0.1
    assert any("mattes kept the neutrals outside the subject" in n for n in masked.notes)
    # Only the shot's matte: that view is masked, the hero read by colour as before.
    one = match_shot([shot], [hero], shot_mattes=[views["shot_matte"]])
    assert one.masks == "roto-shot" and one.to_dict()["masks"] == "roto-shot"


def test_skin_is_looked_for_inside_the_subject_only(views: dict[str, np.ndarray]) -> None:
    """A subject with no skin (all costume) in front of a peach wall: by colour the wall is
    skin; with the matte neither view shows skin, and the match says so."""
    costume_only = views["shot_matte"].copy()
    costume_only[:40] = 0.0  # the face's rows are background now: no skin in the subject
    shot = to_linear(views["truth"], "bt709")
    hero = to_linear(views["hero"], "bt709")
    assert match_neutrals(shot, hero).used == "neutrals+skin"
    masked = match_neutrals(shot, hero, image_subject=costume_only, reference_subject=costume_only)
    assert masked.used == "neutrals" and masked.masks == ("roto", "roto")


def test_without_mattes_the_match_is_as_before(views: dict[str, np.ndarray]) -> None:
    linear = to_linear(views["shot"], "bt709")
    hero = to_linear(views["hero"], "bt709")
    plain = match_neutrals(linear, hero)
    explicit = match_neutrals(linear, hero, image_subject=None, reference_subject=None)
    assert np.array_equal(plain.gains, explicit.gains) and plain.masks == ("colour", "colour")
    # An empty matte (no subject on the frame): its neutrals from the whole frame, as
    # before, and no skin, since the view has no subject.
    empty = match_neutrals(linear, hero, image_subject=np.zeros((H, W)))
    assert empty.neutral_pixels == plain.neutral_pixels and empty.used == "neutrals"
    assert empty.masks == ("roto", "colour")


def test_mattes_must_pair_with_the_sampled_frames(views: dict[str, np.ndarray]) -> None:
    with pytest.raises(ValueError, match="pair with its frames"):
        match_shot([views["shot"]] * 2, [views["hero"]], shot_mattes=[views["shot_matte"]])
    # The grade samples the same frame numbers of a picture and of its mattes.
    assert sample_positions(24, SAMPLE_FRAMES) == [0, 5, 9, 14, 18, 23]
    assert sample_positions(1, SAMPLE_FRAMES) == [0]


PLAN_BRIEF = """
project: roto
delivery: web-sdr
sources:
  - {id: a, path: a.mov}
scenes:
  - id: s1
    shots:
      - {id: sh010, source: a}
      - {id: sh020, source: a, roto: {subject: keyframe, keyframes: {0: masks/k.png}}}
"""


def test_the_plan_hands_the_mattes_to_the_grade_and_the_scene_hero(tmp_path: Path) -> None:
    brief = parse_brief(PLAN_BRIEF)

    def nodes(shot: str) -> dict[str, Node]:
        ctx = ShotContext(DEFAULT, brief, get_spec("web-sdr"), "s1", {}, shot, "a", 0, 47, {})
        return {n.id: n for n in grade_nodes(ctx, f"{shot}/conform", tmp_path)}

    first, second = nodes("sh010"), nodes("sh020")
    hero = first["s1/hero"]
    assert hero.params["mattes"] == ["sh020"]
    assert hero.inputs == ("sh010/conform", "sh020/conform", "sh020/roto")
    DEFAULT.get("scene_hero").make_params(hero.params)  # the agent accepts what is planned
    assert first["sh010/grade"].inputs == ("sh010/conform", "s1/hero")
    assert second["sh020/grade"].inputs == ("sh020/conform", "s1/hero", "sh020/roto")
    assert "mattes mask the statistics" in second["sh020/grade"].explanation
    # With the brief's hero, the hero's own grade is not matched: no matte input for it.
    heroic = parse_brief(PLAN_BRIEF.replace("  - id: s1\n", "  - id: s1\n    hero: sh020\n"))
    ctx = ShotContext(DEFAULT, heroic, get_spec("web-sdr"), "s1", {}, "sh020", "a", 0, 47, {})
    (grade,) = grade_nodes(ctx, "sh020/conform", tmp_path)
    assert grade.inputs == ("sh020/conform", "s1/hero")
