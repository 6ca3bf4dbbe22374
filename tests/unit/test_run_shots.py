"""`reelgraph run --shots`: the chosen shots' nodes plus everything they read."""

from __future__ import annotations

import pytest

from reelgraph.cli.run import select_shots
from reelgraph.errors import UsageError
from reelgraph.orchestrator.graph import Node, Plan


def scene_plan() -> Plan:
    """Two shots of a scene: sh020's grade reads the scene's hero node, which samples
    sh010's conformed picture."""
    return Plan(
        "p",
        "web-sdr",
        (
            Node("sh010/conform", "conform", {}, ("source:a",), "", "sh010", "kitchen"),
            Node("sh010/master", "master", {}, ("sh010/conform",), "", "sh010", "kitchen"),
            Node("sh020/conform", "conform", {}, ("source:b",), "", "sh020", "kitchen"),
            Node("kitchen/hero", "scene_hero", {}, ("sh010/conform",), "", None, "kitchen"),
            Node("sh020/grade", "grade", {}, ("sh020/conform", "kitchen/hero"), "", "sh020"),
            Node("sh020/master", "master", {}, ("sh020/grade",), "", "sh020", "kitchen"),
        ),
    )


def test_a_shot_keeps_what_its_nodes_read_and_drops_other_shots_outputs() -> None:
    chosen = [n.id for n in select_shots(scene_plan(), "sh020").nodes]
    assert chosen == [
        "sh010/conform",
        "sh020/conform",
        "kitchen/hero",
        "sh020/grade",
        "sh020/master",
    ]
    assert select_shots(scene_plan(), None) == scene_plan()


def test_unknown_shots_are_refused_with_the_known_ones() -> None:
    with pytest.raises(UsageError) as refused:
        select_shots(scene_plan(), "sh999")
    assert "sh010, sh020" in (refused.value.hint or "")
