"""SDR to HDR with the inverse of Report ITU-R BT.2446 Method C's tone curve.

Reference
    Report ITU-R BT.2446-1 (03/2021), §5 "Method C": HDR (HLG at 1000 cd/m²) to SDR
    tone curve on display luminance, linear below the inflection point and logarithmic
    above (§5.3):

    ``Y_SDR = k1 Y_HDR`` for ``Y_HDR < Y_ip``, else ``k2 ln(Y_HDR / Y_ip - k3) + k4``,

    with ``k1 = 0.83802, k2 = 15.09968, k3 = 0.74204, k4 = 78.99439`` and
    ``Y_ip = 58.5 / k1``; the Report states the curve is invertible and uses the inverse
    for SDR to HDR up-conversion:

    ``Y_HDR = Y_SDR / k1`` below ``k1 Y_ip`` (= 58.5 cd/m²), else
    ``Y_ip (exp((Y_SDR - k4) / k2) + k3)``.

    Design points: HDR reference white 203 cd/m² <-> SDR 90.66 cd/m² (96 % signal),
    1000 cd/m² <-> 118.39 cd/m² (an SDR signal of about 107 %, narrow-range super-white).

Here: SDR decoded with BT.1886 (100 cd/m² white, zero black), luminance mapped on BT.709
display ``Y`` with the RGB ratio preserved (Method C's cross-talk parameter alpha = 0),
primaries converted BT.709 -> BT.2020, and PQ or HLG encoded as in
:mod:`~reelgraph.algorithms.restore.itm_bt2408`. With a [0, 1] SDR signal the output
peaks at 332 cd/m²; SDR super-whites up to 107 % reach 1000 cd/m².
"""

from __future__ import annotations

import numpy as np

from reelgraph.algorithms.colour.standards import HDR_NOMINAL_PEAK, LUMA_BT709
from reelgraph.algorithms.restore._checks import as_frame, check_positive
from reelgraph.algorithms.restore.itm_bt2408 import bt709_to_bt2020_matrix
from reelgraph.algorithms.restore.transfer_bt2100 import hdr_signal
from reelgraph.errors import AlgorithmError

__all__ = [
    "K1",
    "K2",
    "K3",
    "K4",
    "Y_IP",
    "hdr_to_sdr_bt2446c",
    "itm_bt2446c",
    "sdr_to_hdr_bt2446c",
]

#: Report ITU-R BT.2446-1 Method C constants (§5.3).
K1, K2, K3, K4 = 0.83802, 15.09968, 0.74204, 78.99439
#: Inflection point of the HDR luminance, cd/m²: 58.5 / k1.
Y_IP = 58.5 / K1
_LUMA_709 = LUMA_BT709


def hdr_to_sdr_bt2446c(y_hdr: np.ndarray) -> np.ndarray:
    """Method C tone curve: HDR display luminance (cd/m²) -> SDR display luminance.

    >>> hdr_to_sdr_bt2446c(np.array([203.0, 1000.0])).round(2).tolist()
    [90.66, 118.39]
    """
    y = np.asarray(y_hdr, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_part = K2 * np.log(np.maximum(y / Y_IP - K3, 1e-12)) + K4
    return np.where(y < Y_IP, K1 * y, log_part)


def sdr_to_hdr_bt2446c(y_sdr: np.ndarray) -> np.ndarray:
    """Inverse Method C curve: SDR display luminance (cd/m²) -> HDR display luminance.

    >>> sdr_to_hdr_bt2446c(np.array([90.66439141966255, 118.38682029541474])).round(3).tolist()
    [203.0, 1000.0]
    """
    y = np.asarray(y_sdr, dtype=np.float64)
    with np.errstate(over="ignore"):
        exp_part = Y_IP * (np.exp((y - K4) / K2) + K3)
    return np.where(y < K1 * Y_IP, y / K1, exp_part)


def itm_bt2446c(
    frame: np.ndarray, *, transfer: str = "pq", hlg_nominal_peak: float = HDR_NOMINAL_PEAK
) -> np.ndarray:
    """Map an SDR BT.709 frame to HDR BT.2020 PQ/HLG with the inverse Method C curve.

    ====================  ==================================================
    input                 ``frame``: float32 ``(H, W, 3)``, SDR R'G'B' BT.709
                          (BT.1886, 100 cd/m²), [0, 1.09]
    ``transfer``          ``"pq"`` or ``"hlg"``
    ``hlg_nominal_peak``  HLG display nominal peak for the OOTF (1000)
    output                float32 ``(H, W, 3)`` R'G'B' BT.2020, encoded, [0, 1]
    ====================  ==================================================

    >>> grey96 = np.full((1, 1, 3), 0.96, np.float32)  # Method C's SDR reference white
    >>> round(float(itm_bt2446c(grey96, transfer="pq")[0, 0, 0]), 3)
    0.581
    """
    if transfer not in ("pq", "hlg"):
        raise AlgorithmError(f"unknown transfer {transfer!r}", hint="use one of: pq, hlg")
    check_positive(hlg_nominal_peak, "hlg_nominal_peak")
    rgb = as_frame(frame)
    display_sdr = np.power(np.maximum(rgb, 0.0), np.float32(2.4)) * np.float32(100.0)
    y_sdr = display_sdr @ _LUMA_709
    y_hdr = sdr_to_hdr_bt2446c(y_sdr).astype(np.float32)
    ratio = np.divide(y_hdr, y_sdr, out=np.full_like(y_sdr, 1.0 / K1), where=y_sdr > 1e-6)
    display = (display_sdr * ratio[..., None]) @ bt709_to_bt2020_matrix().T
    np.maximum(display, 0.0, out=display)
    return hdr_signal(display, transfer, hlg_nominal_peak=hlg_nominal_peak)
