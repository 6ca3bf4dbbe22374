"""The programme: the brief's cut as a timeline — each clip's take, the frames it uses,
where it sits in the programme, the transition into it and why — and the delivered
programme master to play once ``deliver`` has written it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from reelgraph.errors import ReelgraphError
from reelgraph.plan.timeline import layout, project_cut
from reelgraph.timecode import frames_to_timecode
from reelgraph.web.deps import Auth, page, project_of, require

router = APIRouter(tags=["programme"])
Viewer = Annotated[Auth, Depends(require("viewer"))]
#: The delivered programme master, when there is one (deliver/delivery.py names it).
PROGRAMME_FILES = ("programme.mp4", "programme.mov")
TIMELINES = ("programme.otio", "programme.edl", "programme.fcpxml")


def _programme(request: Request) -> dict[str, Any]:
    project = project_of(request)
    try:
        clips = project_cut(project, project.brief())
        placed = layout(clips)
    except ReelgraphError as exc:
        raise HTTPException(409, f"{exc} ({exc.hint})" if exc.hint else str(exc)) from exc
    rate = clips[0].media.rate if clips else None
    rows = [
        {
            "slot": p.clip.slot,
            "take": p.clip.take,
            "first": p.clip.first,
            "last": p.clip.last,
            "frames": p.clip.frames,
            "record_in": p.record_in,
            "record_out": p.record_out,
            "record_in_tc": frames_to_timecode(p.record_in, rate) if rate else None,
            "record_out_tc": frames_to_timecode(p.record_out, rate) if rate else None,
            "transition": f"dissolve {p.clip.dissolve} frames" if p.clip.dissolve else "cut",
            "why": list(p.clip.why),
        }
        for p in placed
    ]
    delivered = project.deliverables
    master = next((n for n in PROGRAMME_FILES if (delivered / n).is_file()), None)
    return {
        "schema": "reelgraph.Programme.1",
        "frame_rate": str(rate) if rate else None,
        "frames": sum(row["frames"] for row in rows),
        "clips": rows,
        "master": master,
        "timelines": [name for name in TIMELINES if (delivered / name).is_file()],
    }


@router.get("/programme", include_in_schema=False)
def programme_page(request: Request, auth: Viewer) -> Response:
    response: Response = page(request, "programme.html", auth, programme=_programme(request))
    return response


@router.get("/api/programme")
def programme(request: Request, auth: Viewer) -> dict[str, Any]:
    """The cut as a timeline (``reelgraph.Programme.1``): clips in programme order with the
    frames each uses, its record range and timecode, the transition into it and why; the
    delivered programme master and timeline files, when delivered."""
    return _programme(request)
