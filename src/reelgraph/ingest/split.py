"""Raw footage in: split a source that holds many shots at its detected shot boundaries.

A source is split when the brief says ``split: auto``, when ``reelgraph ingest --split`` is
run, or — unless the brief says ``split: none`` — when an earlier ingest split it (so a
later plain ingest, which every command runs first, keeps the shots). The detection is
stored with the source and reused while the file's fingerprint and the detector are the same.

Each detected shot gets an id made of the source id and its frame range,
``<source>.<first>-<last>`` with six-digit frame numbers (``rushes.000000-000142``): the same
file gives the same ids at every ingest, and a re-cut file gives new ids only to the shots
that changed. Where a brief shot names a split source without ``frames``, the detected shots
take its place in its scene (unless only one shot was found: then the brief's shot stays);
otherwise they go to a scene named after the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph.agents.shots import detect_file
from reelgraph.algorithms.shots import DEFAULT_SHOT_METHOD
from reelgraph.errors import BriefError, MediaError
from reelgraph.project.brief import Brief, Source

#: Key of the stored detection inside a source's probe data in the store.
SPLIT_KEY = "shot_split"

ShotRow = tuple[str, str, str, int, int]  # id, scene, source, first frame, last frame


def split_shot_id(source_id: str, first: int, last: int) -> str:
    """The stable id of a detected shot.

    >>> split_shot_id("rushes", 0, 142)
    'rushes.000000-000142'
    """
    return f"{source_id}.{first:06d}-{last:06d}"


@dataclass(frozen=True)
class SourceSplit:
    """The shots found in one source, and what found them."""

    source: str
    fingerprint: str
    detector: str
    ranges: tuple[tuple[int, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "detector": self.detector,
            "ranges": [list(r) for r in self.ranges],
        }

    @classmethod
    def from_dict(cls, source: str, data: Mapping[str, Any]) -> SourceSplit:
        ranges = tuple((int(a), int(b)) for a, b in data["ranges"])
        return cls(source, str(data["fingerprint"]), str(data["detector"]), ranges)


def wants_split(source: Source, requested: bool, previous: SourceSplit | None) -> bool:
    """Whether this ingest splits ``source`` (see the module docstring)."""
    if source.split == "none":
        return False
    return source.split == "auto" or requested or previous is not None


def split_source(
    source_id: str,
    path: Path,
    fingerprint: str,
    *,
    variable_frame_rate: bool,
    previous: SourceSplit | None,
    detector: str = DEFAULT_SHOT_METHOD,
) -> SourceSplit:
    """The source's shots: the stored detection when still valid, else a new one."""
    if previous is not None and (previous.fingerprint, previous.detector) == (
        fingerprint,
        detector,
    ):
        return previous
    if variable_frame_rate:
        raise MediaError(
            f"source {source_id!r}: {path.name} has a variable frame rate and cannot be split",
            path=path,
            hint="re-encode it at a constant frame rate before splitting it into shots",
        )
    result = detect_file(path, detector)
    return SourceSplit(source_id, fingerprint, result.detector, tuple(result.shot_ranges()))


def expand_shots(brief: Brief, splits: Mapping[str, SourceSplit]) -> list[ShotRow]:
    """The brief's shots with every split source's detected shots in place (see above).

    Rows without ``frames`` are returned with ``first = last = -1`` for the caller to fill
    with the whole clip.
    """
    rows: list[ShotRow] = []
    placed: dict[str, str] = {}
    for scene in brief.scenes:
        for shot in scene.shots:
            split = splits.get(shot.source)
            if split is None or shot.frames is not None or len(split.ranges) < 2:
                # One shot found is the whole clip: the brief's own shot stands for it.
                first, last = shot.frames if shot.frames else (-1, -1)
                rows.append((shot.id, scene.id, shot.source, first, last))
                continue
            if shot.source in placed:
                raise BriefError(
                    f"shots {placed[shot.source]!r} and {shot.id!r} both stand for the whole of "
                    f"split source {shot.source!r}",
                    hint="keep one of them: a split source's detected shots take its place",
                )
            placed[shot.source] = shot.id
            rows.extend(
                (split_shot_id(shot.source, a, b), scene.id, shot.source, a, b)
                for a, b in split.ranges
            )
    named = {shot.source for scene in brief.scenes for shot in scene.shots}
    for source_id, split in splits.items():
        if source_id not in named:
            rows.extend(
                (split_shot_id(source_id, a, b), source_id, source_id, a, b)
                for a, b in split.ranges
            )
    ids = [row[0] for row in rows]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BriefError(
            f"shot id(s) {', '.join(duplicates)} given both in brief.yaml and to detected shots",
            hint="rename the brief's shot; detected shots are named <source>.<first>-<last>",
        )
    return rows
