"""The shots grid (``/``), a shot's page (``/shots/{id}``) and their API."""

from __future__ import annotations

from dataclasses import asdict
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from reelgraph.errors import ProjectError
from reelgraph.review.views import STATUSES, ShotRow, shot_detail, shot_rows
from reelgraph.timecode import frames_to_timecode
from reelgraph.web.deps import Auth, page, project_of, require
from reelgraph.web.models import ShotDetail, ShotSummary

router = APIRouter(tags=["shots"])
Viewer = Annotated[Auth, Depends(require("viewer"))]


def _filtered(rows: list[ShotRow], scene: str | None, status: str | None) -> list[ShotRow]:
    return [
        r for r in rows if (not scene or r.scene == scene) and (not status or r.status == status)
    ]


def _detail(request: Request, shot_id: str):  # type: ignore[no-untyped-def]
    try:
        return shot_detail(project_of(request), shot_id)
    except ProjectError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/", include_in_schema=False)
def grid(
    request: Request, auth: Viewer, scene: str | None = None, status: str | None = None
) -> Response:
    rows = shot_rows(project_of(request))
    response: Response = page(
        request,
        "shots.html",
        auth,
        rows=_filtered(rows, scene, status),
        scenes=sorted({r.scene for r in rows}),
        statuses=STATUSES,
        scene=scene or "",
        status=status or "",
        total=len(rows),
    )
    return response


@router.get("/shots/{shot_id}", include_in_schema=False)
def shot_page(request: Request, shot_id: str, auth: Viewer) -> Response:
    detail = _detail(request, shot_id)
    rate = Fraction(detail.frame_rate)
    response: Response = page(
        request,
        "shot.html",
        auth,
        d=detail,
        rate=rate,
        source_start_tc=frames_to_timecode(detail.row.start_frame, rate),
    )
    return response


@router.get("/api/shots", response_model=list[ShotSummary])
def list_shots(
    request: Request, auth: Viewer, scene: str | None = None, status: str | None = None
) -> list[ShotSummary]:
    """Every shot with its status, review state, QC verdict, cost and master version."""
    rows = _filtered(shot_rows(project_of(request)), scene, status)
    return [ShotSummary(**asdict(r)) for r in rows]


@router.get("/api/shots/{shot_id}", response_model=ShotDetail)
def get_shot(request: Request, shot_id: str, auth: Viewer) -> ShotDetail:
    """One shot: its current master, review (approved | rejected | pending), QC findings,
    the plan's nodes with their reasons, and its notes and decisions."""
    d = _detail(request, shot_id)
    return ShotDetail(
        **asdict(d.row),
        master_sha256=d.master.sha256 if d.master else None,
        frames=d.frames,
        frame_rate=d.frame_rate,
        width=d.width,
        height=d.height,
        variables=d.variables,
        findings_list=d.findings,
        nodes=d.nodes,
        history=d.history,
    )


@router.get("/api/shots/{shot_id}/timecodes", response_model=list[str])
def timecodes(request: Request, shot_id: str, auth: Viewer) -> list[str]:
    """SMPTE timecode (ST 12-1, drop-frame at 29.97/59.94) of every frame of the master,
    counted from the shot's first frame in its source."""
    d = _detail(request, shot_id)
    rate = Fraction(d.frame_rate)
    return [frames_to_timecode(i, rate, d.row.start_frame) for i in range(d.frames)]
