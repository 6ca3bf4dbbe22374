"""Dialogue and loudness agents: measure a shot's sound, clean its dialogue, bring it to the
delivery's loudness target.

Thin adapters over :mod:`reelgraph.algorithms.audio` (see docs/agents/dialogue-loudness.md):

* ``loudness_measure`` (analysis) — the full EBU R 128 measurement, dialogue-gated loudness
  and the dialogue's distance to the noise floor, as a ``reelgraph.Loudness.1`` document;
* ``dialogue_clean`` — Wiener noise reduction with a noise profile learnt from the pauses;
* ``loudness_level`` — speech-aware leveler, then the normaliser, to the target loudness
  within the true-peak ceiling. Its objectives are the delivery tolerance and the ceiling;
  when it has to limit, or cannot meet the target, its metrics and findings say so.

Audio passes between them as 24-bit WAV (``audio.wav``) in the track's channel layout.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field
from pydantic.dataclasses import dataclass

from reelgraph.algorithms.audio import (
    DELIVERY_TARGETS,
    DeliveryTarget,
    LevelerParameters,
    correct_loudness,
    detect_speech,
    measure_with_speech,
    reduce_noise,
)
from reelgraph.algorithms.audio.dialogue_loudness_gated import DEFAULT_MIN_SPEECH_RATIO
from reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996 import (
    DEFAULT_GAIN_FLOOR_DB,
    DEFAULT_STRENGTH,
)
from reelgraph.analyse.loudness import (
    MIN_DURATION_S,
    Programme,
    describe_target,
    loudness_document,
    read_programme,
    resolve_target,
    signed,
)
from reelgraph.errors import ReelgraphError
from reelgraph.json_numbers import finite_metrics
from reelgraph.media.audio import write_audio
from reelgraph.orchestrator.agent import (
    PARAMS_CONFIG,
    Agent,
    Cost,
    Input,
    NodeContext,
    Objective,
    Output,
)
from reelgraph.specs.loudness_targets import Reference

_DEFAULT_TARGET = DELIVERY_TARGETS["ebu-r128"]
_LEVELER = LevelerParameters()
#: Largest correction the iteration loop may add to the target loudness, LU.
MAX_TARGET_OFFSET_LU = 3.0
#: Largest extra headroom the iteration loop may put under the ceiling, dB.
MAX_TRUE_PEAK_MARGIN_DB = 3.0


def _audio_meta(programme: Programme, file: str = "audio.wav") -> dict[str, Any]:
    return {
        "kind": "audio",
        "file": file,
        "rate": programme.rate,
        "channels": programme.channels,
        "layout": programme.layout,
        "duration_s": programme.duration_s,
    }


def _write(ctx: NodeContext, programme: Programme, samples: Any) -> None:
    write_audio(ctx.out_dir / "audio.wav", samples, programme.rate, layout=programme.layout)


#: Length of the calibration job, seconds: ``reelgraph calibrate``'s one-second tone is
#: shorter than these agents' fixed overhead and has no dialogue, which the leveler and the
#: noise reduction need to do their usual work.
CALIBRATION_S = 30.0


class _SoundAgent(Agent):
    """Shared by the loudness agents: calibrated on 30 s of synthetic stereo dialogue (the
    demo's seeded generator) at the rate of the calibration WAV."""

    def calibration_job(self, synthetic: Mapping[str, Input]) -> tuple[list[Input], Any] | None:
        from reelgraph.demo.build import speech_like

        audio = synthetic["audio"]
        path = audio.file().with_name(f"calibration-dialogue-{CALIBRATION_S:g}s.wav")
        rate = int(audio.meta.get("rate", 48000))
        if not path.exists():
            voice = 10 ** (-26 / 20) * speech_like(CALIBRATION_S, rate, 150.0, seed=0)
            write_audio(path, np.stack([voice, 0.9 * voice], axis=1), rate, layout="stereo")
        meta = {**audio.meta, "file": path.name, "rate": rate, "channels": 2,
                "layout": "stereo", "duration_s": CALIBRATION_S}  # fmt: skip
        return [Input(f"{audio.key}-dialogue", path.parent, meta)], self.Params()


class _AudioProcessor(_SoundAgent):
    """A loudness agent whose output is the processed sound: ``audio.wav`` in the input's
    rate, channels and layout."""

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {**dict(inputs[0]), "file": "audio.wav"} if inputs else {"kind": "audio"}


# -- loudness_measure -----------------------------------------------------------------------


def _known_target(target: str) -> str:
    if target:
        try:
            resolve_target(target)
        except ReelgraphError as exc:
            raise ValueError(exc.message) from None
    return target


@dataclass(frozen=True, config=PARAMS_CONFIG)
class LoudnessMeasureParams:
    """What the shot's sound is compared with."""

    target: Annotated[str, AfterValidator(_known_target)] = ""
    """Loudness target (``ebu-r128``, ``atsc-a85``, ``streaming``, ``web``) or delivery spec
    the shot is compared with; empty: measure only."""


class LoudnessMeasure(_SoundAgent):
    name = "loudness_measure"
    version = "1"
    description = "measure a shot's sound: BS.1770 I, LRA, true peak, dialogue, noise floor"
    Params = LoudnessMeasureParams
    cost = Cost("audio_second", 0.003, overhead_cpu_s=0.01)  # 60 s stereo dialogue

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        return {"kind": "analysis", "file": "analysis.json", "analysis_kind": "loudness"}

    def run(self, ctx: NodeContext) -> Output:
        source = ctx.inputs[0]
        programme = read_programme(source.file())
        layout = programme.weights_layout
        speech = detect_speech(programme.samples, programme.rate, layout=layout)
        measurement = measure_with_speech(programme.samples, programme.rate, speech, layout=layout)
        target = resolve_target(ctx.params.target) if ctx.params.target else None
        doc = loudness_document(
            measurement,
            speech,
            path=source.file().name,
            target=target,
            spec=ctx.params.target or None,
        )
        (ctx.out_dir / "analysis.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        ctx.progress(1, 1)
        metrics = {
            "integrated_lufs": measurement.integrated_lufs,
            "true_peak_dbtp": measurement.true_peak_dbtp,
            "lra_lu": measurement.lra_lu,
            "speech_ratio": doc["speech_ratio"],
            "speech_to_noise_db": speech.speech_to_noise_db,
        }
        if measurement.dialogue is not None:
            metrics["dialogue_lufs"] = measurement.dialogue.loudness_lufs
        return Output(self.describe_output([], ctx.params), finite_metrics(metrics))


# -- dialogue_clean -------------------------------------------------------------------------


@dataclass(frozen=True, config=PARAMS_CONFIG)
class DialogueCleanParams:
    """How hard the background under the dialogue is suppressed."""

    strength: Annotated[float, Field(ge=0.0, le=1.0)] = DEFAULT_STRENGTH
    """How hard to suppress the background, 0 (bypass) to 1; scales the attenuation in dB."""
    gain_floor_db: Annotated[float, Field(ge=-120.0, le=0.0)] = DEFAULT_GAIN_FLOOR_DB
    """The most any frequency is turned down, dB (keeps some room tone and avoids musical
    noise)."""


class DialogueClean(_AudioProcessor):
    name = "dialogue_clean"
    version = "1"
    description = "reduce steady background noise under dialogue (Wiener, noise from pauses)"
    Params = DialogueCleanParams
    cost = Cost("audio_second", 0.02, overhead_cpu_s=0.0)  # 60 s stereo dialogue

    def run(self, ctx: NodeContext) -> Output:
        p = ctx.params
        programme = read_programme(ctx.inputs[0].file())
        layout = programme.weights_layout
        speech = detect_speech(programme.samples, programme.rate, layout=layout)
        result = reduce_noise(
            programme.samples,
            programme.rate,
            strength=p.strength,
            gain_floor_db=p.gain_floor_db,
            speech=speech,
            layout=layout,
        )
        _write(ctx, programme, result.samples)
        after = detect_speech(result.samples, programme.rate, layout=layout)
        ctx.progress(1, 1)
        snr_in, snr_out = speech.speech_to_noise_db, after.speech_to_noise_db
        metrics = {
            "noise_attenuation_db": result.noise_attenuation_db,
            "speech_attenuation_db": result.speech_attenuation_db,
            "high_band_change_db": result.brightness.high_band_change_db,
            "centroid_change_hz": result.brightness.centroid_change_hz,
            "speech_ratio": speech.speech_ratio,
            "snr_in_db": snr_in,
            "snr_out_db": snr_out,
            "snr_gain_db": snr_out - snr_in,
        }
        meta = {
            **_audio_meta(programme),
            "noise_profile": result.profile.method,
            "processing": [
                f"noise reduction at strength {p.strength:.2f}: background "
                f"−{result.noise_attenuation_db:.1f} dB, dialogue {snr_in:.1f} → {snr_out:.1f} "
                f"dB above the noise floor"
            ],
        }
        return Output(meta, finite_metrics(metrics))


# -- loudness_level -------------------------------------------------------------------------


@dataclass(frozen=True, config=PARAMS_CONFIG)
class LoudnessLevelParams:
    """The target the normaliser aims at and the leveler's knobs."""

    # −70 LUFS is BS.1770's absolute gate: a target below it could never be measured.
    target_lufs: Annotated[float, Field(ge=-70.0, le=0.0)] = _DEFAULT_TARGET.integrated_lufs
    """Target loudness, LUFS (programme, or dialogue-gated when ``dialogue_gated``)."""
    tolerance_lu: Annotated[float, Field(gt=0.0)] = _DEFAULT_TARGET.tolerance_lu
    """Permitted deviation either side of the target, LU (the objective)."""
    true_peak_max_dbtp: Annotated[float, Field(le=0.0)] = _DEFAULT_TARGET.true_peak_max_dbtp
    """Maximum true peak of the delivery, dBTP (the objective)."""
    dialogue_gated: bool = _DEFAULT_TARGET.gating == "dialogue"
    """Measure loudness over speech only (streaming specs) instead of the whole programme."""
    standard: str = _DEFAULT_TARGET.reference.number.split(" (")[0]
    """The standard or specification the numbers come from (named in findings)."""
    true_peak_margin_db: Annotated[float, Field(ge=0.0, le=MAX_TRUE_PEAK_MARGIN_DB)] = 0.0
    """Extra headroom under the ceiling for the limiter, dB — for a lossy (AAC) encode
    downstream, which raises true peaks a little."""
    target_offset_lu: Annotated[float, Field(ge=-MAX_TARGET_OFFSET_LU, le=MAX_TARGET_OFFSET_LU)] = (
        0.0
    )
    """Correction added to the target the normaliser aims at, LU (set by the iteration loop
    when a variant lands off target; 0 normally)."""
    level: bool = True
    """Ride the dialogue with the speech-aware leveler before normalising."""
    window_s: float = _LEVELER.window_s
    """Leveler loudness window, seconds (bounds: :class:`LevelerParameters`)."""
    attack_s: float = _LEVELER.attack_s
    """Leveler time constant of gain cuts (applied ahead of loud phrases), seconds."""
    release_s: float = _LEVELER.release_s
    """Leveler time constant of gain rises, seconds."""
    max_boost_db: float = _LEVELER.max_boost_db
    """Largest leveler boost, dB."""
    max_cut_db: float = _LEVELER.max_cut_db
    """Largest leveler cut, dB."""
    min_speech_ratio: Annotated[float, Field(ge=0.0, le=1.0)] = DEFAULT_MIN_SPEECH_RATIO
    """Below this share of dialogue, gated loudness falls back to programme loudness and the
    leveler is skipped."""

    def __post_init__(self) -> None:
        self.leveler()  # the leveler's knobs are bounded where the leveler defines them

    def leveler(self) -> LevelerParameters:
        return LevelerParameters(
            window_s=self.window_s,
            attack_s=self.attack_s,
            release_s=self.release_s,
            max_boost_db=self.max_boost_db,
            max_cut_db=self.max_cut_db,
        )

    def delivery_target(self) -> DeliveryTarget:
        """The nominal target as the algorithms take it."""
        return DeliveryTarget(
            name="node",
            integrated_lufs=self.target_lufs,
            tolerance_lu=self.tolerance_lu,
            true_peak_max_dbtp=self.true_peak_max_dbtp,
            gating="dialogue" if self.dialogue_gated else "programme",
            reference=Reference(self.standard, self.standard, ""),
        )


class LoudnessLevel(_AudioProcessor):
    name = "loudness_level"
    version = "1"
    description = "level dialogue and normalise to the delivery loudness within the true peak"
    Params = LoudnessLevelParams
    cost = Cost("audio_second", 0.02, overhead_cpu_s=0.1)  # 60 s stereo dialogue
    # The tolerance and ceiling are the delivery's (parameters), so the objectives are on
    # how far outside them the output lands: 0 means within.
    objectives = (
        Objective("loudness_excess_lu", 0.0, kind="at_most"),
        Objective("true_peak_excess_db", 0.0, kind="at_most"),
    )

    def run(self, ctx: NodeContext) -> Output:
        p = ctx.params
        programme = read_programme(ctx.inputs[0].file())
        target = p.delivery_target()
        result = correct_loudness(
            programme.samples,
            programme.rate,
            target,
            layout=programme.weights_layout,
            leveler=p.leveler(),
            use_leveler=p.level,
            target_offset_lu=p.target_offset_lu,
            true_peak_margin_db=p.true_peak_margin_db,
            min_speech_ratio=p.min_speech_ratio,
        )
        _write(ctx, programme, result.samples)
        ctx.progress(1, 1)
        after, check, norm = result.after, result.check, result.normalisation
        silent = not math.isfinite(check.loudness_lufs)
        metrics: dict[str, float] = {
            "integrated_lufs": after.integrated_lufs,
            "true_peak_dbtp": after.true_peak_dbtp,
            "lra_lu": after.lra_lu,
            "speech_ratio": after.dialogue.speech_ratio if after.dialogue else 0.0,
            "limited": float(norm.limited),
            "max_gain_reduction_db": norm.max_gain_reduction_db,
            "gain_db": after.integrated_lufs - result.before.integrated_lufs,
            "normaliser_gain_db": norm.gain_db,
            "input_lufs": result.before.integrated_lufs,
            "input_true_peak_dbtp": result.before.true_peak_dbtp,
            "true_peak_excess_db": max(0.0, check.true_peak_dbtp - p.true_peak_max_dbtp),
        }
        if p.dialogue_gated and after.dialogue is not None:
            metrics["dialogue_lufs"] = after.dialogue.loudness_lufs
        if result.leveler is not None:
            metrics["leveler_trim_db"] = result.leveler.trim_db
        if not silent:  # a silent shot has no loudness error: the objective stays unmet
            metrics["loudness_error_lu"] = check.deviation_lu
            metrics["loudness_excess_lu"] = max(0.0, abs(check.deviation_lu) - p.tolerance_lu)
        meta = {
            **_audio_meta(programme),
            "loudness": {
                "target": describe_target(target),
                "measured_on": check.measured_on,
                "loudness_lufs": check.loudness_lufs if not silent else None,
                "true_peak_dbtp": check.true_peak_dbtp if not silent else None,
                "limited": norm.limited,
                "reason": norm.reason,
            },
            "processing": list(result.steps),
        }
        findings = self._findings(p, result, silent, programme.duration_s)
        return Output(meta, finite_metrics(metrics), findings)

    def _findings(
        self, p: LoudnessLevelParams, result: Any, silent: bool, duration_s: float
    ) -> list[dict[str, Any]]:
        check, norm = result.check, result.normalisation
        base = {
            "start_frame": None,
            "end_frame": None,
            "start_tc": None,
            "end_tc": None,
            "standard": p.standard,
        }
        what = "dialogue loudness" if p.dialogue_gated else "loudness"
        band = f"{signed(p.target_lufs)} ±{p.tolerance_lu:g} LU"
        findings: list[dict[str, Any]] = []
        if silent:
            why = (
                f"the sound is {duration_s * 1000:.0f} ms long, shorter than the "
                f"{MIN_DURATION_S * 1000:.0f} ms BS.1770 needs"
                if duration_s < MIN_DURATION_S
                else "the sound is silent (nothing above the −70 LUFS gate)"
            )
            findings.append(
                {
                    **base,
                    "check": "loudness",
                    "severity": "warning",
                    "value": None,
                    "limit": p.target_lufs,
                    "message": f"no {what} to correct: {why}; passed through unchanged",
                }
            )
        elif not check.loudness_ok:
            bound = p.target_lufs + math.copysign(p.tolerance_lu, check.deviation_lu)
            findings.append(
                {
                    **base,
                    "check": "loudness",
                    "severity": "fail",
                    "value": round(check.loudness_lufs, 2),
                    "limit": bound,
                    "message": f"{what} {signed(check.loudness_lufs, 1)} LUFS is outside {band} "
                    f"after levelling ({norm.reason})",
                }
            )
        if not silent and not check.true_peak_ok:
            findings.append(
                {
                    **base,
                    "check": "true_peak",
                    "severity": "fail",
                    "value": round(check.true_peak_dbtp, 2),
                    "limit": p.true_peak_max_dbtp,
                    "message": f"true peak {signed(check.true_peak_dbtp, 2)} dBTP is above the "
                    f"{signed(p.true_peak_max_dbtp)} dBTP ceiling",
                }
            )
        if norm.limited:
            # Not a failure, but never silent: the mix was limited, by how much and why.
            predicted = norm.input_true_peak_dbtp + norm.gain_db
            after_leveler = " after the leveler" if result.leveler is not None else ""
            findings.append(
                {
                    **base,
                    "check": "true_peak",
                    "severity": "info",
                    "value": round(predicted, 2),
                    "limit": round(result.aimed_at.true_peak_max_dbtp, 2),
                    "message": f"true-peak limiter used{after_leveler}: {norm.reason}",
                }
            )
        return findings

    def propose(
        self, params: Any, metrics: Mapping[str, float], history: list[tuple[Any, dict[str, float]]]
    ) -> Any | None:
        """Aim again, corrected by what the last variant measured: the loudness error goes
        into ``target_offset_lu``, a true-peak overshoot into ``true_peak_margin_db``."""
        if "loudness_error_lu" not in metrics:
            return None  # silent: no variant can make it measurable
        proposal = params
        if metrics.get("true_peak_excess_db", 0.0) > 0:
            margin = params.true_peak_margin_db + metrics["true_peak_excess_db"] + 0.1
            proposal = dataclasses.replace(
                proposal, true_peak_margin_db=round(min(margin, MAX_TRUE_PEAK_MARGIN_DB), 3)
            )
        if metrics.get("loudness_excess_lu", 0.0) > 0:
            offset = params.target_offset_lu - metrics["loudness_error_lu"]
            offset = max(-MAX_TARGET_OFFSET_LU, min(MAX_TARGET_OFFSET_LU, offset))
            proposal = dataclasses.replace(proposal, target_offset_lu=round(offset, 3))
        if proposal == params or any(proposal == tried for tried, _ in history):
            return None
        return proposal
