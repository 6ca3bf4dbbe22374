"""Media, safely: files are served only from the project's artifacts (by key) and
deliverables (by name), resolved inside those folders. Empty, ``.`` and ``..`` segments,
absolute paths, backslashes, percent signs left after decoding (double-encoded separators),
NUL bytes, and symbolic links that lead outside are all answered 404, like a file that is
not there. Files are sent with byte-range support (HTTP 206) for the player."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response

from reelgraph.errors import ReelgraphError
from reelgraph.review.proxies import ensure_proxy, thumbnail
from reelgraph.web.deps import Auth, project_of, require

router = APIRouter(tags=["media"])
Viewer = Annotated[Auth, Depends(require("viewer"))]

KEY = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".png": "image/png"}


def resolve_inside(base: Path, relative: str) -> Path:
    """``relative`` as a regular file inside ``base`` (symlinks resolved), or 404."""
    not_found = HTTPException(404, "no such file")
    if (
        not relative
        or any(c in relative for c in ("\x00", "\\", "%"))
        or relative.startswith("/")
        or re.match(r"^[A-Za-z]:", relative)
    ):
        raise not_found
    if any(part in ("", ".", "..") for part in relative.split("/")):
        raise not_found
    try:
        root = base.resolve(strict=True)
        target = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise not_found from None
    if not target.is_relative_to(root) or not target.is_file():
        raise not_found
    return target


def _file(path: Path) -> FileResponse:
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lower()),
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.get("/media/artifacts/{key}/{name:path}")
def artifact_file(request: Request, key: str, name: str, auth: Viewer) -> FileResponse:
    """A file of an artifact, by its key and file name (range requests supported)."""
    if not KEY.match(key):
        raise HTTPException(404, "no such file")
    return _file(resolve_inside(project_of(request).artifacts, f"{key[:2]}/{key}/{name}"))


@router.get("/media/deliverables/{name:path}")
def deliverable_file(request: Request, name: str, auth: Viewer) -> FileResponse:
    """A delivered file by name (range requests supported)."""
    return _file(resolve_inside(project_of(request).deliverables, name))


@router.get("/media/proxy/{key}.mp4")
def proxy(request: Request, key: str, auth: Viewer) -> FileResponse:
    """The all-intra H.264 review proxy of a video artifact, made (and cached) on first use."""
    if not KEY.match(key):
        raise HTTPException(404, "no such artifact")
    project = project_of(request)
    try:
        path = ensure_proxy(project, key)
    except ReelgraphError as exc:
        raise HTTPException(404, str(exc)) from exc
    return _file(resolve_inside(project.artifacts, str(path.relative_to(project.artifacts))))


@router.get("/media/thumbs/{key}.jpg")
def artifact_thumbnail(request: Request, key: str, auth: Viewer) -> Response:
    """The middle frame of a video artifact (a shot's master), as a JPEG."""
    if not KEY.match(key):
        raise HTTPException(404, "no such artifact")
    try:
        data = thumbnail(project_of(request), key)
    except ReelgraphError as exc:
        raise HTTPException(404, str(exc)) from exc
    # An artifact never changes, so neither does its thumbnail.
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
