"""Read back the HDR10 static metadata a video carries: SMPTE ST 2086 mastering display and
CTA-861.3 content light levels, as the decoder exports them (HEVC/AVC SEI messages, or the
container's boxes) on the first frame.

The side data are FFmpeg's C structures (libavutil ``mastering_display_metadata.h``):
``AVMasteringDisplayMetadata`` — 3×2 primaries, the white point, min and max luminance as
``AVRational`` (two ``int32``), then ``has_primaries`` and ``has_luminance``;
``AVContentLightMetadata`` — ``MaxCLL`` and ``MaxFALL`` as ``unsigned``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from reelgraph.media.probe import open_container


@dataclass(frozen=True)
class Hdr10Metadata:
    """What a stream says about its HDR10 mastering (None where it says nothing)."""

    primaries: tuple[tuple[float, float], ...] | None
    """Mastering display R, G, B chromaticities (x, y)."""
    white_point: tuple[float, float] | None
    max_luminance: float | None
    """Mastering display peak, cd/m²."""
    min_luminance: float | None
    max_cll: int | None
    """Maximum content light level, cd/m²."""
    max_fall: int | None
    """Maximum frame-average light level, cd/m²."""


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def read_hdr10_metadata(path: str | Path) -> Hdr10Metadata | None:
    """The HDR10 metadata of the first video stream, or None when it has none."""
    display: bytes | None = None
    light: bytes | None = None
    with open_container(path) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            for item in frame.side_data:
                name = getattr(item.type, "name", str(item.type))
                if name == "MASTERING_DISPLAY_METADATA":
                    display = bytes(item)
                elif name == "CONTENT_LIGHT_LEVEL":
                    light = bytes(item)
            break
    if display is None and light is None:
        return None
    primaries = white = None
    peak = floor = None
    if display is not None and len(display) >= 88:
        values = struct.unpack_from("<20i", display)
        has_primaries, has_luminance = struct.unpack_from("<2i", display, 80)
        if has_primaries:
            pairs = [_ratio(values[i], values[i + 1]) for i in range(0, 16, 2)]
            primaries = ((pairs[0], pairs[1]), (pairs[2], pairs[3]), (pairs[4], pairs[5]))
            white = (pairs[6], pairs[7])
        if has_luminance:
            floor = _ratio(values[16], values[17])
            peak = _ratio(values[18], values[19])
    max_cll = max_fall = None
    if light is not None and len(light) >= 8:
        max_cll, max_fall = struct.unpack_from("<2I", light)
    return Hdr10Metadata(primaries, white, peak, floor, max_cll, max_fall)
