"""reelgraph's default plate-restoration chain, as a bounded-memory frame stream.

Order and why:

1. **deblock** (:mod:`.deblock_avc2003`) each frame once, before anything looks at
   neighbours — block edges would otherwise be matched by the flow and the patches;
2. **denoise** (:mod:`.mctf_buades2016`, temporal window of ``2 radius + 1``);
3. **upscale** after denoising: DCCI (:mod:`.upscale_dcci_zhou2012`) of the denoised
   frame, then multi-frame back-projection (:mod:`.backprojection_irani1991`) against
   the deblocked window — super-resolution from the sub-pixel motion, sharing the
   denoiser's optical flows (:mod:`.flow_dis_kroeger2016`);
4. **deband** (:mod:`.deband_f3kdb`, optional) on the output raster;
5. **grain** (:mod:`.film_grain_av1`, optional) last, synthesised at output resolution.

The grain model must be estimated on the source *before* this chain (it needs the
source and its denoised version: :func:`.estimate_film_grain_av1`).

Memory holds ``2 radius + 1`` deblocked frames (more only when ``context_after`` exceeds
``radius``). Each output depends only on its
window, so a long shot can be cut into chunks given ``radius`` frames of context on
each side (``context_before`` / ``context_after`` frames are read but not emitted), and
the chunks reproduce a whole run exactly.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from reelgraph.algorithms.restore._checks import as_frame
from reelgraph.algorithms.restore.backprojection_irani1991 import (
    BACK_PROJECTION_ITERATIONS,
    back_project_multiframe_irani1991,
)
from reelgraph.algorithms.restore.deband_f3kdb import deband_f3kdb
from reelgraph.algorithms.restore.deblock_avc2003 import deblock_avc2003
from reelgraph.algorithms.restore.denoise import (
    DEFAULT_DENOISE_METHOD,
    DENOISE_TEMPORAL_RADIUS,
    denoise,
)
from reelgraph.algorithms.restore.film_grain_av1 import FilmGrainModel, apply_film_grain_av1
from reelgraph.algorithms.restore.flow_dis_kroeger2016 import (
    DEFAULT_FLOW_PRESET,
    FLOW_PRESETS,
    FlowCache,
)
from reelgraph.algorithms.restore.mctf_buades2016 import MCTF_DEFAULT_RADIUS
from reelgraph.algorithms.restore.upscale import DEFAULT_UPSCALE_METHOD, UPSCALE_METHODS, upscale
from reelgraph.algorithms.restore.upscale_dcci_zhou2012 import upscale_dcci_zhou2012
from reelgraph.algorithms.restore.upscale_onnx import OnnxUpscaler, upscale_onnx
from reelgraph.errors import AlgorithmError

__all__ = ["RestoreParams", "model_passes", "restore_stream"]

#: Denoising sigma (frame units) from which the flows get DIS's variational refinement.
#: Below, the temporal average barely depends on it: measured at 1080p with 5-frame MCTF,
#: without refinement −0.001 dB at σ 0.5/255 and −0.016 dB at σ 1.2/255, but −0.11 dB at
#: σ 5.3/255; it costs 40 % of each search. Super-resolution always refines.
FLOW_REFINE_FROM_SIGMA = 2.0 / 255.0


@dataclass(frozen=True)
class RestoreParams:
    """Parameters of the default chain; every default of the chain lives here."""

    deblock_qp: int = 0
    """H.264 qp of the deblocking thresholds; 0 = skip deblocking."""
    block_size: int = 8
    """Block grid period for deblocking."""
    block_offset: tuple[int, int] = (0, 0)
    """(x, y) phase of the block grid."""
    denoise_method: str = DEFAULT_DENOISE_METHOD
    """``"mctf"`` (temporal) or ``"nlmeans"`` (spatial)."""
    sigma: float = 0.0
    """Noise sigma (frame units) given to the denoiser; 0 = skip denoising (except for
    ``learned``, which estimates what to remove itself)."""
    denoise_model: OnnxUpscaler | None = None
    """The ×1 model of ``denoise_method="learned"``."""
    radius: int = MCTF_DEFAULT_RADIUS
    """Temporal neighbours on each side (mctf and multi-frame back-projection)."""
    upscale_factor: int = 1
    """1 (none), 2 or 4."""
    upscale_method: str = DEFAULT_UPSCALE_METHOD
    """``"dcci"`` (with back-projection), ``"lanczos"``, or ``"onnx"`` (``model``)."""
    model: OnnxUpscaler | None = None
    """The loaded ONNX model when ``upscale_method`` is ``"onnx"``: ×``upscale_factor``,
    or ×2 for ``upscale_factor`` 4 (run twice), or ×1 at ``upscale_factor`` 1 (restores
    at the picture's size)."""
    back_projection: int = BACK_PROJECTION_ITERATIONS
    """Back-projection iterations after DCCI; multi-frame over the temporal window when
    ``radius`` > 0 (super-resolution), single-frame otherwise; 0 = DCCI alone."""
    flow_preset: str = DEFAULT_FLOW_PRESET
    """DIS preset of the flows shared by the denoiser and the back-projection."""
    deband: bool = False
    """Run f3kdb debanding on the output."""
    deband_radius: int = 16
    """f3kdb reference distance at output resolution."""
    grain: FilmGrainModel | None = None
    """Grain to re-apply (estimated on the source), or None."""
    grain_seed: int = 0
    """Base seed of the grain; the frame index is the other half of the seed."""


def _validate(params: RestoreParams) -> RestoreParams:
    if params.denoise_method not in DENOISE_TEMPORAL_RADIUS:
        raise AlgorithmError(
            f"unknown denoise method {params.denoise_method!r}",
            hint=f"valid methods: {', '.join(sorted(DENOISE_TEMPORAL_RADIUS))}",
        )
    if params.upscale_factor not in (1, 2, 4):
        raise AlgorithmError(f"upscale_factor must be 1, 2 or 4, got {params.upscale_factor!r}")
    if params.upscale_method not in UPSCALE_METHODS:
        raise AlgorithmError(
            f"upscale method {params.upscale_method!r} is not available in the chain",
            hint=f"use one of: {', '.join(sorted(UPSCALE_METHODS))}",
        )
    if params.upscale_method == "onnx":
        if params.model is None:
            raise AlgorithmError(
                "upscale method 'onnx' needs a model",
                hint="load it with reelgraph.media.models.load_onnx_upscaler(path) and "
                "pass it as model=",
            )
        model_passes(params.model.scale, params.upscale_factor)
    if params.flow_preset not in FLOW_PRESETS:
        raise AlgorithmError(f"unknown flow preset {params.flow_preset!r}")
    if params.radius < 0:
        raise AlgorithmError(f"radius must be >= 0, got {params.radius!r}")
    if DENOISE_TEMPORAL_RADIUS[params.denoise_method] == 0 and params.radius:
        params = replace(params, radius=0)
    return params


def model_passes(scale: int, factor: int) -> int:
    """How many times a ×``scale`` model runs for a ×``factor`` upscale: once when they
    are equal (×1 models restore at the picture's size), twice for ×4 with a ×2 model.

    >>> model_passes(2, 2), model_passes(2, 4), model_passes(1, 1)
    (1, 2, 1)
    """
    passes = 1
    while scale > 1 and scale**passes < factor:
        passes += 1
    if scale**passes != factor:
        raise AlgorithmError(
            f"a x{scale} model cannot upscale x{factor}",
            hint=f"ask for a power of {scale}, or use a x{factor} model"
            if scale > 1
            else "a x1 model restores without upscaling: set upscale to 1",
        )
    return passes


def restore_stream(
    frames: Iterable[np.ndarray],
    params: RestoreParams,
    *,
    first_index: int = 0,
    context_before: int = 0,
    context_after: int = 0,
    timings: dict[str, float] | None = None,
) -> Iterator[np.ndarray]:
    """Restore a stream of frames with the default chain, in order, window by window.

    ==================  =================================================
    ``frames``          iterable of float32 ``(H, W, 3)`` R'G'B' [0, 1]
    ``params``          :class:`RestoreParams`
    ``first_index``     clip frame number of the first frame read (grain
                        seeding), context frames included
    ``context_before``  leading frames read only as temporal context
    ``context_after``   trailing frames read only as context
    ``timings``         optional dict; wall seconds per step are added to
                        it (``deblock``, ``flow``, ``denoise``, ``upscale``,
                        ``deband``, ``grain``)
    output              iterator of restored frames (float32, upscaled
                        by ``params.upscale_factor``), one per emitted frame
    ==================  =================================================

    >>> frames = [np.full((16, 16, 3), 0.5, np.float32) for _ in range(3)]
    >>> out = list(restore_stream(frames, RestoreParams(sigma=0.01, upscale_factor=2)))
    >>> len(out), out[0].shape
    (3, (32, 32, 3))
    """
    params = _validate(params)
    if context_before < 0 or context_after < 0:
        raise AlgorithmError("context_before and context_after must be >= 0")
    radius = params.radius
    lookahead = max(radius, context_after)
    multiframe = params.upscale_factor > 1 and params.upscale_method == "dcci"
    flow_cache = FlowCache(
        params.flow_preset,
        concatenate=not multiframe,
        refine=multiframe or params.sigma >= FLOW_REFINE_FROM_SIGMA,
    )
    clock = _StepClock(timings)
    buffer: deque[np.ndarray] = deque()
    buffer_start = 0  # stream position of buffer[0]
    emitted = 0  # stream position of the next frame to restore

    def restore(position: int) -> np.ndarray:
        window = list(buffer)
        centre = position - buffer_start
        lo = max(0, centre - radius)
        window = window[lo : centre + radius + 1]
        centre -= lo
        out = window[centre]
        flows = None
        learned = params.denoise_method == "learned"
        if len(window) > 1 and ((params.sigma > 0 and not learned) or multiframe):
            by_position = {buffer_start + lo + k: frame for k, frame in enumerate(window)}
            with clock("flow"):
                flows = flow_cache.window(by_position, position, both_directions=multiframe)
        if params.sigma > 0 or learned:
            options: dict[str, object] | None = None
            if params.denoise_method == "mctf":
                options = {"flows": flows}
            elif learned:
                options = {"model": params.denoise_model}
            with clock("denoise"):
                out = denoise(
                    window,
                    sigma=params.sigma,
                    method=params.denoise_method,
                    centre=centre,
                    options=options,
                )
        with clock("upscale"):
            if multiframe:
                # Luma-only DCCI: video chroma is subsampled, bicubic chroma measured the same.
                out = upscale_dcci_zhou2012(out, factor=params.upscale_factor, luma_only=True)
                if params.back_projection > 0:
                    out = back_project_multiframe_irani1991(
                        out, window, centre, iterations=params.back_projection, flows=flows
                    )
            elif params.upscale_method == "onnx":
                assert params.model is not None  # checked by _validate
                for _ in range(model_passes(params.model.scale, params.upscale_factor)):
                    out = upscale_onnx(out, params.model)
            elif params.upscale_factor > 1:
                out = upscale(out, factor=params.upscale_factor, method=params.upscale_method)
        if params.deband:
            with clock("deband"):
                out = deband_f3kdb(out, radius=params.deband_radius, seed=params.grain_seed)
        if params.grain is not None:
            with clock("grain"):
                out = apply_film_grain_av1(
                    out,
                    params.grain,
                    frame_index=first_index + position,
                    seed=params.grain_seed,
                    scale=float(params.upscale_factor),
                )
        return out

    def restore_until(stop: int) -> Iterator[np.ndarray]:
        """Restore (emit past the leading context) the frames before stream position
        ``stop``, dropping the frames and flows no window needs any more."""
        nonlocal emitted, buffer_start
        while emitted < stop:
            if emitted >= context_before:
                yield restore(emitted)
            emitted += 1
            while buffer_start < emitted - radius:
                buffer.popleft()
                buffer_start += 1
            flow_cache.evict_before(buffer_start)

    count = 0
    for position, frame in enumerate(frames):
        rgb = as_frame(frame, f"frame {first_index + position}")
        if params.deblock_qp > 0:
            with clock("deblock"):
                rgb = deblock_avc2003(
                    rgb,
                    qp=params.deblock_qp,
                    block_size=params.block_size,
                    offset=params.block_offset,
                )
        buffer.append(rgb)
        count = position + 1
        # Restore every frame whose window is complete and that cannot be trailing
        # context (we do not know the stream's length in advance).
        yield from restore_until(count - lookahead)
    # Clip end: the remaining frames have shortened windows.
    yield from restore_until(count - context_after)


class _StepClock:
    """Adds the wall time of ``with clock(step):`` blocks to a dict (no-op without one)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.step = ""
        self.started = 0.0

    def __call__(self, step: str) -> _StepClock:
        self.step = step
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        if self.timings is not None:
            elapsed = time.perf_counter() - self.started
            self.timings[self.step] = self.timings.get(self.step, 0.0) + elapsed
