"""Dialogue and loudness rules: measure each shot's sound, clean it when its noise floor is
close to the dialogue, and bring it to the delivery spec's loudness target.

Per shot, for delivery specs with an audio target (nothing for picture-only specs):

    analysis: extract_audio → loudness_measure            (reelgraph analyse)
    sound:    extract_audio → [dialogue_clean] → loudness_level → master

Each shot is normalised on its own to the programme target. That is what a mixer does for
web and streaming deliverables of standalone clips (each one plays on its own, so each one
must meet the target); for shots cut together into one programme the whole programme would
be measured instead.
"""

from __future__ import annotations

import math
from typing import Any

from reelgraph.algorithms.audio.noise_reduction_wiener_scalart1996 import DEFAULT_STRENGTH
from reelgraph.analyse.loudness import signed
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.graph import Node
from reelgraph.plan.rules import ShotContext
from reelgraph.specs.delivery import AudioTarget

#: Dialogue less than this far above the noise floor gets noise reduction, dB. Clean
#: production dialogue sits 40 dB and more above its background.
CLEAN_BELOW_SNR_DB = 30.0
#: Noise-reduction strength by dialogue-to-noise ratio: (below this SNR in dB, strength).
STRENGTH_BY_SNR: tuple[tuple[float, float], ...] = (
    (10.0, 1.0),
    (20.0, DEFAULT_STRENGTH),
    (CLEAN_BELOW_SNR_DB, 0.6),
)
#: Headroom under the true-peak ceiling when the master's sound is lossy (AAC in .mp4):
#: the encoder's reconstruction raises true peaks by a few tenths of a dB.
LOSSY_TRUE_PEAK_MARGIN_DB = 1.0


def describe(audio: AudioTarget) -> str:
    """``EBU R 128 (2020): −23 LUFS ±0.5 LU, ≤ −1 dBTP``."""
    gated = "dialogue-gated " if audio.dialogue_gated else ""
    return (
        f"{audio.standard}: {gated}{signed(audio.integrated)} LUFS ±{audio.tolerance:g} LU, "
        f"≤ {signed(audio.true_peak_max)} dBTP"
    )


def analysis_steps(ctx: ShotContext, picture: str, sound: str | None) -> list[Node]:
    """Measure the shot's sound (``loudness_measure`` writes ``analysis.json``, analysis kind
    ``loudness``), compared with the delivery's target."""
    if sound is None or ctx.spec.audio is None:
        return []
    audio = ctx.spec.audio
    return [
        Node(
            f"{ctx.shot}/loudness_measure",
            "loudness_measure",
            {"target": audio.loudness_preset},
            (sound,),
            f"measure the shot's sound (BS.1770-5 integrated and dialogue-gated loudness, "
            f"EBU Tech 3342 LRA, true peak, noise floor) against {describe(audio)}",
            ctx.shot,
            ctx.scene,
        )
    ]


def _strength(snr_db: float) -> float:
    for below, strength in STRENGTH_BY_SNR:
        if snr_db < below:
            return strength
    return 0.0


def _lossy_master(ctx: ShotContext) -> bool:
    preset = PRESETS.get(ctx.spec.video_preset)
    return preset is not None and preset.extension not in (".mov", ".mkv")


def sound_steps(ctx: ShotContext, upstream: str) -> list[Node]:
    """``dialogue_clean`` when the measured noise floor is close to the dialogue, then
    ``loudness_level`` to the spec's target; every explanation gives the figures."""
    audio = ctx.spec.audio
    if audio is None:
        return []
    sid = ctx.shot
    measured: dict[str, Any] = ctx.analysis.get("loudness") or {}
    nodes: list[Node] = []
    snr = measured.get("speech_to_noise_db")
    if snr is not None and snr < CLEAN_BELOW_SNR_DB:
        strength = _strength(snr)
        floor = float(measured.get("noise_floor_dbfs") or -math.inf)
        speech = float(measured.get("speech_level_dbfs") or -math.inf)
        nodes.append(
            Node(
                f"{sid}/dialogue_clean",
                "dialogue_clean",
                {"strength": strength},
                (upstream,),
                f"noise floor {signed(floor, 1)} dBFS is only {snr:.1f} dB under the dialogue "
                f"({signed(speech, 1)} dBFS; clean dialogue sits ≥ {CLEAN_BELOW_SNR_DB:g} dB "
                f"above it), and the gain to target would lift it too: Wiener noise reduction "
                f"at strength {strength:g}, noise learnt from the pauses",
                sid,
                ctx.scene,
            )
        )
        upstream = nodes[-1].id
    margin = LOSSY_TRUE_PEAK_MARGIN_DB if _lossy_master(ctx) else 0.0
    params = {
        "target_lufs": audio.integrated,
        "tolerance_lu": audio.tolerance,
        "true_peak_max_dbtp": audio.true_peak_max,
        "dialogue_gated": audio.dialogue_gated,
        "standard": audio.standard,
        "true_peak_margin_db": margin,
    }
    nodes.append(
        Node(
            f"{sid}/loudness",
            "loudness_level",
            params,
            (upstream,),
            _level_explanation(ctx, audio, measured, margin),
            sid,
            ctx.scene,
        )
    )
    return nodes


def _level_explanation(
    ctx: ShotContext, audio: AudioTarget, measured: dict[str, Any], margin: float
) -> str:
    parts = [f"bring the sound to {ctx.spec.name}'s target, {describe(audio)}"]
    gated = audio.dialogue_gated and measured.get("dialogue_gated_on") == "speech"
    loudness = measured.get("dialogue_lufs" if gated else "integrated_lufs")
    peak = measured.get("true_peak_dbtp")
    ceiling = audio.true_peak_max - margin
    if loudness is None:
        parts.append(
            "not measured yet (run 'reelgraph analyse'): the gain is found when it runs"
            if not measured
            else "the sound is too short or silent to measure: it will pass through "
            "unchanged, with a warning"
        )
    else:
        gain = audio.integrated - loudness
        what = "dialogue-gated loudness" if gated else "programme loudness"
        parts.append(
            f"gain about {signed(gain, 1, plus=True)} dB: measured {signed(loudness, 1)} LUFS "
            f"{what}, target {signed(audio.integrated)}"
        )
        if audio.dialogue_gated and not gated:
            parts.append(
                f"dialogue in only {measured.get('speech_ratio', 0.0):.0%} of the sound, so "
                "the gate falls back to programme loudness"
            )
        if peak is not None and peak + gain > ceiling:
            parts.append(
                f"linear gain would put the true peak at {signed(peak + gain, 1, plus=True)} "
                f"dBTP, over the {signed(ceiling, 1)} dBTP limiter ceiling: expect true-peak "
                "limiting (reported as limited, with the gain reduction)"
            )
        elif peak is not None:
            parts.append(
                f"true peak after gain about {signed(peak + gain, 1, plus=True)} dBTP, under the "
                f"{signed(ceiling, 1)} dBTP ceiling: linear gain"
            )
    if margin:
        parts.append(
            f"limiter ceiling {signed(ceiling, 1)} dBTP: {margin:g} dB under "
            f"{signed(audio.true_peak_max)} dBTP for the master's lossy (AAC) sound"
        )
    ratio = measured.get("speech_ratio")
    if ratio is not None and math.isfinite(ratio):
        parts.append(f"dialogue ridden by the speech-aware leveler ({ratio:.0%} speech)")
    parts.append(
        "each shot is normalised on its own, as a mixer does for standalone web/streaming clips"
    )
    return "; ".join(parts)
