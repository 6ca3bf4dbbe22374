"""Mattes in a delivery: a shot's ``roto`` mattes go out with its master, as the spec says.

* ``mattes: alpha`` (``vfx-plates``): each EXR plate is delivered with its frame's matte as
  channel ``A`` — RGBA plates, what compositing packages load as a premultiplied-ready
  plate-plus-matte pair in one file. The plate's samples, pixel type, compression and
  chromaticities are kept as they are; the matte takes the plate's pixel type and, when the
  plate was scaled to the delivery size, the same fit (Lanczos, letter/pillarboxed).
* ``mattes: files`` (every other spec, and any master that is not EXR plates): the matte
  sequence (``SHOT.NNNNNN.png``/``.exr``) is delivered beside the master, unchanged.

Either way the manifest's item for the shot lists the matte files (or the RGBA plates) with
their checksums, under ``mattes`` the roto artifact's key and how they were delivered. A
shot with no ``roto`` node in the run has no mattes. Files are written beside their place
and renamed in, after their checksum is read back, like every delivered file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import OpenEXR

from reelgraph.algorithms.restore.upscale_lanczos_duchon1979 import (
    fit_lanczos_duchon1979 as fit,
)
from reelgraph.errors import ProjectError
from reelgraph.media.mattes import read_mask
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.project.folder import Project

__all__ = ["MATTE_DELIVERIES", "MattePlan", "frame_number", "matte_plan", "plate_with_alpha"]

#: How a spec delivers mattes: ``alpha`` (channel A of the EXR plates) or ``files``.
MATTE_DELIVERIES = ("alpha", "files")


def frame_number(name: str) -> int | None:
    """``NAME.NNNN.ext`` → NNNN (plates and mattes both put the frame before the suffix)."""
    parts = name.rsplit(".", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


class MattePlan:
    """A shot's mattes, checked, and how they go out with its master."""

    def __init__(
        self, key: str, folder: Path, files: Mapping[str, Mapping[str, Any]], how: str
    ) -> None:
        self.key = key
        self.folder = folder
        self.files = {name: dict(info) for name, info in files.items()}
        self.how = how
        self.by_frame = {
            number: name
            for name in self.files
            if (number := frame_number(name)) is not None and not name.endswith(".json")
        }

    def matte_for(self, plate: str) -> str | None:
        """The matte file of a plate's frame (None: no matte, or not an alpha delivery)."""
        number = frame_number(plate)
        if self.how != "alpha" or number is None or not plate.lower().endswith(".exr"):
            return None
        return self.by_frame.get(number)

    def manifest_entry(self, delivered: list[str]) -> dict[str, Any]:
        return {
            "key": self.key,
            "delivered_as": "alpha channel A of the plates" if self.how == "alpha" else "files",
            "files": delivered,
        }


def matte_plan(
    project: Project,
    run_id: int,
    shot: str,
    master_files: Mapping[str, Any],
    spec_mattes: str,
    verify: Any,
) -> MattePlan | None:
    """The shot's mattes in this run (its ``roto`` node, ran or cached), their files checked
    with ``verify(project, shot, key)``; None when the run made none. ``alpha`` falls back
    to ``files`` when the master is not EXR plates or a plate has no matte."""
    nodes = [
        n
        for n in project.store.nodes(run_id, shot=shot, agent="roto")
        if n.outcome in ("ran", "cached") and n.key is not None
    ]
    if not nodes:
        return None
    key = str(nodes[-1].key)
    files = verify(project, shot, key)
    plan = MattePlan(key, project.artifacts / key[:2] / key, files, spec_mattes)
    plates = [name for name in master_files if name.lower().endswith(".exr")]
    if spec_mattes == "alpha" and (
        not plates or any(frame_number(name) not in plan.by_frame for name in plates)
    ):
        plan.how = "files"
    return plan


def plate_with_alpha(plate: Path, matte: Path, target: Path, shot: str) -> dict[str, Any]:
    """Write ``plate`` with ``matte`` as channel A to ``target`` (beside it first, synced,
    renamed in); its manifest entry (file, sha256, size, alpha)."""
    try:
        with OpenEXR.File(str(plate)) as exr:
            header = exr.header()
            channels = exr.channels()
            rgb = (
                channels["RGB"].pixels
                if "RGB" in channels
                else np.dstack([channels[c].pixels for c in ("R", "G", "B")])
            )
            keep = {k: header[k] for k in ("compression", "chromaticities", "type") if k in header}
    except (OSError, RuntimeError, KeyError) as exc:
        raise ProjectError(
            f"shot {shot}: {plate.name} is not a readable RGB OpenEXR plate ({exc}); nothing "
            "was delivered for it",
            path=plate,
            hint="run 'reelgraph run' again to render the plates anew, then deliver",
        ) from exc
    alpha = read_mask(matte)
    height, width = rgb.shape[:2]
    if alpha.shape != (height, width):  # the plate was fitted to the delivery size
        alpha = fit(np.repeat(alpha[..., None], 3, axis=2), width, height)[..., 0]
    rgba = np.dstack([rgb, alpha.astype(rgb.dtype)])
    tmp = target.with_name(f".{target.name}.tmp")
    with OpenEXR.File(keep, {"RGBA": np.ascontiguousarray(rgba)}) as out:
        out.write(str(tmp))
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    digest = file_sha256(tmp)
    size = tmp.stat().st_size
    os.replace(tmp, target)
    return {"file": target.name, "sha256": digest, "size": size, "alpha": matte.name}
