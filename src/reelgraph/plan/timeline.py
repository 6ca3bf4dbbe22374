"""The cut as the planner and delivery use it: the brief's ``edit`` section resolved against
the project store (shots, their frame ranges and rates, the takes chosen by
``reelgraph takes``), and laid out on the record (programme) time line.

The editorial decisions themselves — which take fills a slot, trims, pacing, transitions
and their checks — are :mod:`reelgraph.plan.rules.editorial`'s; this module adds what
rendering needs on top of them:

* :func:`project_cut` — the cut of a project, every clip checked;
* :func:`layout` — each clip's record range and, at each join, the frames the transition
  takes from either side (a dissolve centred on its cut, as OTIO and editing systems lay
  it out), refusing dissolves that overlap inside one clip;
* :func:`programme_clips` — the clip list the ``programme`` agent renders from.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reelgraph.errors import PlanError
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules.editorial import CutClip, ShotMedia, plan_cut
from reelgraph.plan.rules.loudness import LOSSY_TRUE_PEAK_MARGIN_DB
from reelgraph.project.brief import Brief
from reelgraph.project.folder import Project

#: Node ids of the programme and its QC; the programme is no shot's (``shot`` is None).
PROGRAMME_NODE = "programme/master"
PROGRAMME_QC_NODE = "programme/qc"


def shot_media(project: Project) -> dict[str, ShotMedia]:
    """Every ingested shot, in ingest order: source file, frame range, frame rate."""
    shots = {}
    for row in project.store.shot_sources():
        probe = json.loads(row.probe_json)
        if probe.get("kind") != "video":
            continue  # sound-only sources have no picture to cut
        rate = Fraction(str(probe.get("frame_rate", "25/1")))
        shots[row.id] = ShotMedia(row.id, Path(row.path), row.start_frame, row.end_frame, rate)
    return shots


def chosen_takes(project: Project) -> dict[str, str]:
    """Shot → the take chosen for its setup by the latest ``reelgraph takes -p``."""
    data = {row.shot: json.loads(row.data_json) for row in project.store.latest_analyses("take")}
    chosen_of_setup = {d["setup"]: shot for shot, d in data.items() if d.get("chosen")}
    return {
        shot: chosen_of_setup[d["setup"]]
        for shot, d in data.items()
        if d["setup"] in chosen_of_setup
    }


def _activity(media: ShotMedia) -> NDArray[np.float64]:
    """Speech and picture change per frame, where pacing trims (as ``reelgraph cut``)."""
    stat = media.path.stat()
    return _file_activity(
        str(media.path), stat.st_size, stat.st_mtime_ns, media.first, media.last, media.rate
    )


@functools.lru_cache(maxsize=256)
def _file_activity(
    path: str, size: int, mtime_ns: int, first: int, last: int, rate: Fraction
) -> NDArray[np.float64]:
    # A run builds its plan more than once (to refuse unknown shots, then to render):
    # decode each take once per process, again only when its file changes.
    from reelgraph.agents.takes import frame_activity

    activity = frame_activity(Path(path), first, last, float(rate))
    activity.setflags(write=False)
    return activity


def project_cut(project: Project, brief: Brief) -> list[CutClip]:
    """The brief's cut of this project's shots (in brief order), checked and laid out."""
    in_brief = [shot.id for scene in brief.scenes for shot in scene.shots]
    media = shot_media(project)
    ordered = {sid: media[sid] for sid in in_brief if sid in media}
    clips = plan_cut(brief, ordered, chosen_takes(project), _activity)
    layout(clips)  # refuses dissolves that overlap
    return clips


@dataclass(frozen=True)
class Placed:
    """A clip on the record time line, with the transitions at its two ends.

    ``head`` frames before ``record_in`` come from the take's head handle (the dissolve into
    it starts that early); ``tail`` frames after ``record_out`` from its tail handle (the
    dissolve out of it ends that late). Both are 0 at cuts.
    """

    clip: CutClip
    record_in: int
    head: int
    tail: int

    @property
    def record_out(self) -> int:  # exclusive
        return self.record_in + self.clip.frames


def dissolve_halves(frames: int) -> tuple[int, int]:
    """(frames before the cut, frames after it) of a dissolve centred on its cut, as
    :func:`reelgraph.plan.rules.editorial.to_timeline` writes its OTIO transition."""
    return frames // 2, frames - frames // 2


def layout(clips: list[CutClip]) -> list[Placed]:
    """Record ranges and transition extents of the cut's clips (see :class:`Placed`)."""
    heads = [dissolve_halves(c.dissolve)[0] for c in clips]
    tails = [dissolve_halves(c.dissolve)[1] for c in clips[1:]] + [0]
    placed: list[Placed] = []
    record = 0
    for n, clip in enumerate(clips):
        # The frames of this clip shown alone: the dissolve into it ends ``tail-of-the-
        # previous`` frames after its in point, the dissolve out of it starts ``head-of-the-
        # next`` frames before its out point. Two dissolves may not overlap in one clip.
        into = dissolve_halves(clip.dissolve)[1] if clip.dissolve else 0
        out_of = heads[n + 1] if n + 1 < len(clips) else 0
        if into + out_of > clip.frames:
            raise PlanError(
                f"edit: slot {clip.slot!r}: the dissolves into and out of it overlap "
                f"({into} + {out_of} frames in a {clip.frames}-frame clip)",
                hint="shorten one of the dissolves or lengthen the clip",
            )
        placed.append(Placed(clip, record, heads[n] if clip.dissolve else 0, tails[n]))
        record += clip.frames
    return placed


def programme_clips(clips: list[CutClip]) -> list[dict[str, Any]]:
    """The clip list of the ``programme`` node: take, frames used (counted in the take)
    and the dissolve into it — plain values, so they become part of its cache key."""
    return [
        {"slot": c.slot, "take": c.take, "first": c.first, "last": c.last, "dissolve": c.dissolve}
        for c in clips
    ]


def programme_nodes(project: Project, brief: Brief, nodes: list[Node]) -> list[Node]:
    """The programme master, rendered from the takes' finished pictures and levelled
    sound (the inputs of their shots' masters in ``nodes``), and its QC. None for
    picture-only per-frame deliveries (EXR plates), which have no programme."""
    spec = brief.delivery_spec()
    if spec.video_preset == "exr":
        return []
    clips = project_cut(project, brief)
    masters = {n.shot: n for n in nodes if n.agent == "master"}
    takes = list(dict.fromkeys(c.take for c in clips))
    missing = [t for t in takes if t not in masters]
    if missing:
        raise PlanError(
            f"edit: take(s) {', '.join(missing)} are not shots of the brief",
            hint="a take is cut from a shot the brief lists under a scene",
        )
    sound = all(len(masters[t].inputs) > 1 for t in takes) and spec.audio is not None
    inputs = tuple(masters[t].inputs[0] for t in takes)
    if sound:
        inputs += tuple(masters[t].inputs[1] for t in takes)
    lossy = PRESETS[spec.video_preset].extension not in (".mov", ".mkv")
    audio = spec.audio
    frames = sum(c.frames for c in clips)
    dissolves = sum(1 for c in clips if c.dissolve)
    params: dict[str, Any] = {
        "clips": programme_clips(clips),
        "takes": takes,
        "sound": sound,
        "preset": spec.video_preset,
        "width": spec.width,
        "height": spec.height,
        "name": "programme",
        "loudness_target": audio.loudness_preset if audio and sound else "",
        "true_peak_margin_db": LOSSY_TRUE_PEAK_MARGIN_DB if lossy and sound else 0.0,
    }
    if _shot_master_is_programme(clips, masters, nodes, params):
        # One whole take, no transition, its sound levelled as the programme's would be:
        # the shot's master already is the programme, picture and sound, so it is delivered
        # as it is rather than encoded (and lose a generation) a second time.
        take = takes[0]
        params["master"] = True
        inputs = (masters[take].id,)
        why = (
            f"the cut is the whole of take {take} with no transition, and its sound is "
            f"levelled as the programme's would be: the shot's {spec.name} master is the "
            "programme, delivered under the programme's name without a second encode"
        )
        return [
            Node(PROGRAMME_NODE, "programme", params, inputs, why, deliverable="programme"),
            # The programme's file is the master's: checking the master is checking it, and
            # with the shot's own QC recipe the run makes (or reuses) that check once.
            _programme_qc(spec.name, masters[take].id),
        ]
    why = (
        f"the cut ({len(clips)} clips, {frames} frames, {dissolves} dissolve(s)) as one "
        f"{spec.name} programme from the takes' finished pictures"
        + (
            f", with one sound track crossfaded at the cuts and normalised as a whole to "
            f"{audio.loudness_preset} (per-shot levelling does not make a programme meet it)"
            if audio and sound
            else ", without sound"
        )
    )
    return [
        Node(PROGRAMME_NODE, "programme", params, inputs, why, deliverable="programme"),
        _programme_qc(spec.name),
    ]


def _programme_qc(spec: str, picture: str = PROGRAMME_NODE) -> Node:
    return Node(
        PROGRAMME_QC_NODE,
        "qc",
        {"spec": spec},
        (picture,),
        f"check the programme against {spec}'s QC profile, as one file; a failing "
        "finding holds the programme at delivery",
    )


def _shot_master_is_programme(
    clips: list[CutClip], masters: dict[str | None, Node], nodes: list[Node], params: dict[str, Any]
) -> bool:
    """Whether the cut is one take whole (no trim, no transition) whose shot master is
    encoded as the programme would be and carries sound levelled to the programme's target
    (or neither has sound)."""
    if len(clips) != 1:
        return False
    clip = clips[0]
    if clip.dissolve or clip.first != 0 or clip.last != clip.media.frames - 1:
        return False
    master = masters[clip.take]
    if (master.params.get("preset"), master.params.get("width"), master.params.get("height")) != (
        params["preset"],
        params["width"],
        params["height"],
    ):
        return False
    if not params["sound"]:
        return len(master.inputs) == 1
    by_id = {n.id: n for n in nodes}
    level = by_id.get(master.inputs[1])
    return (
        level is not None
        and level.agent == "loudness_level"
        and level.params.get("true_peak_margin_db") == params["true_peak_margin_db"]
    )


__all__ = [
    "PROGRAMME_NODE",
    "PROGRAMME_QC_NODE",
    "Placed",
    "chosen_takes",
    "dissolve_halves",
    "layout",
    "programme_clips",
    "programme_nodes",
    "project_cut",
    "shot_media",
]
