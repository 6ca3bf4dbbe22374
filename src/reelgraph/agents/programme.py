"""Programme: the cut rendered as one master in the delivery spec.

Reads each take's finished picture (the input of its shot's master: the graded picture,
so the programme is not a second generation of a lossy master) and its levelled sound,
and writes one file:

* picture — the clips in the cut's order, trimmed, fitted to the spec's size like the
  shot masters; a dissolve is a real mix of the two takes over its frames, centred on the
  cut and made from the takes' handles (:mod:`reelgraph.plan.timeline`);
* sound — one continuous track: each join is a short constant-power crossfade made from
  the handles either side (the whole dissolve under a dissolve); where a take has no handle
  at that end, a short fade on the clip's own sound instead (no click, same length); then
  the whole programme is normalised to the spec's loudness target within its true-peak
  ceiling (the project's BS.1770 / R 128 algorithms), because per-shot levelling does not
  make a programme meet the target as a whole.

The sound is held whole in memory for the programme's loudness measurement (48 kHz
stereo float: 23 MB a minute); the picture streams frame by frame.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from reelgraph.agents._io import frames, open_writer, video_meta
from reelgraph.agents.master import fit
from reelgraph.algorithms.audio import correct_loudness
from reelgraph.algorithms.edit import crossfade_gains, dissolve_weights, mix
from reelgraph.errors import AgentError
from reelgraph.media.audio import read_audio
from reelgraph.media.prefetch import read_ahead
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.agent import Agent, Cost, Input, NodeContext, Output, Work

#: Length of the crossfade at a cut, seconds (centred on the cut where both takes have
#: handles): long enough to hide the step between two takes' room tone, short enough not
#: to be heard as a fade.
CUT_CROSSFADE_S = 0.02


@dataclass(frozen=True)
class ProgrammeParams:
    """Attributes:
    clips: the cut, in order: ``{slot, take, first, last, dissolve}`` with frames counted
        in the take (:func:`reelgraph.plan.timeline.programme_clips`).
    takes: take ids; input ``i`` is take ``i``'s finished picture and, when ``sound``,
        input ``len(takes) + i`` its levelled sound.
    sound: whether sound inputs follow the pictures.
    preset: video preset of the delivery spec.
    width: programme width in pixels (0 keeps the pictures').
    height: programme height in pixels (0 keeps the pictures').
    name: file name (without extension) of the programme.
    loudness_target: loudness preset the programme is normalised to (``web``, ``ebu-r128``…).
    true_peak_margin_db: extra headroom under the ceiling (a lossy codec's overshoot).
    crossfade_s: length of the sound crossfade at cuts.
    master: the cut is one whole take and input 0 is its shot master (picture and sound
        already as the programme's): it becomes the programme as it is, without a second
        encode.
    """

    clips: tuple[Mapping[str, Any], ...] = ()
    takes: tuple[str, ...] = ()
    sound: bool = False
    preset: str = "h264"
    width: int = 0
    height: int = 0
    name: str = "programme"
    loudness_target: str = ""
    true_peak_margin_db: float = 0.0
    crossfade_s: float = CUT_CROSSFADE_S
    master: bool = False

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; valid: {', '.join(PRESETS)}")
        if not self.clips:
            raise ValueError("a programme needs at least one clip")
        if self.width < 0 or self.height < 0 or (self.width == 0) != (self.height == 0):
            raise ValueError("width and height must both be positive, or both 0 (keep)")
        if not 0 <= self.crossfade_s <= 1:
            raise ValueError(f"crossfade_s {self.crossfade_s!r}; valid: 0–1 s")
        unknown = {str(c["take"]) for c in self.clips} - set(self.takes)
        if unknown:
            raise ValueError(f"clips name takes not among the inputs: {', '.join(unknown)}")
        if self.master and (len(self.clips) != 1 or self.clips[0].get("dissolve")):
            raise ValueError("a shot master is the programme only of a one-clip cut")

    def take_index(self, take: str) -> int:
        return self.takes.index(take)


@dataclass(frozen=True)
class _Clip:
    take: int
    first: int
    last: int
    dissolve: int  # into this clip
    record_in: int

    @property
    def frames(self) -> int:
        return self.last - self.first + 1


def _clips(params: ProgrammeParams) -> list[_Clip]:
    clips, record = [], 0
    for c in params.clips:
        clip = _Clip(
            params.take_index(str(c["take"])),
            int(c["first"]),
            int(c["last"]),
            int(c["dissolve"]),
            record,
        )
        clips.append(clip)
        record += clip.frames
    return clips


def _halves(frames: int) -> tuple[int, int]:
    # Same split as reelgraph.plan.timeline.dissolve_halves (the OTIO transition's offsets).
    return frames // 2, frames - frames // 2


@dataclass(frozen=True)
class _Segment:
    """Record frames ``count`` long: take ``a`` from its frame ``a_from``, mixed (when
    ``b`` is set) into take ``b`` from ``b_from`` with the dissolve's weights."""

    a: int
    a_from: int
    count: int
    b: int | None = None
    b_from: int = 0


def segments(clips: list[_Clip]) -> list[_Segment]:
    """The programme's picture as plain runs of one take and dissolve mixes."""
    out: list[_Segment] = []
    for n, clip in enumerate(clips):
        after = _halves(clip.dissolve)[1] if clip.dissolve else 0
        before_next = _halves(clips[n + 1].dissolve)[0] if n + 1 < len(clips) else 0
        if clip.dissolve:
            before, prev = _halves(clip.dissolve)[0], clips[n - 1]
            out.append(
                _Segment(
                    prev.take,
                    prev.last + 1 - before,
                    clip.dissolve,
                    clip.take,
                    clip.first - before,
                )
            )
        alone = clip.frames - after - before_next
        if alone > 0:
            out.append(_Segment(clip.take, clip.first + after, alone))
    return out


class Programme(Agent):
    name = "programme"
    version = "2"  # 2: chroma subsampled from the area-averaged picture, rounded once
    description = "render the cut as one programme master: dissolves mixed, one levelled track"
    Params = ProgrammeParams
    cost = Cost("megapixel_frame", 0.06)  # the master's encode plus the dissolves' decodes

    def _size(self, meta: Mapping[str, Any], params: Any) -> tuple[int, int]:
        return (params.width or int(meta["width"]), params.height or int(meta["height"]))

    def _frames(self, params: Any) -> int:
        return sum(int(c["last"]) - int(c["first"]) + 1 for c in params.clips)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        width, height = self._size(inputs[0], params)
        return video_meta(
            f"{params.name}{PRESETS[params.preset].extension}",
            self._frames(params),
            width,
            height,
            inputs[0]["frame_rate"],
            preset=params.preset,
        )

    def work(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> Work:
        if params.master:  # the shot master's file, linked: nothing is encoded
            return Work(frames=self._frames(params), link=True)
        width, height = self._size(inputs[0], params)
        count = self._frames(params)
        return Work(frames=count, megapixels=count * width * height / 1e6)

    def calibration_job(self, synthetic: Mapping[str, Input]) -> tuple[list[Input], Any] | None:
        """The synthetic clip cut against itself with a 4-frame dissolve (a programme needs
        a cut; its default parameters have none)."""
        video = synthetic["video"]
        count = int(video.meta["frames"])
        if count < 12:
            return None
        clips = (
            {"slot": "a", "take": "synthetic", "first": 0, "last": count // 2 - 1, "dissolve": 0},
            {"slot": "b", "take": "synthetic", "first": 4, "last": count - 1, "dissolve": 4},
        )
        return [video], self.Params(clips=clips, takes=("synthetic",), preset="h264")

    def run(self, ctx: NodeContext) -> Output:
        p = ctx.params
        if p.master:
            return _shot_master(ctx, self.describe_output([ctx.inputs[0].meta], p))
        pictures = ctx.inputs[: len(p.takes)]
        rates = {Fraction(str(pic.meta["frame_rate"])) for pic in pictures}
        if len(rates) > 1:
            raise AgentError(
                f"the takes' pictures have different frame rates ({', '.join(map(str, rates))})",
                hint="conform the sources to one frame rate before cutting them together",
            )
        rate = rates.pop()
        clips = _clips(p)
        width, height = self._size(pictures[0].meta, p)
        total = self._frames(p)
        meta = self.describe_output([pictures[0].meta], p)
        sound = _programme_sound(ctx.inputs[len(p.takes) :], clips, rate, p) if p.sound else None
        writer, file = open_writer(
            ctx.out_dir,
            p.name,
            pictures[0].meta,
            width,
            height,
            preset=p.preset,
            audio=(sound.rate, sound.layout) if sound else None,
        )
        done = 0
        with writer:
            # Decoding, mixing, fitting and conversion to the coded format run ahead in a
            # thread while the encoder works.
            coded = (
                writer.frame(fit(rgb, width, height))
                for rgb in _pictures(pictures, segments(clips))
            )
            for ready in read_ahead(coded):
                writer.write_frame(ready)
                done += 1
                ctx.progress(done, total)
            if sound is not None:
                writer.write_audio(sound.samples, sound.rate)
        if done != total:
            raise AgentError(
                f"the programme has {done} frames where the cut needs {total}",
                hint="a take's picture is shorter than its shot; re-run its shot",
            )
        out: dict[str, Any] = {**meta, "file": file, "has_audio": sound is not None}
        metrics: dict[str, float] = {"frames": float(total)}
        findings: list[dict[str, Any]] = []
        if sound is not None:
            out["loudness"] = sound.loudness
            metrics.update(sound.metrics)
            findings = sound.findings
        return Output(out, metrics=metrics, findings=findings)


def _shot_master(ctx: NodeContext, meta: dict[str, Any]) -> Output:
    """The shot master as the programme: a hard link to its file (a copy where the store
    spans file systems), so the programme is the shot's bytes, not a second generation."""
    master = ctx.inputs[0]
    if int(master.meta["frames"]) != int(meta["frames"]):
        raise AgentError(
            f"the shot master has {master.meta['frames']} frames where the cut needs "
            f"{meta['frames']}",
            hint="a take's master is shorter than its shot; re-run its shot",
        )
    target = ctx.out_dir / str(meta["file"])
    try:
        os.link(master.file(), target)
    except OSError:  # another file system, or links refused: the same bytes copied
        shutil.copyfile(master.file(), target)
    has_audio = bool(master.meta.get("has_audio"))
    out: dict[str, Any] = {**meta, "has_audio": has_audio}
    return Output(out, metrics={"frames": float(meta["frames"])})


def _pictures(pictures: Sequence[Input], runs: list[_Segment]) -> Iterator[npt.NDArray[np.float32]]:
    """The programme's frames in order, one at a time (two decoders open in a dissolve)."""
    for run in runs:
        a = frames(pictures[run.a], start=run.a_from, stop=run.a_from + run.count)
        if run.b is None:
            for frame in a:
                yield frame.rgb
            continue
        b = frames(pictures[run.b], start=run.b_from, stop=run.b_from + run.count)
        for weight, fa, fb in zip(dissolve_weights(run.count), a, b, strict=False):
            yield mix(fa.rgb, fb.rgb, float(weight))


@dataclass
class _Sound:
    samples: npt.NDArray[np.float32]
    rate: int
    layout: str
    loudness: dict[str, Any]
    metrics: dict[str, float]
    findings: list[dict[str, Any]]


def _programme_sound(
    inputs: Sequence[Input], clips: list[_Clip], fps: Fraction, p: ProgrammeParams
) -> _Sound:
    tracks = [read_audio(item.file()) for item in inputs]
    shapes = {(t.rate, t.channels) for t in tracks}
    if len(shapes) > 1:
        listed = ", ".join(
            f"{take}: {t.rate} Hz × {t.channels}" for take, t in zip(p.takes, tracks, strict=True)
        )
        raise AgentError(
            f"the takes' sound differs in rate or channels ({listed})",
            hint="conform the sources' sound to one rate and layout before cutting them",
        )
    rate, channels = tracks[0].rate, tracks[0].channels

    def at(frame: int) -> int:  # sample of a frame's start
        return round(Fraction(frame) * rate / fps)

    total = sum(c.frames for c in clips)
    mixdown = np.zeros((at(total), channels), np.float32)
    fade = max(1, round(p.crossfade_s * rate))
    # Per join: (samples of the incoming take before the cut, of the outgoing after it).
    joins: list[tuple[int, int]] = [(0, 0)]
    for prev, clip in pairwise(clips):
        if clip.dissolve:
            before, after = _halves(clip.dissolve)
            joins.append((at(clip.record_in) - at(clip.record_in - before),
                          at(clip.record_in + after) - at(clip.record_in)))  # fmt: skip
        else:
            head = at(clip.first)  # the incoming take's handle before its in point
            tail = len(tracks[prev.take].samples) - at(prev.last + 1)
            joins.append((min(fade // 2, max(0, head)), min(fade - fade // 2, max(0, tail))))
    joins.append((0, 0))
    for n, clip in enumerate(clips):
        track = tracks[clip.take].samples
        start, end = at(clip.record_in), at(clip.record_in + clip.frames)
        lead, _ = joins[n]  # this clip starts ``lead`` samples before its cut
        in_tail = joins[n][1]
        out_lead, out_tail = joins[n + 1]
        lo, hi = start - lead, end + out_tail
        offset = at(clip.first) - start  # take sample = record sample + offset
        piece = np.zeros((hi - lo, channels), np.float32)
        src_lo, src_hi = max(0, lo + offset), min(len(track), hi + offset)
        if src_hi > src_lo:
            piece[src_lo - lo - offset : src_hi - lo - offset] = track[src_lo:src_hi]
        gain = np.ones(hi - lo, np.float32)
        if n > 0:
            window = lead + in_tail
            if window:
                gain[:window] = crossfade_gains(window)[1]
            else:  # no handles either side: a short fade on the clip's own sound
                k = min(fade // 2, len(gain))
                gain[:k] = crossfade_gains(k)[1]
        if n + 1 < len(clips):
            window = out_lead + out_tail
            if window:
                gain[len(gain) - window :] *= crossfade_gains(window)[0]
            else:
                k = min(fade // 2, len(gain))
                gain[len(gain) - k :] *= crossfade_gains(k)[0]
        piece *= gain[:, None]
        dst_lo, dst_hi = max(0, lo), min(len(mixdown), hi)
        mixdown[dst_lo:dst_hi] += piece[dst_lo - lo : dst_hi - lo]
    return _level(mixdown, rate, tracks[0].layout, p)


def _level(samples: npt.NDArray[np.float32], rate: int, layout: str, p: ProgrammeParams) -> _Sound:
    if not p.loudness_target:
        return _Sound(samples, rate, layout, {"target": None}, {}, [])
    result = correct_loudness(
        samples,
        rate,
        p.loudness_target,
        layout=layout,
        use_leveler=False,  # each take's dialogue is already levelled; the programme is
        true_peak_margin_db=p.true_peak_margin_db,  # normalised as one, within the ceiling
    )
    check, target = result.check, result.target
    silent = not math.isfinite(check.loudness_lufs)
    metrics = {
        "integrated_lufs": result.after.integrated_lufs,
        "true_peak_dbtp": result.after.true_peak_dbtp,
        "gain_db": result.normalisation.gain_db,
        "limited": float(result.normalisation.limited),
    }
    findings: list[dict[str, Any]] = []
    base = {"start_frame": None, "end_frame": None, "start_tc": None, "end_tc": None,
            "standard": str(target.reference.number)}  # fmt: skip
    if not silent and not check.loudness_ok:
        findings.append({**base, "check": "loudness", "severity": "fail",
                         "value": round(check.loudness_lufs, 2), "limit": target.integrated_lufs,
                         "message": f"programme loudness {check.loudness_lufs:.1f} LUFS is "
                         f"outside {target.integrated_lufs:g} ±{target.tolerance_lu:g} LU "
                         f"({result.normalisation.reason})"})  # fmt: skip
    loudness = {
        "target": p.loudness_target,
        "measured_on": check.measured_on,
        "loudness_lufs": None if silent else round(check.loudness_lufs, 2),
        "true_peak_dbtp": None if silent else round(check.true_peak_dbtp, 2),
        "limited": result.normalisation.limited,
        "reason": result.normalisation.reason,
    }
    finite = {k: round(float(v), 4) for k, v in metrics.items() if math.isfinite(float(v))}
    return _Sound(result.samples.astype(np.float32), rate, layout, loudness, finite, findings)
