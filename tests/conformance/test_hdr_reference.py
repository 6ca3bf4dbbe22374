"""HDR transfer functions and SDR->HDR levels against published reference values.

``../shared/testmedia/hdr-reference/values.json`` (see its PROVENANCE.md): colour-science
0.4.7's own BT.2100 / ST 2084 / ARIB STD-B67 / BT.1886 test vectors, Report ITU-R
BT.2408 Table 1 signal levels, and Report ITU-R BT.2446 Method C constants and points.
"""

from __future__ import annotations

import ast
import json
import operator
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reelgraph.algorithms.restore import transfer_bt2100 as tf
from reelgraph.algorithms.restore.itm import inverse_tone_map
from reelgraph.algorithms.restore.itm_bt2446c import (
    K1,
    K2,
    K3,
    K4,
    Y_IP,
    hdr_to_sdr_bt2446c,
    sdr_to_hdr_bt2446c,
)

pytestmark = pytest.mark.testmedia

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}  # fmt: skip


def _value(node: ast.AST) -> Any:
    """Literal or simple arithmetic on literals (the file writes e.g. ``0.18 / 12``)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_value(node.left), _value(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand)
    return ast.literal_eval(node)


def parse_args(text: str) -> tuple[list[Any], dict[str, Any]]:
    call = ast.parse(f"f({text})", mode="eval").body
    assert isinstance(call, ast.Call)
    return [_value(a) for a in call.args], {k.arg: _value(k.value) for k in call.keywords if k.arg}


@pytest.fixture(scope="module")
def reference(testmedia: Path) -> dict[str, Any]:
    return json.loads((testmedia / "hdr-reference" / "values.json").read_text())


def _ours(function: str, args: list[Any], kwargs: dict[str, Any]) -> np.ndarray | None:
    """Our wrapper's answer for a colour test case, or None where we expose no equivalent."""
    if kwargs:
        return None
    if function == "eotf_ST2084":
        return tf.pq_eotf(args[0], **({"peak": args[1]} if len(args) > 1 else {}))
    if function == "eotf_inverse_ST2084":
        return tf.pq_inverse_eotf(args[0], **({"peak": args[1]} if len(args) > 1 else {}))
    if function == "oetf_BT2100_HLG":
        return tf.hlg_oetf(args[0])
    if function == "oetf_inverse_BT2100_HLG":
        return tf.hlg_inverse_oetf(args[0])
    if function in ("eotf_BT2100_HLG_2", "eotf_inverse_BT2100_HLG_2") and len(args) == 1:
        wrapper = tf.hlg_eotf if function == "eotf_BT2100_HLG_2" else tf.hlg_inverse_eotf
        return wrapper(args[0])  # BT.2100-2 (colour's default), L_B = 0, L_W = 1000
    if function == "eotf_BT1886":
        return tf.bt1886_eotf(args[0], white=1.0)
    if function == "eotf_inverse_BT1886":
        return tf.bt1886_inverse_eotf(args[0], white=1.0)
    return None


def test_every_bt2100_case_against_colour_and_our_wrappers(reference):
    colour = tf.colour_module()  # keeps numpy's print options intact
    itur_bt_2100 = colour.models.rgb.transfer_functions.itur_bt_2100

    cases = reference["bt2100_transfer_function_cases"]
    assert len(cases) == 89
    checked = 0
    for case in cases:
        args, kwargs = parse_args(case["args"])
        oracle = getattr(colour.models, case["function"], None) or getattr(
            itur_bt_2100, case["function"]
        )
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # colour warns that grey input is stacked to RGB
            expected = np.asarray(oracle(*args, **kwargs), dtype=np.float64)
        # colour itself still reproduces its published vector (the dependency did not drift).
        np.testing.assert_allclose(expected, case["expected"], atol=1e-7, err_msg=str(case))
        ours = _ours(case["function"], args, kwargs)
        if ours is not None:
            assert ours.dtype == np.float32
            np.testing.assert_allclose(
                ours, case["expected"], rtol=1e-6, atol=1e-6, err_msg=str(case)
            )
            checked += 1
    assert checked == 25  # every PQ, HLG OETF/EOTF and BT.1886 case our wrappers expose


def test_bt2408_table1_levels(reference):
    for row in reference["bt2408_table1_levels"]["rows"]:
        nits = float(row["display_cd_m2"])
        pq = float(tf.pq_inverse_eotf(nits))
        hlg = float(tf.hlg_inverse_eotf(np.full(3, nits), nominal_peak=1000.0)[0])
        assert pq == pytest.approx(row["colour_pq_signal"], abs=1e-6)
        assert hlg == pytest.approx(row["colour_hlg_signal_at_Lw1000"], abs=1e-6)
        assert round(100 * pq) == row["pq_signal_pct"]
        assert round(100 * hlg) == row["hlg_signal_pct"]


@pytest.mark.parametrize("transfer", ["pq", "hlg"])
def test_itm_puts_sdr_diffuse_white_at_hdr_reference_white(reference, transfer):
    white_row = reference["bt2408_table1_levels"]["rows"][2]  # 203 cd/m², PQ 58 %, HLG 75 %
    white = np.ones((2, 2, 3), np.float32)
    signal = inverse_tone_map(white, transfer=transfer)
    key = "colour_pq_signal" if transfer == "pq" else "colour_hlg_signal_at_Lw1000"
    np.testing.assert_allclose(signal, white_row[key], atol=2e-5)
    pct = white_row["pq_signal_pct" if transfer == "pq" else "hlg_signal_pct"]
    assert round(100 * float(signal[0, 0, 0])) == pct


def test_bt2446_method_c_constants_and_points(reference):
    method_c = reference["bt2446_method_c"]
    constants = method_c["constants"]
    published = (constants["k1"], constants["k2"], constants["k3"], constants["k4"])
    assert published == (K1, K2, K3, K4)
    assert pytest.approx(58.5 / 0.83802) == Y_IP
    points = method_c["points_computed_here"]
    hdr = np.array([p["Y_HDR"] for p in points], dtype=np.float64)
    sdr = np.array([p["Y_SDR"] for p in points], dtype=np.float64)
    np.testing.assert_allclose(hdr_to_sdr_bt2446c(hdr), sdr, rtol=1e-9)
    np.testing.assert_allclose(sdr_to_hdr_bt2446c(sdr), hdr, rtol=1e-9)


def test_bt2446c_itm_maps_96_percent_sdr_to_203_nits(reference):
    grey = np.full((1, 1, 3), 0.96, np.float32)  # the Report's SDR reference white
    pq = inverse_tone_map(grey, transfer="pq", method="bt2446c")
    assert float(tf.pq_eotf(pq)[0, 0, 0]) == pytest.approx(203.0, rel=2e-3)
