"""The EBU R 128 set of loudness descriptors in one pass: I, M/S series, LRA and true peak.

Reference
---------
EBU R 128 (2020) names three descriptors of a programme: Programme Loudness (integrated,
ITU-R BS.1770-5 / EBU Tech 3341), Loudness Range (EBU Tech 3342) and Maximum True-Peak
Level (BS.1770-5 Annex 2). :func:`measure` returns all three (plus the momentary and
short-term series and, on request, the dialogue-gated loudness) from one read of the
samples; :class:`R128Meter` does the same for a programme streamed in chunks. A result can
be checked against a delivery target from
:mod:`~reelgraph.specs.loudness_targets` with :meth:`LoudnessMeasurement.check`.

Domain and range
----------------
======================  ==============================================================
``samples``             float32/float64 ``(samples, channels)`` or ``(samples,)``, linear,
                        1.0 = full scale; NaN/inf → AlgorithmError
``rate``                float, Hz, >= 8000
``layout``              a layout name (``loudness_bs1770.LAYOUTS``) or None (inferred for
                        1, 2, 5, 6, 8 channels); ``channel_weights`` overrides it
returns                 :class:`LoudnessMeasurement`; loudness values ``-inf`` for silence
                        or programmes shorter than 400 ms; LRA 0.0 under 3 s
======================  ==============================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 10) / 48000
>>> tone = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
>>> m = measure(np.stack([tone, tone], axis=1), 48000)
>>> round(m.integrated_lufs, 1), round(m.lra_lu, 1), round(m.true_peak_dbtp, 1)
(-23.0, 0.0, -23.0)
>>> m.check("ebu-r128").passed
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from numpy.typing import ArrayLike

from reelgraph.algorithms.audio._common import as_audio
from reelgraph.algorithms.audio.dialogue_loudness_gated import (
    DEFAULT_MIN_SPEECH_RATIO,
    DialogueLoudness,
    dialogue_loudness,
)
from reelgraph.algorithms.audio.loudness_bs1770 import (
    DEFAULT_UPDATE_RATE_HZ,
    LoudnessMeter,
    LoudnessResult,
)
from reelgraph.algorithms.audio.loudness_range_tech3342 import (
    LoudnessRangeResult,
    loudness_range_from_short_term,
)
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import (
    DEFAULT_OVERSAMPLING,
    TruePeakMeter,
    TruePeakResult,
)
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import SpeechActivity
from reelgraph.errors import AlgorithmError
from reelgraph.json_numbers import finite_or_none
from reelgraph.specs.loudness_targets import DeliveryTarget, lookup

__all__ = ["LoudnessMeasurement", "R128Meter", "TargetCheck", "measure"]


@dataclass(frozen=True)
class TargetCheck:
    """A measurement compared with a delivery target."""

    target: DeliveryTarget
    """The target checked against."""
    loudness_lufs: float
    """The loudness compared (programme or dialogue-gated, as the target says), LUFS."""
    measured_on: str
    """``"programme"`` or ``"speech"`` (dialogue-gated), or ``"programme"`` after the
    dialogue fallback."""
    deviation_lu: float
    """loudness − target, LU (``-inf`` for silence)."""
    loudness_ok: bool
    """Loudness within the target's tolerance."""
    true_peak_dbtp: float
    """Maximum true peak, dBTP."""
    true_peak_ok: bool
    """True peak at or below the target's maximum."""

    @property
    def passed(self) -> bool:
        """Both loudness and true peak meet the target."""
        return self.loudness_ok and self.true_peak_ok


@dataclass(frozen=True)
class LoudnessMeasurement:
    """The R 128 descriptors of one programme."""

    loudness: LoudnessResult
    """Integrated loudness with gate details, momentary and short-term series."""
    loudness_range: LoudnessRangeResult
    """Loudness range (Tech 3342)."""
    true_peak: TruePeakResult | None
    """True peak per channel, or None when not measured."""
    dialogue: DialogueLoudness | None
    """Dialogue-gated loudness, or None when not measured."""

    @property
    def integrated_lufs(self) -> float:
        """Programme loudness I, LUFS."""
        return self.loudness.integrated_lufs

    @property
    def lra_lu(self) -> float:
        """Loudness range, LU."""
        return self.loudness_range.lra_lu

    @property
    def true_peak_dbtp(self) -> float:
        """Maximum true-peak level over all channels, dBTP."""
        if self.true_peak is None:
            raise AlgorithmError(
                "true peak was not measured", hint="call measure(..., true_peak=True)"
            )
        return self.true_peak.max_dbtp

    def with_dialogue(
        self,
        samples: ArrayLike,
        rate: float,
        *,
        speech: SpeechActivity | None = None,
        min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
    ) -> LoudnessMeasurement:
        """This measurement plus the dialogue-gated loudness of the same ``samples``, gated on
        ``speech`` (detected when None); the BS.1770 blocks already measured are reused."""
        gate = dialogue_loudness(
            samples,
            rate,
            layout=self.loudness.layout,
            channel_weights=self.loudness.channel_weights,
            min_speech_ratio=min_speech_ratio,
            speech=speech,
            loudness=self.loudness,
        )
        return dataclasses.replace(self, dialogue=gate)

    def check(self, target: DeliveryTarget | str) -> TargetCheck:
        """Compare with a delivery target (a :class:`DeliveryTarget` or its name)."""
        spec = lookup(target)
        if spec.gating == "dialogue":
            if self.dialogue is None:
                raise AlgorithmError(
                    f"target {spec.name!r} is dialogue-gated but dialogue was not measured",
                    hint="call measure(..., dialogue=True)",
                )
            value, measured_on = self.dialogue.loudness_lufs, self.dialogue.gated_on
        else:
            value, measured_on = self.integrated_lufs, "programme"
        peak = self.true_peak_dbtp
        return TargetCheck(
            target=spec,
            loudness_lufs=value,
            measured_on=measured_on,
            deviation_lu=value - spec.integrated_lufs,
            loudness_ok=spec.loudness_ok(value),
            true_peak_dbtp=peak,
            true_peak_ok=spec.true_peak_ok(peak),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-safe summary (``None`` where a level is ``-inf``: silence/too short)."""
        loudness = self.loudness
        summary: dict[str, Any] = {
            "rate_hz": loudness.rate,
            "duration_s": loudness.duration_s,
            "layout": loudness.layout,
            "channel_weights": list(loudness.channel_weights),
            "integrated_lufs": finite_or_none(loudness.integrated_lufs),
            "relative_gate_lufs": finite_or_none(loudness.integrated.relative_gate_lufs),
            "momentary_max_lufs": finite_or_none(loudness.momentary_max_lufs),
            "short_term_max_lufs": finite_or_none(loudness.short_term_max_lufs),
            "lra_lu": self.loudness_range.lra_lu,
            "lra_low_lufs": finite_or_none(self.loudness_range.low_lufs),
            "lra_high_lufs": finite_or_none(self.loudness_range.high_lufs),
            "true_peak_dbtp": None,
            "true_peak_dbtp_per_channel": None,
            "dialogue": None,
        }
        if self.true_peak is not None:
            summary["true_peak_dbtp"] = finite_or_none(self.true_peak.max_dbtp)
            summary["true_peak_dbtp_per_channel"] = [finite_or_none(v) for v in self.true_peak.dbtp]
        if self.dialogue is not None:
            summary["dialogue"] = {
                "loudness_lufs": finite_or_none(self.dialogue.loudness_lufs),
                "gated_on": self.dialogue.gated_on,
                "speech_ratio": self.dialogue.speech_ratio,
                "min_speech_ratio": self.dialogue.min_speech_ratio,
                "reason": self.dialogue.reason,
                "method": self.dialogue.method,
            }
        return summary


class R128Meter:
    """Streaming meter for I, M, S, LRA and true peak: :meth:`process` chunks, then :meth:`result`.

    Dialogue gating needs the whole programme's speech mask and is not part of the stream;
    call the result's :meth:`LoudnessMeasurement.with_dialogue` when it is needed.
    """

    def __init__(
        self,
        rate: float,
        channels: int,
        *,
        layout: str | None = None,
        channel_weights: Sequence[float] | None = None,
        true_peak: bool = True,
        oversampling: int = DEFAULT_OVERSAMPLING,
        update_rate_hz: int = DEFAULT_UPDATE_RATE_HZ,
    ) -> None:
        self._loudness = LoudnessMeter(
            rate,
            channels,
            layout=layout,
            channel_weights=channel_weights,
            update_rate_hz=update_rate_hz,
        )
        self._peak = TruePeakMeter(rate, channels, oversampling=oversampling) if true_peak else None

    def process(self, samples: ArrayLike) -> None:
        """Add the next chunk, shape ``(samples, channels)``."""
        audio = as_audio(samples)
        self._loudness.process(audio)
        if self._peak is not None:
            self._peak.process(audio)

    def result(self) -> LoudnessMeasurement:
        """The descriptors of everything processed (ends the stream)."""
        loudness = self._loudness.result()
        return LoudnessMeasurement(
            loudness=loudness,
            loudness_range=loudness_range_from_short_term(loudness.short_term_power),
            true_peak=self._peak.result() if self._peak is not None else None,
            dialogue=None,
        )


def measure(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    true_peak: bool = True,
    dialogue: bool = False,
    min_speech_ratio: float = DEFAULT_MIN_SPEECH_RATIO,
    oversampling: int = DEFAULT_OVERSAMPLING,
    update_rate_hz: int = DEFAULT_UPDATE_RATE_HZ,
) -> LoudnessMeasurement:
    """Measure a whole programme: I, M/S series, LRA, true peak and (optionally) dialogue."""
    audio = as_audio(samples)
    meter = R128Meter(
        rate,
        audio.shape[1],
        layout=layout,
        channel_weights=channel_weights,
        true_peak=true_peak,
        oversampling=oversampling,
        update_rate_hz=update_rate_hz,
    )
    meter.process(audio)
    result = meter.result()
    if not dialogue:
        return result
    return result.with_dialogue(audio, rate, min_speech_ratio=min_speech_ratio)
