"""The shot-boundary family's contract: a streaming detector and what it reports.

A detector takes frames in order (:meth:`ShotDetector.push`) and, at
:meth:`ShotDetector.finish`, returns :class:`ShotBoundaries`: the hard cuts, every
transition with its extent and confidence, and the shots they delimit. Frame numbers are
0-based indices into the frames pushed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

TransitionKind = Literal["cut", "dissolve", "fade_in", "fade_out", "wipe", "gradual"]
#: ``gradual``: a transition whose kind the detector cannot tell (the learned detector).
TRANSITION_KINDS: tuple[str, ...] = ("cut", "dissolve", "fade_in", "fade_out", "wipe", "gradual")


@dataclass(frozen=True)
class Transition:
    """One transition: a hard cut (``start_frame == end_frame`` = first frame of the new
    shot) or a gradual one spanning the frames that are neither shot alone."""

    kind: TransitionKind
    start_frame: int
    end_frame: int
    confidence: float
    """0–1; 0.5 at the detector's threshold."""

    def to_dict(self) -> dict[str, Any]:
        """The transition's entry in a Shots document: its fields, in the order above."""
        return asdict(self)


@dataclass(frozen=True)
class ShotBoundaries:
    """Everything a detector found in a clip of ``frames`` frames."""

    frames: int
    detector: str
    transitions: list[Transition]

    @property
    def cuts(self) -> list[int]:
        """First frame of each new shot after a hard cut."""
        return [t.start_frame for t in self.transitions if t.kind == "cut"]

    def shot_ranges(self) -> list[tuple[int, int]]:
        """Inclusive ``(first, last)`` frames of each shot.

        Shots change at hard cuts and at the middle of a dissolve, wipe or unnamed gradual
        transition (an editor's cut point); a fade-out followed by a fade-in changes shot in
        the middle of the gap between them. A lone fade stays inside its shot.
        """
        starts: list[int] = []
        pending_fade_out: int | None = None
        for t in sorted(self.transitions, key=lambda t: t.start_frame):
            if t.kind == "cut":
                starts.append(t.start_frame)
                pending_fade_out = None
            elif t.kind in ("dissolve", "wipe", "gradual"):
                starts.append((t.start_frame + t.end_frame + 1) // 2)
                pending_fade_out = None
            elif t.kind == "fade_out":
                pending_fade_out = t.end_frame
            elif t.kind == "fade_in" and pending_fade_out is not None:
                starts.append((pending_fade_out + 1 + t.start_frame) // 2)
                pending_fade_out = None
        bounds = [0, *sorted(s for s in set(starts) if 0 < s < self.frames), self.frames]
        return [(bounds[k], bounds[k + 1] - 1) for k in range(len(bounds) - 1) if self.frames]

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "detector": self.detector,
            "cuts": self.cuts,
            "transitions": [t.to_dict() for t in self.transitions],
            "shots": [list(r) for r in self.shot_ranges()],
        }


class ShotDetector(ABC):
    """Streaming shot-boundary detector: ``push`` frames in order, then ``finish``."""

    name: str

    @abstractmethod
    def push(self, frame: NDArray[np.uint8]) -> None:
        """Analyse the next frame (8-bit ``R′G′B′``, any size)."""

    @abstractmethod
    def finish(self) -> ShotBoundaries:
        """Decide on everything pushed and return the boundaries."""
