"""Ingest: probe every source of the brief, fingerprint it, register scenes and shots.

Everything is checked before anything is written: one bad source refuses the whole ingest
and the store stays as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelgraph.errors import BriefError, MediaError
from reelgraph.ingest.split import (
    SPLIT_KEY,
    SourceSplit,
    expand_shots,
    split_source,
    wants_split,
)
from reelgraph.media.probe import MediaInfo, probe
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.project.brief import Brief
from reelgraph.project.folder import Project
from reelgraph.project.store import ShotRecord, SourceRecord, dumps


@dataclass(frozen=True)
class IngestedSource:
    id: str
    path: Path
    fingerprint: str
    info: MediaInfo
    rights: dict[str, Any] | None


def source_meta(info: MediaInfo) -> dict[str, Any]:
    """How agents see a source: the first video and audio streams' essentials."""
    meta: dict[str, Any] = {"kind": "source", "file": Path(info.path).name}
    if info.video:
        v = info.video[0]
        meta.update(
            kind="video",
            width=v.width,
            height=v.height,
            frames=v.conformed_frames if v.variable_frame_rate else v.frame_count,
            frame_rate=f"{v.frame_rate.numerator}/{v.frame_rate.denominator}",
            bit_depth=v.bit_depth,
            colour=v.colour.to_dict(),
            variable_frame_rate=v.variable_frame_rate,
        )
    if info.audio:
        a = info.audio[0]
        meta.update(audio_rate=a.sample_rate, audio_channels=a.channels, audio_layout=a.layout)
        meta["duration_s"] = a.duration_s if not info.video else info.duration_s
        if not info.video:
            meta["kind"] = "audio"
    return meta


def _fingerprint(project: Project, path: Path) -> str:
    """SHA-256 of the file's bytes, reused while size and modification time are unchanged."""
    stat = path.stat()
    row = project.store.source_at(str(path))
    if row:
        probe_data = row.probe
        if (
            probe_data.get("size_bytes") == stat.st_size
            and probe_data.get("mtime") == stat.st_mtime
        ):
            return str(row.fingerprint)
    return file_sha256(path)


def _stored_split(project: Project, source_id: str) -> SourceSplit | None:
    row = project.store.source(source_id)
    data = row.probe.get(SPLIT_KEY) if row else None
    return SourceSplit.from_dict(source_id, data) if data else None


def ingest(
    project: Project, brief: Brief | None = None, *, conform: bool = False, split: bool = False
) -> list[IngestedSource]:
    """Register the brief's sources and shots; ``split``: split every source into its
    detected shots (see :mod:`reelgraph.ingest.split`)."""
    brief = brief or project.brief()
    found: list[IngestedSource] = []
    for source in brief.sources:
        path = (project.root / source.path).resolve()
        if not path.exists():
            raise BriefError(
                f"source {source.id!r}: media not found: {source.path}",
                path=path,
                hint="fix 'path' in brief.yaml (relative to the project folder) or copy the "
                "file there",
            )
        try:
            info = probe(path)
        except MediaError as exc:
            raise MediaError(
                f"source {source.id!r}: {exc.message}", path=path, hint=exc.hint
            ) from exc
        if info.video and info.video[0].variable_frame_rate and not conform:
            raise MediaError(
                f"source {source.id!r}: {path.name} has a variable frame rate",
                path=path,
                hint="re-encode it at a constant frame rate, or run with --conform to resample "
                "it onto its average rate",
            )
        rights = source.rights.model_dump() if source.rights else None
        found.append(IngestedSource(source.id, path, _fingerprint(project, path), info, rights))
    splits: dict[str, SourceSplit] = {}
    for source, src in zip(brief.sources, found, strict=True):
        previous = _stored_split(project, source.id)
        if wants_split(source, split, previous) and src.info.video:
            splits[source.id] = split_source(
                source.id,
                src.path,
                src.fingerprint,
                variable_frame_rate=src.info.video[0].variable_frame_rate,
                previous=previous,
            )
    shots = []
    for shot_id, scene_id, source_id, first, last in expand_shots(brief, splits):
        src = next(s for s in found if s.id == source_id)
        total = int(source_meta(src.info).get("frames", 0))
        if first < 0:
            first, last = 0, max(0, total - 1)
        if src.info.video and last >= total:
            raise BriefError(
                f"shot {shot_id!r}: frames [{first}, {last}] but {src.path.name} has "
                f"{total} frames",
                hint=f"use a range within [0, {total - 1}]",
            )
        shots.append((shot_id, scene_id, source_id, first, last))
    now = datetime.now(UTC).isoformat()
    with project.store.transaction():
        for s in found:
            stat = s.path.stat()
            rights_json = dumps(s.rights) if s.rights else None
            known = project.store.source(s.id)
            changed = known is None or (known.fingerprint, known.rights_json) != (
                s.fingerprint,
                rights_json,
            )
            probe_data = {
                **source_meta(s.info),
                "probe": s.info.to_dict(),
                "size_bytes": stat.st_size,
                "mtime": stat.st_mtime,
            }
            source_split = splits.get(s.id)
            if source_split is not None:
                probe_data[SPLIT_KEY] = source_split.to_dict()
                if source_split != _stored_split(project, s.id):
                    project.audit.append(
                        "split",
                        s.id,
                        {"detector": source_split.detector, "shots": len(source_split.ranges)},
                    )
            project.store.put_source(
                SourceRecord(s.id, str(s.path), s.fingerprint, dumps(probe_data), rights_json, now)
            )
            if not changed:
                continue  # same file and rights as at the last ingest: nothing to record
            project.audit.append(
                "ingest",
                s.id,
                {"path": str(s.path), "fingerprint": s.fingerprint, "rights": s.rights},
            )
        scenes = [(scene.id, dict(scene.variables)) for scene in brief.scenes]
        named = {scene.id for scene in brief.scenes}
        scenes += [  # the scenes of split sources
            (scene_id, {}) for scene_id in dict.fromkeys(r[1] for r in shots if r[1] not in named)
        ]
        project.store.replace_shots(scenes, [ShotRecord(*r) for r in shots])
    return found
