"""Continuity report: how far each shot sat from its hero before and after matching.

A folder with ``index.html`` (a table of CIEDE2000 before/after on the matched regions, the
method used — overlap or neutral/skin statistics — the CDL, and hero | before | after
thumbnails side by side) and ``continuity.json`` (schema ``reelgraph.Continuity.1``, the
same figures for scripts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from reelgraph.review.report_html import HtmlReport

SCHEMA = "reelgraph.Continuity.1"
#: Height in pixels of each picture in a side-by-side thumbnail strip.
THUMB_HEIGHT = 180

Array = npt.NDArray[np.float32]


@dataclass
class ContinuityEntry:
    shot: str
    hero: str
    result: dict[str, Any]  # MatchResult.to_dict()
    hero_frame: Array  # encoded R'G'B' (H, W, 3)
    before: Array
    after: Array


def _thumb(rgb: Array) -> npt.NDArray[np.uint8]:
    scale = THUMB_HEIGHT / rgb.shape[0]
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.asarray(np.clip(np.rint(small * 255.0), 0, 255), np.uint8)


def _strip(entry: ContinuityEntry) -> npt.NDArray[np.uint8]:
    parts = [_thumb(entry.hero_frame), _thumb(entry.before), _thumb(entry.after)]
    gap = np.full((THUMB_HEIGHT, 6, 3), 255, np.uint8)
    row = [parts[0], gap, parts[1], gap, parts[2]]
    return np.concatenate(row, axis=1)


def report_document(entries: list[ContinuityEntry]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "shots": [{"shot": e.shot, "hero": e.hero, **e.result} for e in entries],
    }


def write_continuity_report(folder: Path, entries: list[ContinuityEntry], title: str) -> Path:
    """Write the report folder; returns the path of ``index.html``."""
    report = HtmlReport(folder, title)
    report.paragraph(
        "CIEDE2000 between each shot and its hero on the regions both show (overlap "
        "correspondences) or, where they share nothing, between their neutral/skin statistics; "
        "before and after the match."
    )
    rows = []
    for e in entries:
        r = e.result
        cdl = r["cdl"]
        rows.append(
            [
                e.shot,
                e.hero,
                r["method"],
                r["delta_e_before"],
                r["delta_e_after"],
                ""
                if r["delta_e_itp_before"] is None
                else f"{r['delta_e_itp_before']:.2f} → {r['delta_e_itp_after']:.2f}",
                " ".join(f"{v:.3f}" for v in cdl["slope"]),
                f"{cdl['saturation']:.3f}",
                "yes" if r["residual_lut"] else "no",
            ]
        )
    report.table(
        [
            "shot",
            "hero",
            "matched by",
            "ΔE2000 before",
            "ΔE2000 after",
            "ΔE ITP (HDR)",
            "CDL slope",
            "sat",
            "residual LUT",
        ],
        rows,
    )
    for e in entries:
        report.heading(f"{e.shot} → {e.hero}", level=3)
        for note in e.result.get("notes", []):
            report.paragraph(note)
        name = f"{e.shot}_thumbs".replace("/", "_")
        path = folder / f"{name}.png"
        cv2.imwrite(str(path), _strip(e)[..., ::-1])
        report.image(path.name, f"hero {e.hero} | {e.shot} before | {e.shot} after")
    (folder / "continuity.json").write_text(
        json.dumps(report_document(entries), indent=2) + "\n", encoding="utf-8"
    )
    report.link("continuity.json", "figures as JSON (reelgraph.Continuity.1)")
    return report.write()
