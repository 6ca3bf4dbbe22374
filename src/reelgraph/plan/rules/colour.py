"""Colour rule: each shot's ``grade`` node — continuity to the scene's hero, the lookbook,
then the scene's look (docs/agents/colour.md).

Per shot::

    picture: … → grade(picture, hero's conformed picture) → …

* a scene with a ``hero:`` in the brief: every other shot's grade gets the hero's conformed
  picture as its second input and is matched to it; the hero's own grade gets none;
* a scene without one: every grade gets the conformed pictures of all the scene's shots
  and picks the hero when it runs — the shot nearest the scene's median look — since that
  needs the pictures measured, which the plan does not do; the grade's output says which;
* a scene of one shot: nothing to match.

The scene's ``looks:`` (else the project's) are handed to the agent as absolute paths; their
content is part of the node's cache key, so a changed still re-renders only the grades
that use it and what follows them.
"""

from __future__ import annotations

from pathlib import Path

from reelgraph.errors import PlanError
from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules import ShotContext
from reelgraph.project.brief import Scene


def _scene(ctx: ShotContext) -> Scene:
    for scene in ctx.brief.scenes:
        if scene.id == ctx.scene:
            return scene
    raise PlanError(f"scene {ctx.scene!r} is not in the brief", hint="run 'reelgraph plan' again")


def look_files(ctx: ShotContext, project_root: Path) -> list[str]:
    """The lookbook stills of the shot's scene (its own, else the project's), absolute."""
    scene = _scene(ctx)
    named = scene.looks or ctx.brief.looks
    where = f"scene {scene.id!r}" if scene.looks else "the project"
    files = []
    for name in named:
        path = (project_root / name).resolve()
        if not path.is_file():
            raise PlanError(
                f"{where}: look reference {name!r} not found ({path})",
                hint="looks are still images (PNG, TIFF, JPEG, EXR) named relative to the "
                "project folder; fix the path in brief.yaml",
            )
        files.append(str(path))
    return files


def grade_node(ctx: ShotContext, picture: str, project_root: Path) -> Node:
    """The shot's ``grade`` node over ``picture`` (its restored, conformed picture)."""
    scene = _scene(ctx)
    shots = [shot.id for shot in scene.shots]
    looks = look_files(ctx, project_root)
    time_of_day = ctx.variables.get("time_of_day", "day")
    inputs: tuple[str, ...] = (picture,)
    candidates: list[str] = []
    if len(shots) == 1:
        match = "the only shot of its scene, so nothing to match"
    elif scene.hero is not None and scene.hero == ctx.shot:
        match = "the scene's hero (brief): the other shots are matched to it"
    elif scene.hero is not None:
        candidates = [scene.hero]
        match = f"matched to {scene.hero}, the scene's hero (brief)"
    else:
        candidates = shots
        match = (
            f"matched to the hero, the shot of {', '.join(shots)} nearest the scene's median "
            "look, measured on their conformed pictures when the grade runs (its output "
            "names it)"
        )
    inputs += tuple(f"{shot}/conform" for shot in candidates)
    book = f"; the look of {len(looks)} reference still(s)" if looks else ""
    return Node(
        f"{ctx.shot}/grade",
        "grade",
        {"shot": ctx.shot, "hero": scene.hero or "", "candidates": candidates, "looks": looks},
        inputs,
        f"{match}{book}; then scene {ctx.scene}'s look from time_of_day={time_of_day!r}, "
        "each as an ASC CDL",
        ctx.shot,
        ctx.scene,
        ctx.reads("grade"),
    )
