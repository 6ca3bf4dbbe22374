"""QC profiles: for each delivery spec, which checks run, with which limits, from which
standard.

A profile is built from the delivery spec it belongs to (:mod:`reelgraph.specs.delivery`), the
loudness target the spec names (:mod:`reelgraph.specs.loudness_targets`), the
encoder preset of its master (:data:`reelgraph.media.video.PRESETS`) and each check's own
parameter dataclass in :mod:`reelgraph.algorithms.qc` — so every number lives in one place;
a profile only chooses among them and sets severities.

==================  ==========================================================================
profile             what differs
==================  ==========================================================================
``web-sdr``         all video checks; legal range a warning (EBU R 103 is a broadcast
                    recommendation; web players clip); loudness −14 LUFS ±1, ≤ −1 dBTP;
                    H.264 8-bit 4:2:0 BT.709 1080p, stereo AAC 48 kHz
``broadcast-ebu``   all video checks, legal range a failure (EBU R 103); EBU R 128 −23 LUFS
                    ±0.5, ≤ −1 dBTP; ProRes 422 HQ 10-bit, stereo or 5.1 PCM 48 kHz
``broadcast-atsc``  as broadcast-ebu with ATSC A/85 −24 LKFS ±2, ≤ −2 dBTP
``streaming-hdr``   no flash checks (BT.1702's method needs SDR luminance; PQ is refused and
                    the report says so), BT.2020 luma; dialogue-gated −27 LKFS ±2, ≤ −2 dBTP;
                    HEVC Main 10 BT.2020 PQ 2160p
``vfx-plates``      black, freeze, flicker only; no sound expected; OpenEXR, linear
==================  ==========================================================================

>>> profile = profile_for_spec("broadcast-ebu")
>>> profile.audio.target.integrated_lufs, profile.audio.target.tolerance_lu
(-23.0, 0.5)
>>> profile.video.legal_range.severity, get_profile("web-sdr").video.legal_range.severity
('fail', 'warning')
>>> sorted(get_profile("streaming-hdr").skipped)
['flash', 'red_flash']
>>> profile.objectives()["flicker_global_max"]
Objective(metric='flicker_global_max', target=0.01, tolerance=0.0, kind='at_most')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from reelgraph.algorithms.qc import VIDEO_CHECKS, VideoQCConfig
from reelgraph.algorithms.qc import banding_cambi_tandon2021 as banding
from reelgraph.algorithms.qc import black_ffmpeg_blackdetect as black
from reelgraph.algorithms.qc import clipping_aes17 as clipping
from reelgraph.algorithms.qc import flash_bt1702 as flash
from reelgraph.algorithms.qc import flicker_warping_lai2018 as flicker
from reelgraph.algorithms.qc import freeze_ffmpeg_freezedetect as freeze
from reelgraph.algorithms.qc import legal_range_ebu_r103 as legal_range
from reelgraph.algorithms.qc import letterbox_ffmpeg_cropdetect as letterbox
from reelgraph.algorithms.qc import phase_correlation_brixen2011 as phase
from reelgraph.algorithms.qc import silence_ffmpeg_silencedetect as silence
from reelgraph.algorithms.qc.clipping_aes17 import ClippingParameters
from reelgraph.algorithms.qc.findings import Severity
from reelgraph.algorithms.qc.phase_correlation_brixen2011 import PhaseParameters
from reelgraph.algorithms.qc.silence_ffmpeg_silencedetect import SilenceParameters
from reelgraph.media.video import PRESETS
from reelgraph.orchestrator.agent import Objective
from reelgraph.specs.delivery import SPECS, DeliverySpec, get_spec, named
from reelgraph.specs.loudness_targets import DeliveryTarget, lookup

__all__ = [
    "AUDIO_CHECKS",
    "CHECKS",
    "PROFILES",
    "AudioRequirements",
    "QCProfile",
    "SpecRequirements",
    "get_profile",
    "profile_for_spec",
]

#: Stable identifiers of the sound checks.
AUDIO_CHECKS: Final[tuple[str, ...]] = ("loudness", "true_peak", "clipping", "silence", "phase")
#: Every check identifier a QC result can carry, in report order.
CHECKS: Final[tuple[str, ...]] = (*VIDEO_CHECKS, *AUDIO_CHECKS, "spec", "decode")

#: The standard or practice behind each video check's limits (from the check's module).
VIDEO_STANDARDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "black": black.STANDARD,
        "freeze": freeze.STANDARD,
        "flash": flash.STANDARD,
        "red_flash": flash.STANDARD,
        "flicker": flicker.STANDARD,
        "legal_range": legal_range.STANDARD,
        "banding": banding.STANDARD,
        "letterbox": letterbox.STANDARD,
    }
)

SPEC_STANDARD = "delivery spec"
DECODE_STANDARD = "FFmpeg decoder (libavcodec)"

# Encoder name in a preset → the decoder name probe reports for its streams.
_DECODER = {"libx264": "h264", "libx265": "hevc", "prores_ks": "prores", "ffv1": "ffv1"}
# Y′C′bC′r matrix names (FFmpeg) → luma weights of the QC algorithms.
_LUMA_MATRIX = {"bt709": "bt709", "bt2020nc": "bt2020", "bt470bg": "bt601", "smpte170m": "bt601"}


@dataclass(frozen=True)
class SpecRequirements:
    """What the file itself must be (the ``spec`` check). ``None`` is not checked."""

    codec: str | None
    """FFmpeg decoder name of the video stream (``h264``, ``prores``, ``hevc``, ``exr``)."""
    width: int | None
    height: int | None
    frame_rate: str | None
    """Exact rational rate ``"num/den"``; ``None``: any constant rate."""
    bit_depth: int | None
    pixel_format: str | None
    primaries: str | None
    transfer: str | None
    matrix: str | None
    range: str | None
    audio_layouts: tuple[str, ...]
    """Allowed FFmpeg channel layouts; empty: the delivery carries no sound."""
    audio_rate: int | None
    audio_codecs: tuple[str, ...]
    """Allowed audio decoder names (empty: any)."""
    av_tolerance_s: float = 0.05
    """Largest allowed difference between the sound's and the picture's duration beyond one
    frame, seconds (an AAC frame is 21 ms at 48 kHz)."""


@dataclass(frozen=True)
class AudioRequirements:
    """The sound checks of a profile."""

    target: DeliveryTarget
    """Loudness and true-peak target (``loudness``, ``true_peak``)."""
    clipping: ClippingParameters = field(default_factory=ClippingParameters)
    silence: SilenceParameters = field(default_factory=SilenceParameters)
    phase: PhaseParameters = field(default_factory=PhaseParameters)

    def standards(self) -> dict[str, str]:
        reference = self.target.reference.number
        return {
            "loudness": reference,
            "true_peak": reference,
            "clipping": clipping.STANDARD,
            "silence": silence.STANDARD,
            "phase": phase.STANDARD,
        }


@dataclass(frozen=True)
class QCProfile:
    """A delivery spec's QC: the video configuration, the sound checks, the file spec."""

    name: str
    description: str
    spec_name: str
    video: VideoQCConfig
    audio: AudioRequirements | None
    spec: SpecRequirements
    skipped: Mapping[str, str] = field(default_factory=dict)
    """Checks this profile deliberately does not run, with the reason (shown in reports)."""

    @property
    def checks(self) -> tuple[str, ...]:
        """Every check this profile runs, in report order."""
        audio = AUDIO_CHECKS if self.audio is not None else ()
        return (*self.video.checks, *audio, "spec", "decode")

    def objectives(self) -> dict[str, Objective]:
        """metric → the objective that keeps it within this profile's limit.

        For agents that can fix what QC measures: an agent that reports one of these
        metrics on its own output (measured with the same algorithm, e.g. a temporal
        restoration step running :class:`~reelgraph.algorithms.qc.flicker_warping_lai2018.
        FlickerTracker`) declares the objective, and the iteration loop renders stronger
        variants until the metric is within the limit the QC node will apply.
        """
        video = self.video
        found = {
            "flicker_global_max": Objective(
                "flicker_global_max", video.flicker.global_threshold, kind="at_most"
            ),
            "flicker_local_max": Objective(
                "flicker_local_max", video.flicker.local_threshold, kind="at_most"
            ),
            "banding_max": Objective("banding_max", video.banding.threshold, kind="at_most"),
            "legal_range_max": Objective(
                "legal_range_max", video.legal_range.max_area, kind="at_most"
            ),
        }
        if self.audio is not None:
            target = self.audio.target
            found["loudness_lufs"] = Objective(
                "loudness_lufs", target.integrated_lufs, target.tolerance_lu
            )
            found["true_peak_dbtp"] = Objective(
                "true_peak_dbtp", target.true_peak_max_dbtp, kind="at_most"
            )
        return found

    def standards(self) -> dict[str, str]:
        """check → the standard its limits come from."""
        out = {check: VIDEO_STANDARDS[check] for check in self.video.checks}
        if self.audio is not None:
            out.update(self.audio.standards())
        out["spec"] = f"{SPEC_STANDARD} {self.spec_name}"
        out["decode"] = DECODE_STANDARD
        return out


def luma_matrix(matrix: str) -> str | None:
    """The QC algorithms' luma weights for an FFmpeg matrix name (``None``: unsupported)."""
    return _LUMA_MATRIX.get(matrix)


def _spec_requirements(spec: DeliverySpec, layouts: tuple[str, ...]) -> SpecRequirements:
    if spec.video_preset == "exr":
        return SpecRequirements(
            codec="exr",
            width=spec.width or None,
            height=spec.height or None,
            frame_rate=spec.frame_rate,
            bit_depth=None,
            pixel_format=None,
            primaries=spec.primaries,
            transfer=spec.transfer,
            matrix=None,
            range=None,
            audio_layouts=(),
            audio_rate=None,
            audio_codecs=(),
        )
    preset = PRESETS[spec.video_preset]
    # The master's container decides its sound codec (VideoWriter: PCM in .mov/.mkv).
    codecs = ("pcm_s24le", "pcm_s16le") if preset.extension in (".mov", ".mkv") else ("aac",)
    return SpecRequirements(
        codec=_DECODER.get(preset.codec, preset.codec),
        width=spec.width or None,
        height=spec.height or None,
        frame_rate=spec.frame_rate,
        bit_depth=spec.bit_depth,
        pixel_format=preset.pix_fmt,
        primaries=spec.primaries,
        transfer=spec.transfer,
        matrix=preset.tag.matrix,
        range=preset.tag.range,
        audio_layouts=layouts if spec.audio is not None else (),
        audio_rate=48000 if spec.audio is not None else None,
        audio_codecs=codecs if spec.audio is not None else (),
    )


def _video(checks: tuple[str, ...], matrix: str, legal_severity: Severity) -> VideoQCConfig:
    base = VideoQCConfig()
    return VideoQCConfig(
        checks=checks,
        matrix=matrix,
        legal_range=replace(base.legal_range, severity=legal_severity),
    )


_HDR_FLASH = (
    "BT.1702's flash limits are relative-luminance changes of SDR pictures; PQ (HDR) "
    "pictures need an absolute-luminance method, which is not provided"
)


def _build(spec: DeliverySpec) -> QCProfile:
    audio = (
        AudioRequirements(target=lookup(spec.audio.loudness_preset))
        if spec.audio is not None
        else None
    )
    if spec.name == "web-sdr":
        video = _video(VIDEO_CHECKS, "bt709", "warning")
        return QCProfile(spec.qc_profile, spec.description, spec.name, video, audio,
                         _spec_requirements(spec, ("stereo",)))  # fmt: skip
    if spec.name in ("broadcast-ebu", "broadcast-atsc"):
        video = _video(VIDEO_CHECKS, "bt709", "fail")
        return QCProfile(spec.qc_profile, spec.description, spec.name, video, audio,
                         _spec_requirements(spec, ("stereo", "5.1")))  # fmt: skip
    if spec.name == "streaming-hdr":
        checks = tuple(c for c in VIDEO_CHECKS if c not in ("flash", "red_flash"))
        video = _video(checks, "bt2020", "fail")
        return QCProfile(
            spec.qc_profile,
            spec.description,
            spec.name,
            video,
            audio,
            _spec_requirements(spec, ("stereo", "5.1", "7.1")),
            MappingProxyType({"flash": _HDR_FLASH, "red_flash": _HDR_FLASH}),
        )
    if spec.video_preset == "exr":
        video = _video(("black", "freeze", "flicker"), "bt709", "fail")
        return QCProfile(
            spec.qc_profile,
            spec.description,
            spec.name,
            video,
            None,
            _spec_requirements(spec, ()),
            MappingProxyType(
                {
                    check: "plates are scene-linear working material, not a broadcast picture"
                    for check in ("flash", "red_flash", "legal_range", "banding", "letterbox")
                }
            ),
        )
    # A spec added without a tailored profile gets every check with its defaults.
    return QCProfile(spec.qc_profile, spec.description, spec.name,
                     _video(VIDEO_CHECKS, "bt709", "fail"), audio,
                     _spec_requirements(spec, ("stereo", "5.1")))  # fmt: skip


#: QC profiles by name (each delivery spec names one).
PROFILES: Final[Mapping[str, QCProfile]] = MappingProxyType(
    {spec.qc_profile: _build(spec) for spec in SPECS.values()}
)


def get_profile(name: str) -> QCProfile:
    """The QC profile called ``name``; an unknown name raises, listing the valid ones."""
    return named(PROFILES, name, "QC profile", "profiles")


def profile_for_spec(spec: str | DeliverySpec) -> QCProfile:
    """The QC profile a delivery spec names."""
    delivery = get_spec(spec) if isinstance(spec, str) else spec
    return get_profile(delivery.qc_profile)
