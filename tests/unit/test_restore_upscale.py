"""Upscaling: Lanczos baseline, DCCI, back-projection, the dispatcher and ONNX models."""

from __future__ import annotations

import cv2
import numpy as np
import onnx
import pytest
import skimage.data
from onnx import TensorProto, helper, numpy_helper
from skimage.metrics import peak_signal_noise_ratio

from reelgraph.algorithms.restore.backprojection_irani1991 import (
    back_project_irani1991,
    back_project_multiframe_irani1991,
)
from reelgraph.algorithms.restore.upscale import UPSCALE_METHODS, upscale
from reelgraph.algorithms.restore.upscale_dcci_zhou2012 import upscale_dcci_zhou2012
from reelgraph.algorithms.restore.upscale_lanczos_duchon1979 import upscale_lanczos_duchon1979
from reelgraph.algorithms.restore.upscale_onnx import upscale_onnx
from reelgraph.errors import AlgorithmError, MediaError
from reelgraph.media.models import load_onnx_upscaler


def photo(name: str) -> np.ndarray:
    return getattr(skimage.data, name)()[..., :3].astype(np.float32) / 255.0


def psnr(reference: np.ndarray, test: np.ndarray, border: int = 8) -> float:
    b = border
    return float(peak_signal_noise_ratio(reference[b:-b, b:-b], test[b:-b, b:-b], data_range=1.0))


def area_half(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def bilinear(frame: np.ndarray, factor: int) -> np.ndarray:
    h, w = frame.shape[:2]
    return cv2.resize(frame, (w * factor, h * factor), interpolation=cv2.INTER_LINEAR)


def band_limited(height: int, width: int, scale: float = 1.0) -> np.ndarray:
    """Sum of oblique sinusoids below ``0.25 / scale`` cycles per pixel."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / np.float32(scale)
    luma = (
        0.5
        + 0.2 * np.sin(2 * np.pi * (0.11 * x + 0.05 * y))
        + 0.15 * np.cos(2 * np.pi * (0.03 * x - 0.13 * y))
    )
    return np.repeat(luma[..., None], 3, axis=2).astype(np.float32)


# --- quality -----------------------------------------------------------------------


def test_dcci_reproduces_a_band_limited_image_better_than_bilinear():
    truth = band_limited(128, 160)
    small = area_half(truth)
    assert psnr(truth, upscale_dcci_zhou2012(small)) > psnr(truth, bilinear(small, 2)) + 3.0


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
def test_dcci_with_back_projection_beats_lanczos_on_photographs(name):
    truth = photo(name)
    small = area_half(truth)
    ours = upscale(small, factor=2, method="dcci")
    lanczos = upscale(small, factor=2, method="lanczos")
    assert psnr(truth, ours) > psnr(truth, lanczos) + 0.5
    assert psnr(truth, upscale_dcci_zhou2012(small)) > psnr(truth, bilinear(small, 2)) + 1.0


def test_dcci_luma_only_matches_full_colour_closely():
    small = area_half(photo("coffee"))
    full = upscale_dcci_zhou2012(small)
    luma_only = upscale_dcci_zhou2012(small, luma_only=True)
    assert psnr(full, luma_only) > 40.0


def test_multiframe_back_projection_adds_detail_from_subpixel_motion():
    scene = photo("astronaut")
    crops = [scene[40:296, 40 + t : 296 + t] for t in range(5)]  # 1-pixel pan at full res
    lows = [area_half(c) for c in crops]  # half-pixel steps at the source resolution
    start = upscale_dcci_zhou2012(lows[2])
    single = back_project_irani1991(start, lows[2], iterations=3)
    multi = back_project_multiframe_irani1991(start, lows, 2, iterations=3)
    assert psnr(crops[2], multi) > psnr(crops[2], single) + 0.5


def test_upscale_x4_is_centre_aligned_like_cv2_resize():
    truth = band_limited(128, 192, scale=3.0)
    small = cv2.resize(truth, (48, 32), interpolation=cv2.INTER_AREA)
    out = upscale_dcci_zhou2012(small, factor=4)
    assert out.shape == (128, 192, 3)
    assert psnr(truth, out) > 30.0
    # A misalignment of even one output pixel would cost several dB.
    assert psnr(truth, out) > psnr(truth, np.roll(out, 1, axis=1)) + 3.0


# --- shapes and bad input ----------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 5, 3), (17, 9, 3), (33, 65, 3)])
@pytest.mark.parametrize("method", ["lanczos", "dcci"])
def test_upscale_any_size(rng, shape, method):
    frame = rng.random(shape).astype(np.float32)
    out = upscale(frame, factor=2, method=method)
    assert out.shape == (2 * shape[0], 2 * shape[1], 3)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_upscale_dispatcher_errors(rng):
    frame = rng.random((8, 8, 3)).astype(np.float32)
    assert set(UPSCALE_METHODS) == {"lanczos", "dcci", "onnx"}
    with pytest.raises(AlgorithmError, match="unknown upscale method"):
        upscale(frame, method="nearest")
    with pytest.raises(AlgorithmError, match="unknown option"):
        upscale(frame, method="dcci", options={"iterations": 3})
    with pytest.raises(AlgorithmError, match="factor"):
        upscale(frame, factor=3, method="dcci")
    with pytest.raises(AlgorithmError, match="needs"):
        upscale(frame, method="onnx")
    nan = frame.copy()
    nan[1, 1, 1] = np.nan
    with pytest.raises(AlgorithmError, match="NaN"):
        upscale(nan)
    with pytest.raises(AlgorithmError, match="alpha"):
        upscale_lanczos_duchon1979(np.zeros((4, 4, 4), np.float32))


# --- ONNX models -------------------------------------------------------------------


def _model(nodes, inputs, outputs, initializers) -> bytes:
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model.SerializeToString()


def conv_resize_model(rng: np.random.Generator) -> bytes:
    """A fixed 3x3 convolution then nearest-neighbour x2: a tiny stand-in for an SR net."""
    image_in = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, None, None])
    image_out = helper.make_tensor_value_info("upscaled", TensorProto.FLOAT, [1, 3, None, None])
    weights = numpy_helper.from_array((rng.random((3, 3, 3, 3)) / 27).astype(np.float32), "w")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [
        helper.make_node("Conv", ["image", "w"], ["features"], pads=[1, 1, 1, 1]),
        helper.make_node("Resize", ["features", "", "scales"], ["upscaled"], mode="nearest"),
    ]
    return _model(nodes, [image_in], [image_out], [weights, scales])


def test_onnx_tiled_equals_untiled(rng):
    model = load_onnx_upscaler(conv_resize_model(rng))
    assert model.scale == 2 and model.provider == "CPUExecutionProvider"
    frame = rng.random((90, 130, 3)).astype(np.float32)
    untiled = model.session.run(None, {"image": frame.transpose(2, 0, 1)[None]})[0]
    untiled = untiled[0].transpose(1, 2, 0)
    tiled = upscale_onnx(frame, model, tile=48, overlap=16)
    assert tiled.shape == (180, 260, 3)
    np.testing.assert_allclose(tiled, untiled, atol=1e-5)
    via_dispatcher = upscale(
        frame, method="onnx", options={"model": model, "tile": 64, "overlap": 8}
    )
    np.testing.assert_allclose(via_dispatcher, untiled, atol=1e-5)


def test_onnx_frame_smaller_than_a_tile_and_scale_mismatch(rng):
    model = load_onnx_upscaler(conv_resize_model(rng))
    assert upscale_onnx(rng.random((5, 7, 3)).astype(np.float32), model).shape == (10, 14, 3)
    with pytest.raises(AlgorithmError, match="x2"):
        upscale(rng.random((8, 8, 3)).astype(np.float32), factor=4, method="onnx",
                options={"model": model})  # fmt: skip


def test_onnx_missing_and_malformed_models(tmp_path, rng):
    with pytest.raises(MediaError, match="not found") as caught:
        load_onnx_upscaler(tmp_path / "missing.onnx")
    assert "brief.yaml" in caught.value.hint
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"this is not a protobuf")
    with pytest.raises(MediaError, match="not a loadable ONNX model") as caught:
        load_onnx_upscaler(garbage)
    assert "export" in caught.value.hint
    with pytest.raises(MediaError, match="device"):
        load_onnx_upscaler(conv_resize_model(rng), device="tpu")


def test_onnx_wrong_layout_is_rejected():
    grey_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, None, None])
    grey_out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, None, None])
    identity = _model([helper.make_node("Identity", ["x"], ["y"])], [grey_in], [grey_out], [])
    with pytest.raises(MediaError, match="3 channels") as caught:
        load_onnx_upscaler(identity)
    assert "RGB" in caught.value.hint
    rgb_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])
    rgb_out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, None, None])
    pool = _model(
        [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
        [rgb_in], [rgb_out], [],
    )  # fmt: skip
    with pytest.raises(MediaError, match="integer"):
        load_onnx_upscaler(pool)
