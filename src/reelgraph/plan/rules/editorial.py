"""Editorial rules: the first cut, built from the brief's ``edit`` section, as an
OpenTimelineIO timeline with a reason for every clip.

For each slot (default: every shot, in brief order, split rushes shot by shot):

* **take** — ``auto`` uses the take chosen for the shot's setup by ``reelgraph takes``
  (stored per shot; a person's ``take:`` in the brief already applied), or the shot itself
  when its takes were never ranked; a named take is used as named;
* **trims** — ``in``/``out`` frames counted in the take; without them the whole take;
* **pacing** — with ``target_runtime_s`` (or ``average_shot_s`` × slots) the clips without
  explicit trims lose frames from heads and tails until the cut fits, never below
  ``MIN_CLIP_S`` each: the same number from every clip that can give some, split between
  head and tail where the least happens (speech and motion per frame), or evenly without
  those figures;
* **transition** — ``cut``, or a dissolve of N frames into the clip, centred on the cut
  point (an OTIO ``SMPTE_Dissolve`` with N/2 frames either side), which needs N/2 frames of
  handle beyond each neighbour's trim.

Everything is checked before the timeline is made: a slot or take naming no shot, trims
outside the take, a dissolve longer than a clip or without handles — each is an error with
a hint, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import opentimelineio as otio
from numpy.typing import NDArray

from reelgraph.errors import PlanError
from reelgraph.project.brief import Brief, Dissolve, EditSlot

#: Shortest clip that pacing trims down to (seconds).
MIN_CLIP_S = 1.0
#: Activity (per removed frame) below which two ways to trim a clip count as equal.
ACTIVITY_TOLERANCE = 0.02
#: The namespace of reelgraph's metadata on OTIO objects.
METADATA_KEY = "reelgraph"


@dataclass(frozen=True)
class ShotMedia:
    """A shot as the store knows it: its source file, frame range and rate."""

    id: str
    path: Path
    first: int
    last: int
    rate: Fraction

    @property
    def frames(self) -> int:
        return self.last - self.first + 1


@dataclass
class CutClip:
    slot: str
    take: str
    media: ShotMedia
    first: int  # first frame used, counted in the take
    last: int  # last frame used, inclusive
    dissolve: int = 0  # frames of the dissolve into this clip (0: a cut)
    why: list[str] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return self.last - self.first + 1


def _take_of(
    slot: EditSlot,
    shots: dict[str, ShotMedia],
    chosen: dict[str, str],
) -> tuple[str, str]:
    if slot.shot not in shots:
        raise PlanError(
            f"edit: slot {slot.shot!r} names no shot",
            hint=f"shots: {', '.join(shots) or 'none (run reelgraph ingest)'}",
        )
    if slot.take != "auto":
        if slot.take not in shots:
            raise PlanError(
                f"edit: slot {slot.shot!r} names take {slot.take!r}, which is no shot",
                hint="name a shot id (reelgraph takes -p lists the takes of each setup)",
            )
        return slot.take, f"take {slot.take} named in the brief's edit"
    if slot.shot in chosen:
        take = chosen[slot.shot]
        return take, f"take {take}: the chosen take of this setup (reelgraph takes)"
    return slot.shot, "the shot itself (its takes were not ranked: run reelgraph takes -p)"


def plan_cut(
    brief: Brief,
    shots: dict[str, ShotMedia],
    chosen: dict[str, str],
    activity: Callable[[ShotMedia], NDArray[np.float64]] | None = None,
) -> list[CutClip]:
    """The cut's clips in order, trimmed, with transitions and reasons (see above).

    ``shots`` in brief order; ``chosen``: shot id → the take chosen for its setup;
    ``activity``: per-frame speech and motion of a take (one value per frame, higher =
    more going on), which pacing uses to trim where the least happens (else evenly).
    """
    slots = brief.edit.slots or [EditSlot(shot=shot_id) for shot_id in shots]
    if not slots:
        raise PlanError("edit: nothing to cut", hint="add shots to the brief and ingest them")
    clips: list[CutClip] = []
    for position, slot in enumerate(slots, start=1):
        take, reason = _take_of(slot, shots, chosen)
        media = shots[take]
        first = slot.in_ if slot.in_ is not None else 0
        last = slot.out if slot.out is not None else media.frames - 1
        if not 0 <= first <= last < media.frames:
            raise PlanError(
                f"edit: slot {slot.shot!r}: in {first} / out {last} lie outside take {take} "
                f"(frames 0–{media.frames - 1})",
                hint=f"trim within 0–{media.frames - 1}, with in ≤ out",
            )
        why = [f"#{position} in the brief's order", reason]
        if slot.in_ is not None or slot.out is not None:
            why.append(f"trimmed in the brief to frames {first}–{last}")
        dissolve = slot.transition.dissolve if isinstance(slot.transition, Dissolve) else 0
        clips.append(CutClip(slot.shot, take, media, first, last, dissolve, why))
    _check_rates(clips)
    _pace(brief, slots, clips, activity)
    _check_transitions(clips)
    return clips


def _check_rates(clips: list[CutClip]) -> None:
    rates = {clip.media.rate for clip in clips}
    if len(rates) > 1:
        listed = ", ".join(f"{c.take} {float(c.media.rate):.3f}" for c in clips)
        raise PlanError(
            f"edit: the takes have different frame rates ({listed})",
            hint="conform the sources to one frame rate before cutting them together",
        )


def _pace(
    brief: Brief,
    slots: list[EditSlot],
    clips: list[CutClip],
    activity: Callable[[ShotMedia], NDArray[np.float64]] | None,
) -> None:
    pacing = brief.edit.pacing
    rate = float(clips[0].media.rate)
    target_s = pacing.target_runtime_s
    rule = f"target runtime {target_s:g} s" if target_s else ""
    if target_s is None and pacing.average_shot_s is not None:
        target_s = pacing.average_shot_s * len(clips)
        rule = f"average shot length {pacing.average_shot_s:g} s"
    if target_s is None:
        return
    target = round(target_s * rate)
    free = [
        clip
        for clip, slot in zip(clips, slots, strict=True)
        if slot.in_ is None and slot.out is None
    ]
    floor = max(1, round(MIN_CLIP_S * rate))
    excess = sum(c.frames for c in clips) - target
    if excess <= 0:
        return
    # Per-frame activity of each take that pacing may trim (computed only when needed).
    busy = {id(c): activity(c.media) for c in free} if activity is not None else {}
    while excess > 0:
        trimmable = [c for c in free if c.frames > floor]
        if not trimmable:
            break
        # Take the same number of frames from every clip that can give some.
        share = max(1, excess // len(trimmable))
        for clip in trimmable:
            cut = min(share, clip.frames - floor, excess)
            head = _head_trim(busy.get(id(clip)), clip, cut)
            clip.first += head
            clip.last -= cut - head
            excess -= cut
            if excess <= 0:
                break
    where = "where the least speech and motion is" if busy else "evenly"
    for clip in free:
        if clip.frames < clip.media.frames:
            clip.why.append(
                f"head and tail trimmed {where} to frames {clip.first}–{clip.last} for the {rule}"
            )


def _head_trim(busy: NDArray[np.float64] | None, clip: CutClip, cut: int) -> int:
    """Frames to take from the head (the rest from the tail) when ``cut`` frames go: the
    split that removes the least activity, the middle one among equals; half each without
    activity figures."""
    if busy is None or busy.size < clip.last + 1:
        return cut // 2
    removed_head = np.concatenate(([0.0], np.cumsum(busy[clip.first : clip.first + cut])))
    tail_start = clip.last + 1 - cut
    tail = busy[tail_start : clip.last + 1]
    removed_tail = np.concatenate((np.cumsum(tail[::-1])[::-1], [0.0]))
    # head h removes frames first … first+h−1 and the tail's last cut−h frames.
    cost = removed_head + removed_tail
    # Splits within ACTIVITY_TOLERANCE per removed frame of the least are equally good
    # (decoder noise in the motion figures must not decide); the most central one wins.
    best = np.flatnonzero(cost <= cost.min() + ACTIVITY_TOLERANCE * cut)
    return int(best[np.argmin(np.abs(best - cut / 2))])


def _check_transitions(clips: list[CutClip]) -> None:
    if clips[0].dissolve:
        raise PlanError(
            f"edit: slot {clips[0].slot!r} opens the cut with a dissolve",
            hint="the first clip can only cut in (use transition: cut)",
        )
    for before, clip in pairwise(clips):
        if not clip.dissolve:
            continue
        half_in, half_out = clip.dissolve // 2, clip.dissolve - clip.dissolve // 2
        if clip.dissolve > min(before.frames, clip.frames):
            raise PlanError(
                f"edit: slot {clip.slot!r}: a {clip.dissolve}-frame dissolve is longer than "
                f"a clip it joins ({before.take}: {before.frames}, {clip.take}: "
                f"{clip.frames} frames)",
                hint="shorten the dissolve or lengthen the clips",
            )
        tail_handle = before.media.frames - 1 - before.last
        if tail_handle < half_out or clip.first < half_in:
            raise PlanError(
                f"edit: slot {clip.slot!r}: a {clip.dissolve}-frame dissolve needs "
                f"{half_out} frames after {before.take}'s out and {half_in} before "
                f"{clip.take}'s in; there are {tail_handle} and {clip.first}",
                hint="move the out point of the clip before, or the in point of this one",
            )
        clip.why.append(f"dissolves in over {clip.dissolve} frames, centred on the cut")


def dissolve_transition(take: str, frames: int, rate: float) -> otio.schema.Transition:
    """A ``frames``-long dissolve into ``take`` as OTIO lays it out: centred on the cut, the
    odd frame after it."""
    before = frames // 2
    return otio.schema.Transition(
        name=f"dissolve into {take}",
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=otio.opentime.RationalTime(before, rate),
        out_offset=otio.opentime.RationalTime(frames - before, rate),
    )


def to_timeline(name: str, clips: list[CutClip]) -> otio.schema.Timeline:
    """The cut as an OpenTimelineIO timeline: one video track, clips named by take,
    pointing at their source files, dissolves as ``SMPTE_Dissolve`` transitions."""
    rate = float(clips[0].media.rate)
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for clip in clips:
        if clip.dissolve:
            track.append(dissolve_transition(clip.take, clip.dissolve, rate))
        media = clip.media
        reference = otio.schema.ExternalReference(
            target_url=media.path.as_uri(),
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(media.first, rate),
                otio.opentime.RationalTime(media.frames, rate),
            ),
        )
        track.append(
            otio.schema.Clip(
                name=clip.take,
                media_reference=reference,
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(media.first + clip.first, rate),
                    otio.opentime.RationalTime(clip.frames, rate),
                ),
                metadata={METADATA_KEY: {"slot": clip.slot, "why": list(clip.why)}},
            )
        )
    return timeline


def cut_document(clips: list[CutClip], timeline_path: Path | None) -> dict[str, Any]:
    """``reelgraph.Cut.1``: the clips with record (programme) and source frames and reasons.

    A dissolve is centred on its cut and made from the handles beyond the clips' trims, as
    in an editing system (and OTIO): it does not change where clips sit in the programme.
    """
    rate = clips[0].media.rate
    record = 0
    rows = []
    for clip in clips:
        rows.append(
            {
                "slot": clip.slot,
                "take": clip.take,
                "source": str(clip.media.path),
                "source_in": clip.media.first + clip.first,
                "source_out": clip.media.first + clip.last,
                "record_in": record,
                "record_out": record + clip.frames - 1,
                "transition": {
                    "kind": "dissolve" if clip.dissolve else "cut",
                    "frames": clip.dissolve,
                },
                "why": list(clip.why),
            }
        )
        record += clip.frames
    return {
        "schema": "reelgraph.Cut.1",
        "frame_rate": f"{rate.numerator}/{rate.denominator}",
        "frames": record,
        "duration_s": round(record / float(rate), 3),
        "timeline": str(timeline_path) if timeline_path else None,
        "clips": rows,
    }
