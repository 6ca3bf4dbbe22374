"""Deblocking post-filter with the H.264/AVC in-loop filter's edge decisions.

Reference
    P. List, A. Joch, J. Lainema, G. Bjøntegaard and M. Karczewicz, "Adaptive
    deblocking filter", *IEEE Trans. Circuits and Systems for Video Technology* 13(7),
    2003, pp. 614-619 — §III (filter decisions, Eq. 1-3 with alpha(indexA) and
    beta(indexB)), §IV (normal filter, clipped delta; strong filter for bS = 4).
    Tables alpha', beta' and tC0 are ITU-T H.264 (08/2021) Tables 8-16 and 8-17.

The decoded picture is filtered across every block boundary of the grid (vertical
edges first, then horizontal, as the standard orders them). A boundary sample pair
``p0 | q0`` is filtered only where the step is small compared with the local texture:
``|p0 - q0| < alpha``, ``|p1 - p0| < beta`` and ``|q1 - q0| < beta`` — a real edge is left
alone, a coding step in a smooth area is smoothed. Where the step is also smaller than
``alpha / 4 + 2`` and the side is flat (``|p2 - p0| < beta``), the strong (bS = 4) filter
rewrites three samples per side; otherwise the normal filter moves ``p0``/``q0`` (and
``p1``/``q1`` on flat sides) by a delta clipped to ``tC``.

As a post-filter on R'G'B' float frames (no quantiser is known): thresholds are the
tables' 8-bit values divided by 255, ``qp`` picks them from the tables (stronger for higher QP),
decisions are taken on BT.709 luma and applied to the three channels alike (no hue
shift), and arithmetic is exact float rather than the standard's integer rounding.
Why by hand: no Python library ships a deblocking post-filter.
"""

from __future__ import annotations

import numpy as np

from reelgraph.algorithms.restore._checks import as_frame
from reelgraph.errors import AlgorithmError

__all__ = ["deblock_avc2003", "qp_from_blockiness"]

# H.264 Table 8-16: alpha'(indexA) and beta'(indexB) for index 16..51 (0 below 16).
_ALPHA = np.zeros(52)
_ALPHA[16:] = [4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28, 32, 36,
               40, 45, 50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182, 203, 226,
               255, 255]  # fmt: skip
_BETA = np.zeros(52)
_BETA[16:] = [2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
              11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18]  # fmt: skip
# H.264 Table 8-17: tC0 for bS = 2 (index 17..51; 0 below).
_TC0_BS2 = np.zeros(52)
_TC0_BS2[17:] = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3,
                 3, 3, 4, 5, 5, 6, 7, 8, 8, 10, 11, 12, 13, 15, 17]  # fmt: skip

_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def qp_from_blockiness(score: float) -> int:
    """Pick the ``qp`` of :func:`deblock_avc2003` from a blockiness score (reelgraph's own fit).

    Fitted on JPEG-coded photographs (quality 10-60, scores 1.3-3.2) as the qp that
    maximised PSNR against the originals: ``qp = 26 + 14 (score - 1)``, clipped to
    [0, 48]; scores below 1.05 (no visible grid) give 0, which filters nothing.

    >>> qp_from_blockiness(1.0), qp_from_blockiness(1.5), qp_from_blockiness(2.25)
    (0, 33, 44)
    """
    if not np.isfinite(score) or score < 1.05:
        return 0
    return int(np.clip(round(26.0 + 14.0 * (score - 1.0)), 0, 48))


def _filter_edges(views: list[np.ndarray], alpha: float, beta: float, tc0: float) -> None:
    """Filter one family of block edges in place.

    ``views`` are eight (H, K, 3) strided views p3 p2 p1 p0 | q0 q1 q2 q3 of the image:
    sample ``i`` of every edge of the family at once. Thresholds are in frame units (the
    standard's 8-bit values / 255), so pixels that are not filtered keep their exact value.
    """
    p3, p2, p1, p0, q0, q1, q2, q3 = (v.copy() for v in views)
    yp2, yp1, yp0, yq0, yq1, yq2 = (v @ _LUMA for v in (p2, p1, p0, q0, q1, q2))
    step = np.abs(yp0 - yq0)
    # Eq. (1)-(3): filter only small steps in locally smooth signal.
    active = (step < alpha) & (np.abs(yp1 - yp0) < beta) & (np.abs(yq1 - yq0) < beta)
    if not active.any():
        return
    flat_p = np.abs(yp2 - yp0) < beta
    flat_q = np.abs(yq2 - yq0) < beta
    strong = active & (step < alpha / 4.0 + 2.0 / 255.0)
    normal = (active & ~strong)[..., None]

    # Normal filter (bS < 4): clipped delta, tC = tC0 + ap + aq.
    tc = (tc0 + (flat_p.astype(np.float32) + flat_q) / 255.0)[..., None].astype(np.float32)
    delta = np.clip(((q0 - p0) * 4.0 + (p1 - q1)) / 8.0, -tc, tc)
    new_p0 = np.where(normal, p0 + delta, p0)
    new_q0 = np.where(normal, q0 - delta, q0)
    dp1 = np.clip((p2 + (p0 + q0) / 2.0 - 2.0 * p1) / 2.0, -tc0, tc0)
    dq1 = np.clip((q2 + (p0 + q0) / 2.0 - 2.0 * q1) / 2.0, -tc0, tc0)
    new_p1 = np.where(normal & flat_p[..., None], p1 + dp1, p1)
    new_q1 = np.where(normal & flat_q[..., None], q1 + dq1, q1)
    new_p2, new_q2 = p2, q2

    # Strong filter (bS = 4): three samples on a flat side, only p0/q0 on a busy side.
    sp = (strong & flat_p)[..., None]
    sq = (strong & flat_q)[..., None]
    wp = (strong & ~flat_p)[..., None]
    wq = (strong & ~flat_q)[..., None]
    if strong.any():
        new_p0 = np.where(sp, (p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1) / 8.0, new_p0)
        new_p0 = np.where(wp, (2 * p1 + p0 + q1) / 4.0, new_p0)
        new_p1 = np.where(sp, (p2 + p1 + p0 + q0) / 4.0, new_p1)
        new_p2 = np.where(sp, (2 * p3 + 3 * p2 + p1 + p0 + q0) / 8.0, p2)
        new_q0 = np.where(sq, (p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2) / 8.0, new_q0)
        new_q0 = np.where(wq, (2 * q1 + q0 + p1) / 4.0, new_q0)
        new_q1 = np.where(sq, (p0 + q0 + q1 + q2) / 4.0, new_q1)
        new_q2 = np.where(sq, (2 * q3 + 3 * q2 + q1 + q0 + p0) / 8.0, q2)
    for view, value in zip(
        views[1:7], (new_p2, new_p1, new_p0, new_q0, new_q1, new_q2), strict=True
    ):
        view[...] = value


def _deblock_columns(image: np.ndarray, period: int, offset: int, qp: int) -> None:
    """Filter the vertical block edges of ``image`` (may be a view) in place."""
    width = image.shape[1]
    first = offset if offset >= 4 else offset + period
    count = len(range(first, width - 3, period))
    if count == 0:
        return
    # Sample j of every edge: the columns first + j, first + j + period, ... (views).
    views = [
        image[:, first + j : first + j + period * (count - 1) + 1 : period] for j in range(-4, 4)
    ]
    _filter_edges(views, _ALPHA[qp] / 255.0, _BETA[qp] / 255.0, _TC0_BS2[qp] / 255.0)


def deblock_avc2003(
    frame: np.ndarray,
    *,
    qp: int = 32,
    block_size: int = 8,
    offset: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Smooth coding-block edges of a decoded frame, leaving real edges and texture.

    ============  ============================================================
    input         ``frame``: float32 ``(H, W, 3)``, R'G'B' in [0, 1]; any size
    ``qp``        H.264 quantiser index 0-51 that selects alpha/beta/tC
                  (higher = stronger); ~0 does nothing, 28-40 suits web video
    block_size    grid period in pixels (8 for JPEG/MPEG-2/H.264 transform
                  blocks, 16 for macroblocks only)
    ``offset``    (x, y) of the first pixel after a grid boundary, from
                  :func:`~reelgraph.algorithms.restore.blockiness_wu1997`
    output        float32 ``(H, W, 3)``, same range; only the 3 pixels each
                  side of a grid line can change
    ============  ============================================================

    >>> x = np.linspace(0.2, 0.6, 32, dtype=np.float32)
    >>> ramp = np.repeat(np.tile(x, (16, 1))[..., None], 3, axis=2)
    >>> blocky = ramp.copy()
    >>> for bx in range(0, 32, 8):
    ...     blocky[:, bx:bx+8] = blocky[:, bx:bx+8].mean()
    >>> out = deblock_avc2003(blocky, qp=36)
    >>> bool(np.abs(out - ramp).mean() < np.abs(blocky - ramp).mean())
    True
    """
    if not 0 <= int(qp) <= 51:
        raise AlgorithmError(f"qp must be in 0..51, got {qp!r}")
    if int(block_size) < 8:
        raise AlgorithmError(
            f"block_size must be >= 8, got {block_size!r}",
            hint="4x4 transform edges are handled by the codec's own loop filter",
        )
    period = int(block_size)
    off_x, off_y = (int(v) % period for v in offset)
    image = as_frame(frame).copy()
    # Vertical edges (filtering across columns), then horizontal edges on the result,
    # as the standard orders them.
    _deblock_columns(image, period, off_x, int(qp))
    _deblock_columns(image.transpose(1, 0, 2), period, off_y, int(qp))  # rows, in place
    return image
