"""Delivery specs: the named presets of DESIGN.md, defined once.

The CLI, the brief schema, the planner and the docs all read this table, so a preset's
numbers live in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

from reelgraph.errors import BriefError

T = TypeVar("T")


@dataclass(frozen=True)
class AudioTarget:
    """Loudness target of a delivery: a name in the loudness delivery targets table
    (:data:`reelgraph.specs.loudness_targets.DELIVERY_TARGETS`), which holds the
    numbers; these properties read them from there.

    Attributes:
        loudness_preset: the delivery target's name (``ebu-r128``, ``atsc-a85``,
            ``streaming``, ``web``).
    """

    loudness_preset: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "loudness_preset": self.loudness_preset,
            "integrated": self.integrated,
            "tolerance": self.tolerance,
            "true_peak_max": self.true_peak_max,
            "dialogue_gated": self.dialogue_gated,
            "standard": self.standard,
        }

    @property
    def _target(self) -> Any:
        from reelgraph.specs.loudness_targets import lookup

        return lookup(self.loudness_preset)

    @property
    def integrated(self) -> float:
        """Target loudness in LUFS (LKFS)."""
        return float(self._target.integrated_lufs)

    @property
    def tolerance(self) -> float:
        """Allowed deviation in LU (±)."""
        return float(self._target.tolerance_lu)

    @property
    def true_peak_max(self) -> float:
        """Highest allowed true peak in dBTP."""
        return float(self._target.true_peak_max_dbtp)

    @property
    def dialogue_gated(self) -> bool:
        """Measured over speech only (streaming specs) rather than the programme."""
        return bool(self._target.gating == "dialogue")

    @property
    def standard(self) -> str:
        """The document the numbers come from."""
        return str(self._target.reference.number)


@dataclass(frozen=True)
class DeliverySpec:
    """One delivery preset.

    Attributes:
        name: the identifier used in briefs and on the command line.
        video_preset: the encoder preset in :data:`reelgraph.media.video.PRESETS`, or
            ``exr`` for per-frame OpenEXR files.
        width, height: picture size of the master (0: keep the source's).
        frame_rate: required frame rate (``None``: keep the source's).
        bit_depth: bits per component of the master.
        transfer: transfer function of the master (FFmpeg name).
        primaries: colour primaries of the master (FFmpeg name).
        audio: the loudness target, or ``None`` for picture-only deliveries.
        qc_profile: the QC profile this delivery is checked against.
        exr_pixel_type: ``half`` or ``float`` samples of ``exr`` plates.
        mattes: how a shot's rotoscoped mattes go out with its master: ``alpha`` (channel
            A of the EXR plates) or ``files`` (the matte sequence beside the master); see
            :mod:`reelgraph.deliver.mattes`.
    """

    name: str
    description: str
    video_preset: str
    width: int
    height: int
    bit_depth: int
    transfer: str
    primaries: str
    audio: AudioTarget | None
    qc_profile: str
    frame_rate: str | None = None
    exr_pixel_type: str = "half"
    mattes: str = "files"

    def with_output(
        self, width: int | None, height: int | None, exr_pixel_type: str | None
    ) -> DeliverySpec:
        """This spec with a brief's ``output:`` override of picture size and EXR samples."""
        return replace(
            self,
            width=width or self.width,
            height=height or self.height,
            exr_pixel_type=exr_pixel_type or self.exr_pixel_type,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.audio is not None:
            data["audio"] = self.audio.to_dict()
        return data


_BROADCAST_EBU = DeliverySpec(
    "broadcast-ebu",
    "ProRes 422 HQ 10-bit BT.709, EBU R128",
    "prores",
    1920,
    1080,
    10,
    "bt709",
    "bt709",
    AudioTarget("ebu-r128"),
    "broadcast-ebu",
)

SPECS: dict[str, DeliverySpec] = {
    s.name: s
    for s in (
        DeliverySpec(
            "web-sdr",
            "H.264 8-bit BT.709 1080p, -14 LUFS",
            "h264",
            1920,
            1080,
            8,
            "bt709",
            "bt709",
            AudioTarget("web"),
            "web-sdr",
        ),
        _BROADCAST_EBU,
        # The same HD master as for EBU broadcast; only the loudness target differs.
        replace(
            _BROADCAST_EBU,
            name="broadcast-atsc",
            description="ProRes 422 HQ 10-bit BT.709, ATSC A/85",
            audio=AudioTarget("atsc-a85"),
            qc_profile="broadcast-atsc",
        ),
        DeliverySpec(
            "streaming-hdr",
            "HEVC 10-bit BT.2020 PQ HDR10 2160p",
            "hevc-hdr10",
            3840,
            2160,
            10,
            "smpte2084",
            "bt2020",
            AudioTarget("streaming"),
            "streaming-hdr",
        ),
        DeliverySpec(
            "vfx-plates",
            "OpenEXR half, scene-linear, per-frame files",
            "exr",
            0,
            0,
            16,
            "linear",
            "bt709",
            None,
            "vfx-plates",
            mattes="alpha",
        ),
    )
}


def named(table: Mapping[str, T], name: str, kind: str, kinds: str) -> T:
    """``table[name]``; an unknown name is a brief error that lists the valid ones
    (``kind`` and ``kinds`` name an entry and the entries: "delivery spec", "specs")."""
    try:
        return table[name]
    except KeyError:
        raise BriefError(
            f"unknown {kind} {name!r}", hint=f"valid {kinds}: {', '.join(table)}"
        ) from None


def get_spec(name: str) -> DeliverySpec:
    return named(SPECS, name, "delivery spec", "specs")
