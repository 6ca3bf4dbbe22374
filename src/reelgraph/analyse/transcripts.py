"""Transcripts: each source's dialogue as words with times, and where a phrase is said.

:func:`transcribe_file` streams a file's first sound track through FFmpeg's resampler
(16 kHz mono, 16-bit) into the recogniser of :mod:`reelgraph.algorithms.speech` a decoded
frame at a time, so memory is one utterance's search whatever the recording's length.

In a project, :func:`transcribe_project` transcribes every source with sound and stores the
words per source (``Store.put_transcript``), keyed by the source's fingerprint and the
recogniser: a transcript is made once and made again only when the file or the model
changes. Transcripts are made on demand (``reelgraph transcribe``, or ``reelgraph search``
for sources not yet transcribed), not by ``analyse``: the planner does not use them, and
recognition costs about 0.3 s of CPU per second of sound.

:func:`search_project` finds a phrase in the stored transcripts and places each hit in the
shots (takes) whose frames hold it, with SMPTE timecode at the source's frame rate; the
document it returns is ``reelgraph.Search.1``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from reelgraph.algorithms.speech import (
    INSTALL_HINT,
    RATE_HZ,
    PocketSphinxRecogniser,
    Transcript,
    Word,
    find_phrase,
    model_name,
    pocketsphinx_available,
    recogniser,
)
from reelgraph.errors import MediaError, ReelgraphError
from reelgraph.media.audio import resampled
from reelgraph.media.probe import container_seconds, open_container, stream_seconds
from reelgraph.project.folder import Project
from reelgraph.project.store import SourceRecord, TranscriptRecord, dumps
from reelgraph.timecode import frames_to_timecode

SEARCH_SCHEMA = "reelgraph.Search.1"
TRANSCRIPTS_SCHEMA = "reelgraph.Transcripts.1"

#: Called with (seconds of sound decoded, seconds in the file).
SoundProgress = Callable[[float, float], None]


def require_recogniser() -> None:
    """Refuse before any work when the extra ``[asr]`` is not installed."""
    if not pocketsphinx_available():
        raise ReelgraphError(
            "transcripts need a speech recogniser, and pocketsphinx is not installed",
            hint=INSTALL_HINT,
        )


def _sound_blocks(path: Path, seconds: SoundProgress | None) -> Iterator[np.ndarray[Any, Any]]:
    with open_container(path) as container:
        if not container.streams.audio:
            raise MediaError(
                f"{path.name} has no sound to transcribe",
                path=path,
                hint="pass a file with a sound track, or the production sound's WAV",
            )
        stream = container.streams.audio[0]
        total = stream_seconds(stream, container_seconds(container))
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE_HZ)
        done = 0
        try:
            for out in resampled(container.decode(stream), resampler):
                block = out.to_ndarray().reshape(-1)
                done += block.size
                yield block
                if seconds is not None:
                    seconds(done / RATE_HZ, total)
        except av.error.FFmpegError as exc:
            raise MediaError(
                f"{path.name}: sound decoding failed after {done / RATE_HZ:.1f} s ({exc})",
                path=path,
                hint="the file is damaged from that point; re-export it",
            ) from exc


def transcribe_file(
    path: Path, *, method: str = "pocketsphinx", progress: SoundProgress | None = None
) -> Transcript:
    """The words of ``path``'s first sound track, with times from its first sample."""
    require_recogniser()
    engine: PocketSphinxRecogniser = recogniser(method)
    for block in _sound_blocks(path, progress):
        engine.push(block)
    return engine.finish()


def transcript_document(source: str, transcript: Transcript) -> dict[str, Any]:
    return {
        "source": source,
        "model": transcript.model,
        "text": transcript.text,
        "words": [asdict(word) for word in transcript.words],
    }


def _key(source: SourceRecord, model: str) -> str:
    return f"{source.fingerprint}:{model}"


def _has_sound(source: SourceRecord) -> bool:
    return bool(source.probe.get("audio_rate"))


def transcribe_project(
    project: Project,
    *,
    force: bool = False,
    on_source: Callable[[SourceRecord], SoundProgress | None] | None = None,
) -> list[tuple[TranscriptRecord, bool]]:
    """Every source with sound transcribed and stored; returns (record, made now) per
    source, the stored one where file and model are unchanged (``force``: made again)."""
    require_recogniser()
    model = model_name()
    results = []
    for source in project.store.sources():
        if not _has_sound(source):
            continue
        stored = project.store.transcript(source.id)
        if stored is not None and stored.key == _key(source, model) and not force:
            results.append((stored, False))
            continue
        progress = on_source(source) if on_source is not None else None
        transcript = transcribe_file(Path(source.path), progress=progress)
        record = TranscriptRecord(
            source.id,
            _key(source, transcript.model),
            transcript.model,
            dumps([asdict(word) for word in transcript.words]),
            datetime.now(UTC).isoformat(),
        )
        project.store.put_transcript(record)
        results.append((record, True))
    return results


def _rate(source: SourceRecord) -> Fraction | None:
    text = source.probe.get("frame_rate")
    return Fraction(str(text)) if text else None


def search_project(project: Project, phrase: str) -> dict[str, Any]:
    """Where ``phrase`` is said in the project's stored transcripts
    (``reelgraph.Search.1``)."""
    chosen = {
        record.shot: bool(json.loads(record.data_json).get("chosen"))
        for record in project.store.latest_analyses("take")
    }
    shots = project.store.shots()
    hits: list[dict[str, Any]] = []
    models = set()
    for source in project.store.sources():
        record = project.store.transcript(source.id)
        if record is None:
            continue
        models.add(record.model)
        words = [Word(**w) for w in record.words]
        rate = _rate(source)
        for hit in find_phrase([(w.text, w.start_s, w.end_s) for w in words], phrase):
            confidence = min(w.confidence for w in words[hit.first_word : hit.last_word + 1])
            entry: dict[str, Any] = {
                "source": source.id,
                "text": hit.text,
                "start_s": round(hit.start_s, 3),
                "end_s": round(hit.end_s, 3),
                "confidence": round(confidence, 3),
                "frame_rate": None,
                "start_frame": None,
                "end_frame": None,
                "start_tc": None,
                "end_tc": None,
                "shots": [],
            }
            if rate is not None:
                first = math.floor(hit.start_s * rate)
                last = max(first, math.ceil(hit.end_s * rate) - 1)
                entry.update(
                    frame_rate=f"{rate.numerator}/{rate.denominator}",
                    start_frame=first,
                    end_frame=last,
                    start_tc=frames_to_timecode(first, rate),
                    end_tc=frames_to_timecode(last, rate),
                )
                entry["shots"] = [
                    {
                        "shot": shot.id,
                        "scene": shot.scene,
                        "frame": first - shot.start_frame,
                        "chosen_take": chosen.get(shot.id),
                    }
                    for shot in shots
                    if shot.source == source.id and shot.start_frame <= first <= shot.end_frame
                ]
            hits.append(entry)
    hits.sort(key=lambda h: (h["source"], h["start_s"]))
    return {
        "schema": SEARCH_SCHEMA,
        "phrase": phrase,
        "models": sorted(models),
        "hits": hits,
    }
