"""reelgraph's own restorer network (reelgraph/models/restore_x{1,2}.onnx): shipped,
small, tiled exactly, better than a plain upscale on a photograph it never saw, and the
ONNX file equal to the training framework's network (docs/models/restore.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
from skimage.metrics import peak_signal_noise_ratio

from reelgraph.agents.restore import Restore, chain_params, load_models
from reelgraph.algorithms.restore.chain import restore_stream
from reelgraph.algorithms.restore.upscale_onnx import upscale_onnx
from reelgraph.media.models import load_onnx_upscaler, pick_device, shipped_model

TRAINING = Path(__file__).resolve().parents[2] / "training" / "restore"


def degraded(clean: np.ndarray, factor: int, seed: int = 7) -> np.ndarray:
    """A web-like degradation unlike the training recipe's: area downscale, independent
    Gaussian noise σ 4/255, 8-bit, JPEG quality 45 (4:2:0, 8×8 blocks)."""
    h, w = clean.shape[:2]
    small = cv2.resize(clean, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    noisy = small + np.random.default_rng(seed).normal(0, 4 / 255, small.shape)
    codes = np.clip(np.rint(noisy * 255), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 45])
    assert ok
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255


def photo(name: str = "astronaut", size: tuple[int, int] = (192, 256)) -> np.ndarray:
    picture = getattr(skimage.data, name)()[..., :3].astype(np.float32) / 255
    return np.ascontiguousarray(picture[40 : 40 + size[0], 120 : 120 + size[1]])


def test_shipped_models_are_small_and_load_on_an_explicit_device() -> None:
    for name, scale in (("restore_x2", 2), ("restore_x1", 1)):
        path = shipped_model(name)
        assert path.stat().st_size <= 2 * 1024 * 1024  # package data stays small
        model = load_onnx_upscaler(path)
        assert model.scale == scale and model.provider == "CPUExecutionProvider"
    # GPU providers are preferred when present, TensorRT first; never a silent list.
    assert pick_device(["CPUExecutionProvider"]) == "cpu"
    assert pick_device(["CUDAExecutionProvider", "CPUExecutionProvider"]) == "cuda"
    assert pick_device(["TensorrtExecutionProvider", "CUDAExecutionProvider"]) == "tensorrt"


def test_tiled_equals_untiled_with_the_shipped_model() -> None:
    model = load_onnx_upscaler(shipped_model("restore_x2"))
    frame = photo(size=(150, 221))  # odd width: padded to even, then cropped back
    tiled = upscale_onnx(frame, model, tile=128)  # 48-pixel overlap
    padded = np.pad(frame, ((0, 0), (0, 1), (0, 0)), mode="edge")
    whole = model.session.run(None, {"image": padded.transpose(2, 0, 1)[None]})[0]
    untiled = whole[0].transpose(1, 2, 0)[:, : 2 * 221]
    assert tiled.shape == (300, 442, 3)
    np.testing.assert_allclose(tiled, untiled, atol=1e-4)


def psnr(clean: np.ndarray, picture: np.ndarray, border: int = 8) -> float:
    inner = (slice(border, -border), slice(border, -border))
    return float(peak_signal_noise_ratio(clean[inner], np.clip(picture, 0, 1)[inner]))


def test_learned_upscale_is_no_worse_than_lanczos_on_photographs_it_never_saw() -> None:
    """Measured figures (docs/models/restore.md): on these JPEG-degraded crops the ×2
    network is +0.02 (astronaut) and +0.23 dB (coffee) over Lanczos."""
    gains = []
    for name in ("astronaut", "coffee"):
        clean = photo(name)
        source = degraded(clean, 2)
        lanczos = cv2.resize(source, clean.shape[1::-1], interpolation=cv2.INTER_LANCZOS4)
        node = Restore.make_params({"upscale": 2, "upscaler": "learned"})
        params = chain_params(node, clean.shape[1], models=load_models(node))
        (restored,) = restore_stream([source], params)
        gains.append(psnr(clean, restored) - psnr(clean, lanczos))
    assert min(gains) >= -0.1 and np.mean(gains) >= 0.05


def test_learned_x1_restorer_cleans_without_resizing() -> None:
    clean = photo("chelsea", (128, 160))
    source = degraded(clean, 1)
    node = Restore.make_params({"denoise_method": "learned"})
    (restored,) = restore_stream([source], chain_params(node, 160, models=load_models(node)))
    assert restored.shape == clean.shape
    assert psnr(clean, restored, 4) >= psnr(clean, source, 4) + 0.2


@pytest.mark.train
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="needs the [train] extra (PyTorch) to rebuild the network from its training code",
)
@pytest.mark.parametrize(("name", "scale"), [("restore_x2", 2), ("restore_x1", 1)])
def test_shipped_onnx_equals_the_training_networks_output(name: str, scale: int) -> None:
    import onnx
    import torch
    from onnx import numpy_helper

    sys.path.insert(0, str(TRAINING))
    try:
        from model import Restorer
    finally:
        sys.path.remove(str(TRAINING))
    path = shipped_model(name)
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    network = Restorer(scale=scale)
    network.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    network.eval()
    image = photo(size=(64, 96)).transpose(2, 0, 1)[None]
    with torch.no_grad():
        expected = network(torch.from_numpy(image)).numpy()
    model = load_onnx_upscaler(path)
    got = model.session.run(None, {model.input_name: image})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
