"""QC rules: a ``qc`` node checks each shot's master against the delivery spec's QC profile.

The master file carries the picture and the sound, so one node checks both (and the file's
format). A ``fail`` finding does not stop the run: the findings are stored with it, shown
by ``reelgraph status``, and the delivery step holds the shot until a reviewer approves
that master (``reelgraph review approve SHOT``) or a re-render passes.

Picture-only plate deliveries (``vfx-plates``: per-frame OpenEXR files) get no QC node:
``reelgraph qc`` reads movie files, not image sequences.
"""

from __future__ import annotations

from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules import ShotContext
from reelgraph.qc.profiles import profile_for_spec


def check_steps(ctx: ShotContext, master: str, sound: str | None) -> list[Node]:
    """The shot's QC node, after its master."""
    spec = ctx.spec
    if spec.video_preset == "exr":
        return []
    profile = profile_for_spec(spec)
    checks = ", ".join(profile.checks)
    skipped = (
        f"; not run: {', '.join(sorted(profile.skipped))} ({next(iter(profile.skipped.values()))})"
        if profile.skipped
        else ""
    )
    return [
        Node(
            f"{ctx.shot}/qc",
            "qc",
            {"spec": spec.name},
            (master,),
            f"check the master against the {profile.name} QC profile ({checks}{skipped}); a "
            "failing finding holds the shot at delivery until a reviewer approves it",
            ctx.shot,
            ctx.scene,
        )
    ]
