"""Model files: load, validate and measure the learned models reelgraph runs.

Loading a model is I/O and runtime set-up (an onnxruntime session with an explicit
execution provider and the worker's thread budget), kept out of :mod:`reelgraph.algorithms`,
whose functions only run a loaded model on arrays
(:func:`reelgraph.algorithms.restore.upscale_onnx.upscale_onnx`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.algorithms.restore.upscale_onnx import OnnxUpscaler
from reelgraph.errors import MediaError
from reelgraph.orchestrator.threads import worker_threads

__all__ = ["load_onnx_upscaler", "pick_device", "shipped_model"]

#: Execution providers by device name, in the order ``device="auto"`` prefers them.
_PROVIDERS = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
#: The models shipped inside the package (``reelgraph/models/``).
SHIPPED_MODELS = ("restore_x1", "restore_x2")
_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
_PROBE = 32


def _static(dim: Any) -> int | None:
    return dim if isinstance(dim, int) and dim > 0 else None


def shipped_model(name: str) -> Path:
    """Path of a model shipped inside the package, e.g. ``shipped_model("restore_x2")``."""
    from importlib.resources import files

    if name not in SHIPPED_MODELS:
        raise MediaError(f"no shipped model {name!r}", hint=f"one of: {', '.join(SHIPPED_MODELS)}")
    path = Path(str(files("reelgraph.models") / f"{name}.onnx"))
    if not path.is_file():
        raise MediaError(
            f"the shipped model {path.name} is missing from the installation",
            hint="reinstall reelgraph (pip install --force-reinstall reelgraph)",
            path=path,
        )
    return path


def pick_device(available: list[str] | None = None) -> str:
    """The device ``device="auto"`` runs a model on: TensorRT, then CUDA, when this
    machine's onnxruntime has them, else the CPU. Chosen once, explicitly; a session is
    never given a fallback list, so the provider recorded is the one that ran."""
    if available is None:
        import onnxruntime as ort

        available = list(ort.get_available_providers())
    return next((d for d, provider in _PROVIDERS.items() if provider in available), "cpu")


def load_onnx_upscaler(
    model: str | os.PathLike[str] | bytes,
    *,
    device: str = "auto",
    value_scale: float = 1.0,
    threads: int = 0,
) -> OnnxUpscaler:
    """Load an ONNX upscaler, check its contract and measure its scale factor.

    ===============  ===================================================
    ``model``        path of a ``.onnx`` file, or its bytes
    ``device``       ``"auto"`` (:func:`pick_device`), ``"cpu"``, ``"cuda"`` or
                     ``"tensorrt"`` (explicit; no fallback)
    ``value_scale``  the model's input/output range (1.0 or 255.0)
    ``threads``      intra-op threads for the CPU provider, 0 = the worker's
                     thread budget (:func:`reelgraph.orchestrator.threads.worker_threads`)
    output           :class:`OnnxUpscaler`
    ===============  ===================================================

    Raises :class:`~reelgraph.errors.MediaError` (with a hint) for a missing file, bytes
    that are not an ONNX model, a model that does not take/produce 3-channel NCHW float images, a
    non-integer scale, or an unavailable device.
    """
    import onnxruntime as ort  # heavy; imported only when a model is used

    if device == "auto":
        device = pick_device(list(ort.get_available_providers()))
    if device not in _PROVIDERS:
        raise MediaError(
            f"unknown device {device!r}", hint=f"use auto or one of: {', '.join(_PROVIDERS)}"
        )
    provider = _PROVIDERS[device]
    if provider not in ort.get_available_providers():
        raise MediaError(
            f"onnxruntime has no {provider} on this machine",
            hint="install onnxruntime-gpu with a matching CUDA, or run with device='cpu'",
        )
    if not np.isfinite(value_scale) or value_scale <= 0:
        raise MediaError(f"value_scale must be > 0, got {value_scale!r}")
    source: str | bytes
    if isinstance(model, bytes):
        source = model
    else:
        path = Path(model)
        if not path.is_file():
            raise MediaError(
                f"ONNX model not found: {path}",
                hint="check the model path in brief.yaml (relative to the project folder)",
                path=path,
            )
        source = str(path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = int(threads) or worker_threads()
    try:
        session = ort.InferenceSession(source, sess_options=options, providers=[provider])
    except Exception as exc:  # onnxruntime raises several private exception types
        raise MediaError(
            f"not a loadable ONNX model: {exc}".splitlines()[0],
            hint="export the model again (torch.onnx.export, opset >= 13) and check it "
            "with onnx.checker.check_model",
        ) from exc

    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1 or len(outputs) < 1:
        raise MediaError(
            f"the model has {len(inputs)} inputs and {len(outputs)} outputs; "
            "an upscaler takes one image and returns one",
            hint="export a single-input, single-output graph",
        )
    image_in, image_out = inputs[0], outputs[0]
    for role, arg in (("input", image_in), ("output", image_out)):
        shape = list(arg.shape)
        if len(shape) != 4 or (_static(shape[1]) not in (None, 3)):
            raise MediaError(
                f"model {role} {arg.name!r} has shape {shape}; expected NCHW with 3 channels",
                hint="export the model for RGB images in N, C=3, H, W layout",
            )
        if arg.type not in _FLOAT_TYPES:
            raise MediaError(
                f"model {role} {arg.name!r} is {arg.type}; expected a float tensor",
                hint="export the model with float32 (or float16) input and output",
            )
    in_shape = list(image_in.shape)
    fixed_h, fixed_w = _static(in_shape[2]), _static(in_shape[3])
    fixed = (fixed_h, fixed_w) if fixed_h and fixed_w else None
    probe_h, probe_w = fixed or (_PROBE, _PROBE)
    dtype = _FLOAT_TYPES[image_in.type]
    probe = np.zeros((1, 3, probe_h, probe_w), dtype=dtype)
    try:
        result = session.run([image_out.name], {image_in.name: probe})[0]
    except Exception as exc:
        raise MediaError(
            f"the model failed on a {probe_h}x{probe_w} probe: {exc}".splitlines()[0],
            hint="the model must accept 3-channel NCHW float images of any size",
        ) from exc
    out_h, out_w = result.shape[2], result.shape[3]
    scale = out_h // probe_h
    if (
        result.ndim != 4
        or result.shape[1] != 3
        or scale < 1
        or scale > 8
        or out_h != scale * probe_h
        or out_w != scale * probe_w
    ):
        raise MediaError(
            f"model output {result.shape} for input {probe.shape} is not an integer "
            "1-8x upscale of a 3-channel image",
            hint="reelgraph runs image-to-image models with an integer scale factor",
        )
    return OnnxUpscaler(
        session=session,
        input_name=image_in.name,
        output_name=image_out.name,
        scale=int(scale),
        fixed_size=fixed,
        dtype=dtype,
        provider=provider,
        value_scale=float(value_scale),
    )
