"""Takes: measure each take, group takes of one setup, rank them with reasons.

:func:`measure_take` streams a take's frames once (PyAV, scaled by FFmpeg to the analysis
width) through :mod:`reelgraph.algorithms.takes` and the QC checks of
:mod:`reelgraph.algorithms.qc` (flash, black, freeze, flicker), and its sound through the
spectral VAD of :mod:`reelgraph.algorithms.audio`. Memory: the current and previous frame,
the sampled frames' scalars and tiny thumbnails — never the take. The speech criterion's
detector is the Silero VAD when the extra ``[asr]`` is installed, else the spectral VAD
(:mod:`reelgraph.algorithms.takes.speech`); it is named in the measurements, the reason and
the document.

:func:`choose_takes` groups takes by setup, ranks each group, and applies a person's choice
(the brief's ``take:``) over the automatic one; the document it returns is
``reelgraph.Takes.1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from reelgraph.agents.shots import frames_from
from reelgraph.algorithms.audio import detect_speech
from reelgraph.algorithms.qc import VideoQC, VideoQCConfig
from reelgraph.algorithms.shots import ANALYSIS_WIDTH
from reelgraph.algorithms.takes import (
    QCDefect,
    TakeMeasurements,
    camera_jitter,
    detect_faces,
    frame_shift,
    group_takes,
    measure_exposure,
    rank_takes,
    sharpness,
    tiny_image,
)
from reelgraph.algorithms.takes.speech import default_speech_detector, speech_share
from reelgraph.errors import MediaError, ReelgraphError
from reelgraph.media.audio import read_audio
from reelgraph.media.probe import open_container

SCHEMA = "reelgraph.Takes.1"

#: Frames are measured at this width (sharpness compares takes at one size).
TAKE_ANALYSIS_WIDTH = 640
#: Frames sampled per second for sharpness, exposure and the setup signature.
SAMPLES_PER_SECOND = 4.0
#: Frames searched for faces per take (the cascade is the slowest measure).
FACE_SAMPLES = 6
#: How much softer (sharpness units) than its frame a face may be and still be in focus.
FACE_FOCUS_MARGIN = 0.05
#: QC checks that find take defects.
TAKE_QC_CHECKS = ("black", "freeze", "flash", "flicker")


@dataclass(frozen=True)
class Take:
    """A take to measure: a name, a file and an inclusive frame range (None: to the end)."""

    name: str
    path: Path
    first: int = 0
    last: int | None = None


@dataclass(frozen=True)
class MeasuredTake:
    measurements: TakeMeasurements
    signature: NDArray[np.float32]
    frames: int


def _open_video(take: Take) -> tuple[av.container.InputContainer, float]:
    container = open_container(take.path)
    if not container.streams.video:
        container.close()
        raise MediaError(
            f"take {take.name!r}: {take.path.name} has no video stream",
            path=take.path,
            hint="a take is a picture; pass video files",
        )
    stream = container.streams.video[0]
    return container, float(stream.average_rate or stream.guessed_rate or 25)


def measure_take(take: Take, *, speech_detector: str | None = None) -> MeasuredTake:
    """Measure one take (see the module docstring); ``speech_detector``: ``silero`` or
    ``spectral`` (default: :func:`default_speech_detector`)."""
    detector = speech_detector or default_speech_detector()
    container, rate = _open_video(take)
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    width = min(TAKE_ANALYSIS_WIDTH, stream.codec_context.width or TAKE_ANALYSIS_WIDTH)
    height = max(2, round((stream.codec_context.height or width) * width
                          / (stream.codec_context.width or width)))  # fmt: skip
    reformatter = VideoReformatter()
    qc = VideoQC(rate, VideoQCConfig(checks=TAKE_QC_CHECKS))
    step = max(1, round(rate / SAMPLES_PER_SECOND))
    sharpness_values: list[float] = []
    exposures = []
    thumbnails: list[NDArray[np.float32]] = []
    lumas_for_faces: list[NDArray[np.float32]] = []
    shifts: list[tuple[float, float]] = []
    previous: NDArray[np.float32] | None = None
    count = 0
    try:
        with container:
            for index, frame in frames_from(container, stream, take.first):
                if take.last is not None and index > take.last:
                    break
                rgb = reformatter.reformat(
                    frame, width=width, height=height, format="rgb24", interpolation="AREA"
                ).to_ndarray()
                luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
                qc.push(rgb)
                half = cv2.resize(luma, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
                if previous is not None:
                    shifts.append(frame_shift(previous, half))
                previous = half
                if count % step == 0:
                    sharpness_values.append(sharpness(luma))
                    exposures.append(measure_exposure(luma))
                    thumbnails.append(tiny_image(luma))
                    lumas_for_faces.append(luma)
                count += 1
    except av.error.FFmpegError as exc:
        raise MediaError(
            f"take {take.name!r}: decoding failed after frame {take.first + count - 1} ({exc})",
            path=take.path,
            hint="the file is damaged from that point; re-export it",
        ) from exc
    if count == 0:
        raise MediaError(
            f"take {take.name!r}: no frames in {take.path.name} from frame {take.first}",
            path=take.path,
            hint="check the take's frame range against the file",
        )
    report = qc.finish()
    defects = tuple(
        QCDefect(f.check, f.severity, f.start_frame, f.end_frame) for f in report.findings
    )
    spread = np.linspace(0, len(lumas_for_faces) - 1, min(FACE_SAMPLES, len(lumas_for_faces)))
    picks = sorted({int(k) for k in np.rint(spread)})
    with_face = in_focus = 0
    for k in picks:
        luma = lumas_for_faces[k]
        faces = detect_faces(luma)
        if faces:
            with_face += 1
            # The face at least as sharp as its frame (a soft face in a sharp frame is the
            # classic missed focus).
            in_focus += sharpness(luma, faces[0]) >= sharpness(luma) - FACE_FOCUS_MARGIN
    sampled = max(1, len(picks))
    measurements = TakeMeasurements(
        take.name,
        sharpness=float(np.median(sharpness_values)),
        exposure_stops=float(np.median([e.stops for e in exposures])),
        clipped=float(np.median([e.clipped for e in exposures])),
        crushed=float(np.median([e.crushed for e in exposures])),
        jitter_px=camera_jitter(shifts),
        face_share=with_face / sampled,
        face_in_focus=(in_focus / with_face) if with_face else None,
        speech_share=(share := _speech_share(take, rate, count, detector)),
        speech_detector=detector if share is not None else None,
        defects=defects,
    )
    signature = np.mean(np.stack(thumbnails), axis=0).astype(np.float32)
    return MeasuredTake(measurements, signature, count)


def _speech_share(take: Take, rate: float, frames: int, detector: str) -> float | None:
    try:
        track = read_audio(take.path)
    except MediaError:
        return None  # no sound: the criterion does not apply
    first = round(take.first / rate * track.rate)
    last = first + round(frames / rate * track.rate)
    samples = track.samples[first:last]
    if samples.shape[0] < track.rate // 2:
        return None
    return speech_share(samples, track.rate, layout=track.layout, detector=detector)


def choose_takes(
    measured: Sequence[MeasuredTake], overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Group, rank and choose (``reelgraph.Takes.1``); ``overrides``: take → chosen take
    named by a person for that take's group."""
    overrides = dict(overrides or {})
    groups = group_takes([m.signature for m in measured])
    by_name = {m.measurements.take: m for m in measured}
    documents = []
    used: set[str] = set()
    for number, members in enumerate(groups, start=1):
        names = [measured[k].measurements.take for k in members]
        ranked = rank_takes([measured[k].measurements for k in members])
        automatic = ranked[0].take
        wanted = {overrides[n] for n in names if n in overrides}
        if len(wanted) > 1:
            raise ReelgraphError(
                f"takes {', '.join(sorted(wanted))} are all named as the choice for one setup",
                hint="name one take per setup with 'take:' in brief.yaml",
            )
        chosen, by = automatic, "auto"
        if wanted:
            chosen = wanted.pop()
            if chosen not in names:
                where = "another setup" if chosen in by_name else "no measured take"
                raise ReelgraphError(
                    f"take {chosen!r} is named for the setup of {', '.join(names)} but is {where}",
                    hint=f"name one of {', '.join(names)} with 'take:' in brief.yaml",
                )
            by = "brief"
            used.update(n for n in names if n in overrides)
        documents.append(
            {
                "setup": number,
                "takes": [score.to_dict() for score in ranked],
                "best": automatic,
                "chosen": chosen,
                "chosen_by": by,
            }
        )
    detectors = {m.measurements.speech_detector for m in measured} - {None}
    return {
        "schema": SCHEMA,
        "speech_detector": detectors.pop() if len(detectors) == 1 else None,
        "groups": documents,
    }


def frame_activity(path: Path, first: int, last: int, rate: float) -> NDArray[np.float64]:
    """Per frame of ``first … last``: how much happens — the share of the frame's sound that
    is speech (0–1, weighted 2) plus its picture change (content distance to the frame
    before; 5 units, a steady pan, = 1). Pacing trims where this is lowest."""
    from reelgraph.algorithms.shots.content_hsv_pyscenedetect import content_distance, hsv_frame

    count = last - first + 1
    motion = np.zeros(count)
    previous = None
    reformatter = VideoReformatter()
    with open_container(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in frames_from(container, stream, max(0, first - 1)):
            if index > last:
                break
            small = reformatter.reformat(
                frame, width=ANALYSIS_WIDTH, height=max(2, round(ANALYSIS_WIDTH * frame.height
                / max(1, frame.width))), format="rgb24", interpolation="FAST_BILINEAR",
            ).to_ndarray()  # fmt: skip
            hsv = hsv_frame(small)
            if index >= first and previous is not None:
                motion[index - first] = min(1.0, content_distance(previous, hsv) / 5.0)
            previous = hsv
    speech = np.zeros(count)
    try:
        track = read_audio(path)
    except MediaError:
        return motion  # no sound: motion alone
    start = round(first / rate * track.rate)
    samples = track.samples[start : start + round(count / rate * track.rate)]
    if samples.shape[0]:
        activity = detect_speech(samples, track.rate, layout=track.layout)
        hop_frames = activity.hop_s * rate
        frame_of_hop = (np.arange(activity.mask.size) / hop_frames).astype(int)
        inside = frame_of_hop < count
        np.add.at(speech, frame_of_hop[inside], activity.mask[inside].astype(float))
        per_frame = np.bincount(frame_of_hop[inside], minlength=count)[:count]
        speech = speech / np.maximum(per_frame, 1)
    return 2.0 * speech + motion
