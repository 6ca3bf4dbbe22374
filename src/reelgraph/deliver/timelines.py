"""The programme's timeline, handed to an editing system: ``programme.otio``,
``programme.edl`` (CMX 3600) and ``programme.fcpxml`` (Final Cut Pro X), all written by
OpenTimelineIO and its adapters (``otio-cmx3600-adapter``, ``otio-fcpx-xml-adapter``).

The timeline is the cut as delivered: one video track, each clip named by its take's shot
id and pointing at that shot's delivered master (whose frame 0 is the shot's first frame),
its source range the frames the programme uses; dissolves as ``SMPTE_Dissolve``
transitions centred on their cuts; the grade's ASC CDL on each clip under
``metadata["cdl"]`` (where the CMX adapter writes ``*ASC_SOP``/``*ASC_SAT``); the slot and
the reasons for each clip under ``metadata["reelgraph"]``; the programme's QC findings as
markers on the clips they fall in.

Each file is read back through the same adapter and compared with the timeline: a
different clip count, clip name or range is an error (nothing is delivered); what a format
does not carry (CDL, metadata, marker ranges, transitions) is listed for the delivery
report, never dropped silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import opentimelineio as otio

from reelgraph.algorithms.colour.asc_cdl import CDL
from reelgraph.errors import ProjectError, ReelgraphError
from reelgraph.plan.rules.editorial import METADATA_KEY, dissolve_transition
from reelgraph.plan.timeline import PROGRAMME_NODE, PROGRAMME_QC_NODE, project_cut
from reelgraph.project.folder import Project

#: File suffix → OTIO adapter. The CMX and FCPX adapters are separate packages.
FORMATS: dict[str, str] = {
    ".otio": "otio_json",
    ".edl": "cmx_3600",
    ".fcpxml": "fcpx_xml",
}

#: Marker colour of a finding's severity (OTIO's marker colours; CMX writes them by name).
MARKER_COLOURS = {
    "fail": otio.schema.MarkerColor.RED,
    "warning": otio.schema.MarkerColor.YELLOW,
    "info": otio.schema.MarkerColor.GREEN,
}


@dataclass(frozen=True)
class TimelineClip:
    """One clip of the programme, as delivered."""

    slot: str
    take: str  # shot id: the clip's name
    first: int  # first frame used, counted in the take (= in its delivered master)
    last: int  # last frame used, inclusive
    dissolve: int  # frames of the dissolve into this clip (0: a cut)
    media: Path  # the take's delivered master
    media_frames: int
    cdl: CDL | None = None
    why: tuple[str, ...] = ()

    @property
    def frames(self) -> int:
        return self.last - self.first + 1


def _rt(frames: int | float, rate: Fraction) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, float(rate))


def _cdl_metadata(cdl: CDL) -> dict[str, Any]:
    return {
        "asc_sop": {
            "slope": list(cdl.slope),
            "offset": list(cdl.offset),
            "power": list(cdl.power),
        },
        "asc_sat": cdl.saturation,
    }


def programme_timeline(
    name: str,
    clips: Sequence[TimelineClip],
    rate: Fraction,
    findings: Sequence[Mapping[str, Any]] = (),
) -> otio.schema.Timeline:
    """The delivered cut as an OTIO timeline (module docstring); ``findings`` are the
    programme's QC findings (``start_frame``/``end_frame`` in programme frames)."""
    timeline = otio.schema.Timeline(name=name, global_start_time=_rt(0, rate))
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    placed: list[tuple[int, otio.schema.Clip, TimelineClip]] = []
    record = 0
    for clip in clips:
        if clip.dissolve:
            track.append(dissolve_transition(clip.take, clip.dissolve, float(rate)))
        metadata: dict[str, Any] = {METADATA_KEY: {"slot": clip.slot, "why": list(clip.why)}}
        if clip.cdl is not None:
            metadata["cdl"] = _cdl_metadata(clip.cdl)
        item = otio.schema.Clip(
            name=clip.take,
            media_reference=otio.schema.ExternalReference(
                # Relative to the timeline file, which sits beside the masters: the
                # deliverables folder can be moved or sent as a whole without relinking, and
                # the same cut gives the same bytes wherever the project lives.
                target_url=clip.media.name,
                available_range=otio.opentime.TimeRange(_rt(0, rate), _rt(clip.media_frames, rate)),
            ),
            source_range=otio.opentime.TimeRange(_rt(clip.first, rate), _rt(clip.frames, rate)),
            metadata=metadata,
        )
        track.append(item)
        placed.append((record, item, clip))
        record += clip.frames
    for finding in findings:
        _mark(placed, finding, rate)
    return timeline


def _mark(
    placed: list[tuple[int, otio.schema.Clip, TimelineClip]],
    finding: Mapping[str, Any],
    rate: Fraction,
) -> None:
    """A finding as a marker on the clip its first frame falls in (findings of the whole
    programme, such as its loudness, on the first clip's first frame)."""
    start = finding.get("start_frame")
    end = finding.get("end_frame")
    start = 0 if start is None else int(start)
    end = start if end is None else int(end)
    for record_in, item, clip in placed:
        if record_in <= start < record_in + clip.frames:
            offset = start - record_in
            length = min(end - start + 1, clip.frames - offset)
            item.markers.append(
                otio.schema.Marker(
                    name=f"QC {finding['severity']} {finding['check']}: {finding['message']}",
                    marked_range=otio.opentime.TimeRange(
                        _rt(clip.first + offset, rate), _rt(max(1, length), rate)
                    ),
                    color=MARKER_COLOURS.get(str(finding["severity"]), "WHITE"),
                    metadata={METADATA_KEY: dict(finding)},
                )
            )
            return


def _grade_cdl(project: Project, run_id: int, shot: str) -> CDL | None:
    """The CDL the shot's grade applied in the run (identity for a neutral look), or None
    for a shot without a grade node."""
    grades = project.store.nodes(run_id, shot=shot, agent="grade")
    key = grades[0].key if grades else None
    if key is None:
        return None
    view = project.artifacts / key[:2] / key / "view.json"
    try:
        ops = json.loads(view.read_text(encoding="utf-8")).get("ops", [])
    except (OSError, ValueError):
        return None
    cdls = [op for op in ops if op.get("op") == "cdl"]
    return CDL.from_dict(cdls[-1]) if cdls else CDL()


def programme_clips_delivered(
    project: Project,
    run_id: int,
    key: str,
    accepted: Mapping[str, Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], otio.schema.Timeline] | tuple[str, None]:
    """The programme artifact ``key``'s clips and its timeline over the delivered masters
    (``accepted``: shot → its master's files, delivered now: a take held now holds the
    programme, even when an earlier delivery shipped it); or why it cannot be delivered
    and None."""
    folder = project.artifacts / key[:2] / key
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    params = manifest["params"]
    rate = Fraction(str(manifest.get("output", {}).get("frame_rate") or _rate(project, params)))
    shots = {r.id: r.end_frame - r.start_frame + 1 for r in project.store.shots()}
    try:
        reasons = {(c.take, c.first, c.last): c.why for c in project_cut(project, project.brief())}
    except ReelgraphError:  # the brief changed since the run: the reasons are not known
        reasons = {}
    clips: list[TimelineClip] = []
    for clip in params["clips"]:
        take = str(clip["take"])
        names = list(accepted.get(take, ()))
        media = [n for n in names if Path(n).suffix in (".mp4", ".mov", ".mkv", ".mxf")]
        if not media:
            return (
                f"its take {take} is not delivered (held, or not rendered in this run)",
                None,
            )
        first, last = int(clip["first"]), int(clip["last"])
        clips.append(
            TimelineClip(
                str(clip["slot"]),
                take,
                first,
                last,
                int(clip["dissolve"]),
                project.deliverables / sorted(media)[0],
                shots.get(take, last + 1),
                _grade_cdl(project, run_id, take),
                tuple(reasons.get((take, first, last), ())),
            )
        )
    findings = [
        {
            "check": f.check_name,
            "severity": f.severity,
            "start_frame": f.start_frame,
            "end_frame": f.end_frame,
            "message": f.message,
        }
        for f in project.store.findings(run_id, node_ids=(PROGRAMME_NODE, PROGRAMME_QC_NODE))
    ]
    timeline = programme_timeline(project.brief().project, clips, rate, findings)
    rows = [
        {
            "slot": c.slot,
            "take": c.take,
            "media": c.media.name,
            "source_in": c.first,
            "source_out": c.last,
            "transition": {"kind": "dissolve" if c.dissolve else "cut", "frames": c.dissolve},
            "cdl": c.cdl.to_dict() if c.cdl is not None else None,
        }
        for c in clips
    ]
    return rows, timeline


def _rate(project: Project, params: Mapping[str, Any]) -> str:
    source = project.store.source_of_shot(str(params["clips"][0]["take"]))
    return str(source.probe.get("frame_rate", "25/1")) if source else "25/1"


def _clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    return list(timeline.find_clips())


def compare(written: otio.schema.Timeline, read: otio.schema.Timeline, file: str) -> list[str]:
    """What ``read`` (a file read back) lost of ``written``, as sentences; a different clip
    count, clip name or range raises (the file would not be the cut)."""
    before, after = _clips(written), _clips(read)
    if len(before) != len(after):
        raise ProjectError(
            f"{file} reads back with {len(after)} clips where the cut has {len(before)}; "
            "nothing was delivered",
            hint="report this with the timeline: an adapter does not round-trip this cut",
        )
    for a, b in zip(before, after, strict=True):
        ours = (a.name, a.source_range.start_time.to_frames(), a.source_range.duration.to_frames())
        theirs = (
            b.name,
            b.source_range.start_time.to_frames(),
            b.source_range.duration.to_frames(),
        )
        if ours != theirs:
            raise ProjectError(
                f"{file} reads back clip {theirs} where the cut has {ours} (name, first frame, "
                "frames); nothing was delivered",
                hint="report this with the timeline: an adapter does not round-trip this cut",
            )
    lost: list[str] = []
    if any("cdl" in a.metadata for a in before) and not any("cdl" in b.metadata for b in after):
        lost.append("the grade's ASC CDL per clip")
    if not any(METADATA_KEY in b.metadata for b in after):
        lost.append("why each clip is where it is (slot and reasons: see programme.otio)")
    markers_before = [m for a in before for m in a.markers]
    markers_after = [m for b in after for m in b.markers]
    if len(markers_after) < len(markers_before):
        lost.append(f"QC findings as markers ({len(markers_after)} of {len(markers_before)})")
    elif any(
        m.marked_range.duration.to_frames() != n.marked_range.duration.to_frames()
        for m, n in zip(markers_before, markers_after, strict=False)
    ):
        lost.append("the length of QC findings (markers are single frames)")
    transitions = [t for t in written.find_children(descended_from_type=otio.schema.Transition)]
    read_transitions = list(read.find_children(descended_from_type=otio.schema.Transition))
    if len(read_transitions) < len(transitions):
        lost.append(f"dissolves ({len(read_transitions)} of {len(transitions)} read back)")
    return lost


def _centred(timeline: otio.schema.Timeline) -> bool:
    return any(
        t.in_offset.value
        for t in timeline.find_children(descended_from_type=otio.schema.Transition)
    )


def cmx_layout(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """The same edit with every dissolve starting at its cut, as CMX 3600 lays it out: the
    dissolve's frames before the centred cut move from the outgoing clip's end to the
    incoming clip's start (its in point that much earlier). Record times do not change."""
    copy = timeline.deepcopy()
    for track in copy.tracks:
        items = list(track)
        for n, item in enumerate(items):
            if not isinstance(item, otio.schema.Transition) or not item.in_offset.value:
                continue
            before = item.in_offset
            outgoing, incoming = items[n - 1], items[n + 1]
            out_range, in_range = outgoing.source_range, incoming.source_range
            outgoing.source_range = otio.opentime.TimeRange(
                out_range.start_time, out_range.duration - before
            )
            incoming.source_range = otio.opentime.TimeRange(
                in_range.start_time - before, in_range.duration + before
            )
            item.out_offset = item.out_offset + before
            item.in_offset = otio.opentime.RationalTime(0, before.rate)
    return copy


def write_timelines(
    timeline: otio.schema.Timeline, folder: Path, name: str = "programme"
) -> dict[str, list[str]]:
    """Write ``name.otio``, ``.edl`` and ``.fcpxml`` into ``folder`` beside their final
    names (``.name.ext.tmp``), read each back and compare; returns temporary path → what it
    does not carry. The caller renames them into place (:func:`commit`) once everything
    else of the delivery is in place, or removes them (:func:`discard`)."""
    written: dict[str, list[str]] = {}
    try:
        for suffix, adapter in FORMATS.items():
            tmp = folder / f".{name}{suffix}.tmp"
            written[str(tmp)] = []
            # Each adapter gets its own copy: the CMX writer rewrites transitions in place.
            ours = cmx_layout(timeline) if adapter == "cmx_3600" else timeline.deepcopy()
            otio.adapters.write_to_file(ours.deepcopy(), str(tmp), adapter_name=adapter)
            read = otio.adapters.read_from_file(str(tmp), adapter_name=adapter)
            written[str(tmp)] = compare(ours, read, f"{name}{suffix}")
            if adapter == "cmx_3600" and _centred(timeline):
                written[str(tmp)].append(
                    "dissolves centred on their cuts: written as CMX 3600 lays them out, from "
                    "the cut, with the incoming clip's in point earlier (the same frames)"
                )
    except Exception:
        discard(written)
        raise
    return written


def final_name(tmp: str | Path) -> Path:
    path = Path(tmp)
    return path.with_name(path.name[1:].removesuffix(".tmp"))


def commit(written: Mapping[str, list[str]]) -> list[Path]:
    paths = []
    for tmp in written:
        target = final_name(tmp)
        os.replace(tmp, target)
        paths.append(target)
    return paths


def discard(written: Mapping[str, list[str]]) -> None:
    for tmp in written:
        Path(tmp).unlink(missing_ok=True)


__all__ = [
    "FORMATS",
    "TimelineClip",
    "cmx_layout",
    "commit",
    "compare",
    "discard",
    "final_name",
    "programme_clips_delivered",
    "programme_timeline",
    "write_timelines",
]
