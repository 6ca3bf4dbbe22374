"""The frame-level video QC checks run together on a stream of frames.

:class:`VideoQC` takes frames one at a time (``push``), optionally with the decoded
``Y′C′bC′r`` planes for the legal-range check, keeps only what each check needs from the
recent past (the previous frame's maps for flash and flicker, freezedetect's reference
luma, per-frame scalars) and, at :meth:`VideoQC.finish`, evaluates the per-frame series
into :class:`~reelgraph.algorithms.qc.findings.Finding` objects. Memory is bounded by a few
frames whatever the clip length; only the per-frame scalar series grow with it.

Per frame, one full-resolution float pass computes luma ``Y′`` (black, freeze, letterbox,
and the downscaled copies for flicker and banding) and one area-averages the frame to the
flash analysis width; everything else works on those, or on the ``Y′C′bC′r`` planes.

============  =============================  ============================================
input         dtype, shape                   domain
============  =============================  ============================================
``frame``     float32 ``(H, W, 3)``          display-referred ``R′G′B′`` in [0, 1]
              or uint8 ``(H, W, 3)``         8-bit ``R′G′B′`` codes (full range)
``ycbcr``     :class:`YCbCrPlanes` or None   decoded planes with bit depth and range
returns       :class:`VideoQCReport`         findings, per-frame series (length n)
============  =============================  ============================================

>>> import numpy as np
>>> qc = VideoQC(25.0)
>>> for k in range(60):
...     qc.push(np.full((36, 64, 3), 0.0 if k < 55 else 0.5, np.float32))
>>> report = qc.finish()
>>> [(f.check, f.start_frame, f.end_frame) for f in report.findings]
[('black', 0, 54), ('freeze', 0, 54)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.qc._frames import (
    check_finite,
    luma,
    luma_weights,
    round_fps,
    to_codes8,
    validate_plane,
    validate_rgb,
    working_frame,
)
from reelgraph.algorithms.qc.banding_cambi_tandon2021 import (
    BandingParameters,
    _cambi,
    detect_banding,
)
from reelgraph.algorithms.qc.black_ffmpeg_blackdetect import (
    BlackParameters,
    _black_ratio,
    detect_black,
)
from reelgraph.algorithms.qc.findings import VIDEO_CHECKS, Finding
from reelgraph.algorithms.qc.flash_bt1702 import FlashAnalyser, FlashParameters, flash_findings
from reelgraph.algorithms.qc.flicker_warping_lai2018 import (
    FlickerParameters,
    FlickerTracker,
    detect_flicker,
)
from reelgraph.algorithms.qc.freeze_ffmpeg_freezedetect import (
    FreezeParameters,
    FreezeTracker,
    detect_freeze,
)
from reelgraph.algorithms.qc.legal_range_ebu_r103 import (
    LegalRangeParameters,
    YCbCrPlanes,
    detect_legal_range,
    legal_range_frame,
)
from reelgraph.algorithms.qc.letterbox_ffmpeg_cropdetect import (
    LetterboxParameters,
    _bars,
    detect_letterbox,
)
from reelgraph.errors import AlgorithmError

__all__ = ["VideoQC", "VideoQCConfig", "VideoQCReport", "analyse_frames"]

_NAN = float("nan")


@dataclass(frozen=True)
class VideoQCConfig:
    """Which checks run and with which parameters (each default lives in its check)."""

    checks: tuple[str, ...] = VIDEO_CHECKS
    """Check identifiers to run; any of :data:`~reelgraph.algorithms.qc.VIDEO_CHECKS`."""
    matrix: str = "bt709"
    """Colour matrix whose ``K_R, K_G, K_B`` give luma ``Y′`` from ``R′G′B′``."""
    black: BlackParameters = field(default_factory=BlackParameters)
    freeze: FreezeParameters = field(default_factory=FreezeParameters)
    flash: FlashParameters = field(default_factory=FlashParameters)
    """Used by both ``flash`` and ``red_flash``."""
    flicker: FlickerParameters = field(default_factory=FlickerParameters)
    legal_range: LegalRangeParameters = field(default_factory=LegalRangeParameters)
    banding: BandingParameters = field(default_factory=BandingParameters)
    banding_interval: float = 0.2
    """Seconds between banding scores (others are NaN; 0 scores every frame): banding
    changes at shot boundaries, not frame to frame, and its score costs the most."""
    letterbox: LetterboxParameters = field(default_factory=LetterboxParameters)

    def __post_init__(self) -> None:
        unknown = [check for check in self.checks if check not in VIDEO_CHECKS]
        if unknown:
            raise AlgorithmError(
                f"unknown check(s) {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(VIDEO_CHECKS)}"
            )
        luma_weights(self.matrix)
        if not self.banding_interval >= 0:
            raise AlgorithmError("banding_interval must be >= 0 seconds")


@dataclass(frozen=True)
class VideoQCReport:
    """Result of a QC run: findings sorted by start frame and the per-frame series."""

    frames: int
    fps: float
    width: int
    height: int
    findings: list[Finding]
    series: dict[str, NDArray[Any]]
    """Per-frame values, each of length ``frames``; keys are ``"<check>.<quantity>"``."""
    skipped: dict[str, str]
    """Checks that were asked for but could not run, with the reason."""

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: findings and the series as lists (NaN as ``None``)."""
        return {
            "frames": self.frames,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "findings": [finding.to_dict() for finding in self.findings],
            "series": {
                name: [None if _is_nan(v) else v for v in values.tolist()]
                for name, values in self.series.items()
            },
            "skipped": dict(self.skipped),
        }


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


class VideoQC:
    """Streaming frame-level QC: ``push`` frames in order, then ``finish``."""

    def __init__(self, fps: float, config: VideoQCConfig | None = None) -> None:
        self.fps = float(fps)
        round_fps(self.fps)
        self.config = config or VideoQCConfig()
        checks = set(self.config.checks)
        self._checks = checks
        self._shape: tuple[int, int] | None = None
        self._frames = 0
        self._values: dict[str, list[float]] = {}
        self._ycbcr_frames = 0
        self._freeze = FreezeTracker(self.config.freeze.noise) if "freeze" in checks else None
        self._flash = (
            FlashAnalyser(self.fps, self.config.flash) if checks & {"flash", "red_flash"} else None
        )
        self._flicker = FlickerTracker(self.config.flicker) if "flicker" in checks else None
        self._banding_step = max(1, round(self.config.banding_interval * self.fps))
        self._needs_luma = bool(checks & {"black", "letterbox", "flicker", "banding", "freeze"})

    @property
    def frames(self) -> int:
        """Number of frames pushed so far."""
        return self._frames

    def _add(self, name: str, value: float) -> None:
        self._values.setdefault(name, []).append(value)

    def push(
        self,
        frame: NDArray[np.float32] | NDArray[np.uint8],
        ycbcr: YCbCrPlanes | None = None,
        luma_plane: NDArray[np.float32] | None = None,
    ) -> None:
        """Analyse the next frame; ``ycbcr`` (optional) feeds the legal-range check.

        ``luma_plane``: the frame's ``Y′`` at full size when the caller has it (read from
        the coded plane); ``frame`` may then be smaller (area-averaged: only the flash
        checks read colour, at their analysis width) and the clip's size is the plane's.
        """
        index = self._frames
        try:
            # With luma needed anyway, NaN/inf are detected on it (they propagate through
            # the weighted sum) instead of by a separate pass over the frame.
            frame = validate_rgb(frame, check_values=not self._needs_luma)
            if luma_plane is not None:
                plane: NDArray[np.float32] | None = validate_plane(luma_plane, "luma")
            elif self._needs_luma:
                plane = luma(frame, self.config.matrix)
                if frame.dtype == np.float32:
                    check_finite(plane, "frame")
            else:
                plane = None
        except AlgorithmError as error:
            raise AlgorithmError(error.message, hint=error.hint, frame=index) from None
        full = luma_plane if luma_plane is not None else frame
        shape = (int(full.shape[0]), int(full.shape[1]))
        if self._shape is None:
            self._shape = shape
        elif shape != self._shape:
            raise AlgorithmError(
                f"frame {index} is {shape[1]}x{shape[0]}, the clip is "
                f"{self._shape[1]}x{self._shape[0]}",
                hint="QC one rendition at a time; scale or split the clip first",
                frame=index,
            )
        config = self.config
        checks = self._checks
        # Everything that can reject the frame runs before any state changes.
        legal = self._measure_legal(ycbcr, index) if "legal_range" in checks else None

        if plane is not None:
            if "black" in checks:
                self._add("black.ratio", _black_ratio(plane, config.black.pixel_threshold))
            if "letterbox" in checks:
                bars = _bars(plane, config.letterbox.limit)
                for side, size in zip(("top", "bottom", "left", "right"), bars, strict=True):
                    self._add(f"letterbox.{side}", float(size))
            if self._flicker is not None:
                pair = self._flicker.push_working(working_frame(plane, config.flicker.max_width))
                self._add("flicker.global", pair.global_change)
                self._add("flicker.local", pair.local_change)
                self._add("flicker.valid_fraction", pair.valid_fraction)
                self._add("flicker.cut", float(pair.cut))
            if "banding" in checks:
                score = _NAN
                if index % self._banding_step == 0:
                    score = _cambi(plane, config.banding)
                self._add("banding.score", score)
            if self._freeze is not None:
                value, frozen = self._freeze.push(plane)
                self._add("freeze.mafd", value)
                self._add("freeze.frozen", float(frozen))
        if self._flash is not None:
            # Area-average the float frame to the flash analysis width before quantising:
            # cheaper than quantising every full-resolution sample.
            self._flash.push_codes(to_codes8(working_frame(frame, config.flash.analysis_width)))
        if legal is not None:
            if ycbcr is not None:
                self._ycbcr_frames += 1
            for name, value in zip(
                ("y_out", "chroma_out", "rgb_out", "reserved"), legal, strict=True
            ):
                self._add(f"legal_range.{name}", value)
        self._frames += 1

    def _measure_legal(self, ycbcr: YCbCrPlanes | None, index: int) -> tuple[float, ...]:
        if ycbcr is None:
            return (_NAN, _NAN, _NAN, _NAN)
        if self._shape is not None and ycbcr.y.shape != self._shape:
            raise AlgorithmError(
                f"Y′ plane {ycbcr.y.shape} does not match the frame {self._shape}",
                frame=index,
            )
        try:
            measured = legal_range_frame(
                ycbcr.y,
                ycbcr.cb,
                ycbcr.cr,
                ycbcr.bit_depth,
                full_range=ycbcr.full_range,
                matrix=ycbcr.matrix,
                params=self.config.legal_range,
            )
        except AlgorithmError as error:
            raise AlgorithmError(error.message, hint=error.hint, frame=index) from None
        return (measured.y_out, measured.chroma_out, measured.rgb_out, float(measured.reserved))

    def finish(self) -> VideoQCReport:
        """Evaluate the series into findings (the analyser can keep receiving frames)."""
        config = self.config
        fps = self.fps
        checks = self._checks
        series: dict[str, NDArray[Any]] = {
            name: np.asarray(values, dtype=np.float64) for name, values in self._values.items()
        }
        findings: list[Finding] = []
        skipped: dict[str, str] = {}
        if "black" in checks and "black.ratio" in series:
            findings += detect_black(series["black.ratio"], fps, config.black)
        if self._freeze is not None and "freeze.frozen" in series:
            findings += detect_freeze(series["freeze.frozen"] > 0.5, fps, config.freeze)
        if self._flash is not None and self._flash.frames:
            flash = self._flash.series()
            # The general flash's mean is named for what it is (the report plots it).
            for check, channel, mean in (
                ("flash", flash.luminance, "luminance_mean"),
                ("red_flash", flash.red, "mean"),
            ):
                series[f"{check}.{mean}"] = channel.mean
                series[f"{check}.area"] = channel.area
                series[f"{check}.transitions"] = channel.transitions
                series[f"{check}.frequency"] = channel.flash_frequency
                series[f"{check}.result"] = channel.result
            findings += [
                finding
                for finding in flash_findings(flash, fps, config.flash)
                if finding.check in checks
            ]
        if self._flicker is not None and "flicker.global" in series:
            findings += detect_flicker(
                series["flicker.global"], series["flicker.local"], fps, config.flicker
            )
        if "legal_range" in checks:
            if self._ycbcr_frames == 0:
                skipped["legal_range"] = "no Y′C′bC′r planes were given with the frames"
            else:
                findings += detect_legal_range(
                    series["legal_range.y_out"],
                    series["legal_range.chroma_out"],
                    series["legal_range.rgb_out"],
                    series["legal_range.reserved"],
                    config.legal_range,
                )
        if "banding" in checks and "banding.score" in series:
            findings += detect_banding(series["banding.score"], fps, config.banding)
        if "letterbox" in checks and "letterbox.top" in series and self._shape is not None:
            bars = np.stack(
                [series[f"letterbox.{side}"] for side in ("top", "bottom", "left", "right")],
                axis=1,
            )
            findings += detect_letterbox(
                bars, self._shape[1], self._shape[0], fps, config.letterbox
            )
        findings.sort(key=lambda finding: (finding.start_frame, finding.end_frame, finding.check))
        height, width = self._shape or (0, 0)
        return VideoQCReport(self._frames, fps, width, height, findings, series, skipped)


def analyse_frames(
    frames: Iterable[NDArray[np.float32] | NDArray[np.uint8]],
    fps: float,
    config: VideoQCConfig | None = None,
) -> VideoQCReport:
    """Run :class:`VideoQC` over an iterable of frames (no ``Y′C′bC′r`` planes)."""
    qc = VideoQC(fps, config)
    for frame in frames:
        qc.push(frame)
    return qc.finish()
