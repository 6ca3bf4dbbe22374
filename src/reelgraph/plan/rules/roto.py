"""Rotoscoping rule: a shot whose brief asks for mattes gets a ``roto`` node.

Per shot with ``roto:`` in the brief (``roto: person``, ``roto: salient``, or
``roto: {subject: keyframe, keyframes: {0: masks/hero.png}}``)::

    picture: conform → roto          (beside the picture chain; mattes are an artifact)

The node reads the conformed picture, so its frame numbers are the shot's (from 0), as
the brief's keyframes are. Keyframe masks are named relative to the project folder and
handed to the agent as absolute paths; their content, like the model's, is part of the
node's cache key.
"""

from __future__ import annotations

from pathlib import Path

from reelgraph.errors import PlanError
from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules import ShotContext
from reelgraph.project.brief import Roto, Shot


def _shot(ctx: ShotContext) -> Shot:
    for scene in ctx.brief.scenes:
        for shot in scene.shots:
            if shot.id == ctx.shot:
                return shot
    raise PlanError(f"shot {ctx.shot!r} is not in the brief", hint="run 'reelgraph plan' again")


def matte_steps(ctx: ShotContext, upstream: str, project_root: Path) -> list[Node]:
    """The ``roto`` node of a shot whose brief asks for mattes (none otherwise)."""
    asked = _shot(ctx).roto
    if asked is None:
        return []
    request = Roto(subject=asked) if isinstance(asked, str) else asked
    if request.subject == "keyframe" and not request.keyframes:
        raise PlanError(
            f"shot {ctx.shot!r}: roto subject 'keyframe' without keyframes",
            hint="add keyframes: {FRAME: MASK.png} (frames from 0 in the shot), or use "
            "roto: person / salient",
        )
    for frame in request.keyframes:
        if not 0 <= frame < ctx.frames:
            raise PlanError(
                f"shot {ctx.shot!r}: roto keyframe {frame} is outside the shot "
                f"(frames 0–{ctx.frames - 1})",
                hint="keyframes count from 0 at the shot's first frame",
            )
    keyframes = [
        [frame, str((project_root / path).resolve())]
        for frame, path in sorted(request.keyframes.items())
    ]
    guess = (
        f"the {request.subject} model's mask of each frame"
        if request.subject != "keyframe"
        else "no model"
    )
    frames = ", ".join(str(frame) for frame, _ in keyframes) or "none"
    # Mattes travel in the delivery's picture format: EXR beside EXR plates, else PNG.
    fmt = "exr" if ctx.spec.video_preset == "exr" else "png"
    written = "half-float EXR mattes beside the EXR plates" if fmt == "exr" else "16-bit PNG mattes"
    return [
        Node(
            f"{ctx.shot}/roto",
            "roto",
            {"subject": request.subject, "keyframes": keyframes, "name": ctx.shot, "format": fmt},
            (upstream,),
            f"the brief asks for mattes of the {request.subject}: {guess}, keyframes at "
            f"frames {frames}; refined to soft edges and steadied along the subject's "
            f"motion; frames it cannot follow are reported for a new keyframe; {written}",
            ctx.shot,
            ctx.scene,
        )
    ]
