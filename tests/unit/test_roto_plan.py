"""A shot's ``roto:`` in the brief becomes a ``roto`` node (plan/rules/roto.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelgraph.errors import BriefError, PlanError
from reelgraph.orchestrator.registry import DEFAULT
from reelgraph.plan.rules import ShotContext
from reelgraph.plan.rules.roto import matte_steps
from reelgraph.project.brief import parse_brief
from reelgraph.specs.delivery import get_spec

BRIEF = """
project: roto
delivery: web-sdr
sources:
  - {id: a, path: a.mov}
scenes:
  - id: s1
    shots:
      - {id: sh010, source: a, roto: person}
      - id: sh020
        source: a
        roto: {subject: keyframe, keyframes: {0: masks/hero.png, 40: masks/hero_40.png}}
      - {id: sh030, source: a}
"""


def _context(shot: str, text: str = BRIEF, frames: int = 48) -> ShotContext:
    brief = parse_brief(text)
    return ShotContext(DEFAULT, brief, get_spec(brief.delivery), "s1", {}, shot, "a", 0,
                       frames - 1, {"kind": "video"})  # fmt: skip


def test_brief_roto_becomes_a_node_beside_the_picture(tmp_path: Path) -> None:
    (node,) = matte_steps(_context("sh010"), "sh010/conform", tmp_path)
    assert node.agent == "roto" and node.inputs == ("sh010/conform",)
    assert node.params == {"subject": "person", "keyframes": [], "name": "sh010", "format": "png"}
    assert "person" in node.explanation
    DEFAULT.get("roto").make_params(node.params)  # the agent accepts what the rule plans

    (keyed,) = matte_steps(_context("sh020"), "sh020/conform", tmp_path)
    assert keyed.params["keyframes"] == [
        [0, str((tmp_path / "masks/hero.png").resolve())],
        [40, str((tmp_path / "masks/hero_40.png").resolve())],
    ]
    assert matte_steps(_context("sh030"), "sh030/conform", tmp_path) == []
    plates = BRIEF.replace("delivery: web-sdr", "delivery: vfx-plates")
    (exr,) = matte_steps(_context("sh010", plates), "sh010/conform", tmp_path)
    assert exr.params["format"] == "exr"  # beside EXR plates


def test_brief_roto_is_checked(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="outside the shot"):
        matte_steps(_context("sh020", frames=40), "sh020/conform", tmp_path)
    no_keys = BRIEF.replace("keyframes: {0: masks/hero.png, 40: masks/hero_40.png}", "")
    with pytest.raises(PlanError, match="without keyframes"):
        matte_steps(_context("sh020", no_keys), "sh020/conform", tmp_path)
    with pytest.raises(BriefError):
        parse_brief(BRIEF.replace("roto: person", "roto: car"))
