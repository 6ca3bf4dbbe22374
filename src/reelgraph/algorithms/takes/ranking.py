"""Score the takes of one setup per criterion, explain each figure, and rank them.

Each criterion gives a score in [0, 1] (1 = nothing to fault) with a sentence that says
why; a criterion that does not apply to the group (no take has sound, no take shows a
face) is left out rather than scored. The total is the weighted mean of the scores that
apply (:data:`WEIGHTS`); the best take has the highest total, ties going to the earlier
take. Sharpness and speech are relative — a take is compared with the best of its group —
the rest are absolute.

==================  ==================================================================
criterion           score
==================  ==================================================================
``sharpness``       (1 − blur effect) / the group's highest (Crété-Roffet 2007), times
                    the share of the picture neither clipped nor crushed
``exposure``        1 − (|stops from middle grey| − 1) / 3 − 4·(clipped + crushed share)
``shake``           1 / (1 + (jitter / ``JITTER_SCALE_PX``)²) (Grundmann 2011 jitter)
``face``            share of sampled frames with a frontal face, halved when soft
``speech``          speech share / the group's highest (Silero VAD with the extra
                    ``[asr]``, else the spectral VAD; the reason names which)
``qc``              1 − 0.5 per failing finding − 0.2 per warning (flash, black, …)
==================  ==================================================================

>>> a = TakeMeasurements("t1", sharpness=0.5, exposure_stops=0.1, clipped=0.0,
...                      crushed=0.0, jitter_px=0.2)
>>> b = TakeMeasurements("t2", sharpness=0.2, exposure_stops=0.1, clipped=0.0,
...                      crushed=0.0, jitter_px=0.2)
>>> [s.take for s in rank_takes([b, a])]
['t1', 't2']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelgraph.algorithms.takes.speech import detector_label
from reelgraph.errors import AlgorithmError

__all__ = ["JITTER_SCALE_PX", "WEIGHTS", "TakeMeasurements", "TakeScore", "rank_takes"]

#: Weight of each criterion in the total (each weight is used only where it applies).
WEIGHTS: dict[str, float] = {
    "sharpness": 0.25,
    "exposure": 0.2,
    "shake": 0.2,
    "face": 0.1,
    "speech": 0.1,
    "qc": 0.15,
}

#: Stops either side of middle grey that the exposure score does not fault.
EXPOSURE_LATITUDE_STOPS = 1.0

#: Jitter (pixels RMS at the analysis width) that halves the shake score.
JITTER_SCALE_PX = 1.5


@dataclass(frozen=True)
class QCDefect:
    check: str
    severity: str
    start_frame: int
    end_frame: int


@dataclass(frozen=True)
class TakeMeasurements:
    """What was measured on one take (medians over its sampled frames)."""

    take: str
    sharpness: float
    exposure_stops: float
    clipped: float
    crushed: float
    jitter_px: float
    face_share: float | None = None
    """Share of sampled frames with a frontal face; None when faces were not looked for."""
    face_in_focus: float | None = None
    """Share of those faces sharper than their frame; None without faces."""
    speech_share: float | None = None
    """Share of the take's sound that is speech; None without sound."""
    speech_detector: str | None = None
    """The detector that measured ``speech_share`` (``silero`` or ``spectral``)."""
    defects: tuple[QCDefect, ...] = ()


@dataclass(frozen=True)
class TakeScore:
    take: str
    total: float
    scores: dict[str, float]
    why: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "take": self.take,
            "total": round(self.total, 4),
            "criteria": {
                name: {"score": round(score, 4), "why": self.why[name]}
                for name, score in self.scores.items()
            },
        }


def _clip01(value: float) -> float:
    return min(1.0, max(0.0, value))


def _score_one(m: TakeMeasurements, group: list[TakeMeasurements]) -> TakeScore:
    scores: dict[str, float] = {}
    why: dict[str, str] = {}

    # A clipped or crushed area has no detail left, and its hard edges read as sharp: the
    # figure counts only for the share of the picture that keeps detail.
    def usable(t: TakeMeasurements) -> float:
        return _clip01(1.0 - t.clipped - t.crushed)

    sharpest = max(t.sharpness * usable(t) for t in group)
    relative = m.sharpness * usable(m) / sharpest if sharpest > 0 else 1.0
    scores["sharpness"] = _clip01(relative)
    why["sharpness"] = (
        f"sharpness {m.sharpness:.3f} (1 − blur effect) over {usable(m):.0%} of the picture "
        f"with detail: {scores['sharpness']:.0%} of the sharpest take"
    )
    # Within a stop of middle grey is the grade's latitude, not a fault.
    latitude = max(0.0, abs(m.exposure_stops) - EXPOSURE_LATITUDE_STOPS)
    exposure = 1.0 - latitude / 3.0 - 4.0 * (m.clipped + m.crushed)
    scores["exposure"] = _clip01(exposure)
    why["exposure"] = (
        f"median tone {m.exposure_stops:+.2f} stops from middle grey; "
        f"{m.clipped:.1%} of pixels clipped, {m.crushed:.1%} crushed"
    )
    scores["shake"] = 1.0 / (1.0 + (m.jitter_px / JITTER_SCALE_PX) ** 2)
    why["shake"] = f"camera jitter {m.jitter_px:.2f} px RMS around a smooth path"
    if any((t.face_share or 0.0) > 0 for t in group):
        share = m.face_share or 0.0
        focus = m.face_in_focus if m.face_in_focus is not None else 0.0
        scores["face"] = _clip01(share * (0.5 + 0.5 * focus))
        why["face"] = (
            f"a frontal face in {share:.0%} of sampled frames, in focus in {focus:.0%} of them"
            if share
            else "no frontal face found (other takes of this setup show one)"
        )
    if any(t.speech_share is not None for t in group):
        most = max((t.speech_share or 0.0) for t in group)
        share = m.speech_share or 0.0
        scores["speech"] = _clip01(share / most) if most > 0 else 1.0
        detector = f" ({detector_label(m.speech_detector)})" if m.speech_detector else ""
        why["speech"] = (
            f"speech in {share:.0%} of the take{detector}"
            if m.speech_share is not None
            else "no sound"
        )
    fails = [d for d in m.defects if d.severity == "fail"]
    warnings = [d for d in m.defects if d.severity == "warning"]
    scores["qc"] = _clip01(1.0 - 0.5 * len(fails) - 0.2 * len(warnings))
    why["qc"] = (
        "; ".join(
            f"{d.check} ({d.severity}) frames {d.start_frame}–{d.end_frame}" for d in m.defects
        )
        or "no flash, black, freeze or flicker finding"
    )
    weight = sum(WEIGHTS[name] for name in scores)
    total = sum(WEIGHTS[name] * score for name, score in scores.items()) / weight
    return TakeScore(m.take, total, scores, why)


def rank_takes(group: list[TakeMeasurements]) -> list[TakeScore]:
    """The takes of one setup scored and sorted, best first."""
    if not group:
        raise AlgorithmError("no takes to rank")
    scored = [_score_one(m, group) for m in group]
    order = sorted(range(len(scored)), key=lambda k: (-scored[k].total, k))
    return [scored[k] for k in order]
