"""Scene variables as looks: each variable does what its name says, they compose into one
CDL, and a value outside its range is refused with the valid ones listed."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from reelgraph.algorithms.colour.standards import LUMA_BT709
from reelgraph.colour.looks import ACCEPTS, TIME_OF_DAY, check, decide_look
from reelgraph.errors import PlanError

GREY = np.array([[0.18, 0.18, 0.18]], np.float32)


def _cct(linear_rgb: np.ndarray) -> float:
    xyz = colour.RGB_to_XYZ(
        linear_rgb.astype(np.float64),
        colour.RGB_COLOURSPACES["ITU-R BT.709"],
        apply_cctf_decoding=False,
    )
    return float(colour.xy_to_CCT(colour.XYZ_to_xy(xyz[0]), method="McCamy 1992"))


def test_warmth_moves_a_d65_grey_warmer_by_about_the_kelvin_asked() -> None:
    neutral = _cct(decide_look({}).linear(GREY))
    warmer = _cct(decide_look({"warmth": "+500"}).linear(GREY))
    warmest = _cct(decide_look({"warmth": 1000}).linear(GREY))
    cooler = _cct(decide_look({"warmth": -500}).linear(GREY))
    assert abs(neutral - 6504) < 30
    assert 6504 - 700 < warmer < 6504 - 300
    assert warmest < warmer < neutral < cooler
    # White balance keeps a grey's luminance within a few per cent.
    lum = float((decide_look({"warmth": 500}).linear(GREY) @ LUMA_BT709)[0])
    assert lum == pytest.approx(0.18, rel=0.05)


def test_exposure_contrast_and_saturation_do_what_they_say() -> None:
    assert decide_look({"exposure": 1}).linear(GREY)[0, 1] == pytest.approx(0.36, rel=1e-4)
    contrast = decide_look({"contrast": 1.5})
    assert contrast.linear(GREY)[0, 1] == pytest.approx(0.18, rel=1e-4)  # pivot holds
    assert contrast.linear(GREY * 2)[0, 1] == pytest.approx(0.18 * 2**1.5, rel=1e-3)
    colourful = np.array([[0.4, 0.1, 0.05]], np.float32)
    grey = decide_look({"saturation": 0}).linear(colourful)
    assert np.ptp(grey) < 1e-6
    assert decide_look({}).is_identity()
    assert decide_look({"time_of_day": "night", "exposure": 2}, strength=0.0).is_identity()


def test_variables_compose_with_the_time_of_day_into_one_cdl() -> None:
    night = check({"time_of_day": "night"})
    brighter = check({"time_of_day": "night", "exposure": 1, "warmth": 200})
    assert brighter.exposure == pytest.approx(night.exposure + 1)
    assert brighter.warmth == pytest.approx(night.warmth + 200)
    decision = decide_look({"time_of_day": "sunset"})
    assert decision.cdl.saturation > 1 and decision.cdl.slope[0] > decision.cdl.slope[2]
    meta = decision.to_meta()
    assert meta["cdl"]["power"][0] == pytest.approx(TIME_OF_DAY["sunset"].contrast)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("time_of_day", "dusk"),
        ("warmth", 9000),
        ("warmth", "warm"),
        ("exposure", float("nan")),
        ("contrast", 0),
        ("saturation", True),
    ],
)
def test_values_outside_the_range_are_refused_with_the_valid_ones(name: str, value: object) -> None:
    with pytest.raises(PlanError) as refused:
        check({name: value})
    assert name in refused.value.hint
    assert "day" in refused.value.hint if name == "time_of_day" else "from" in refused.value.hint


def test_accepted_spellings() -> None:
    assert "+500" in ACCEPTS["warmth"] and "500K" in ACCEPTS["warmth"]
    assert set(TIME_OF_DAY) == {"day", "golden_hour", "sunset", "blue_hour", "night"}
    for name in TIME_OF_DAY:
        assert np.all(np.isfinite(decide_look({"time_of_day": name}).table("bt709")))


@pytest.mark.slow
def test_the_encoded_cdl_approximates_the_look_and_says_by_how_much() -> None:
    cdl, miss = decide_look({"exposure": -1}).encoded_cdl("bt709")
    assert miss < 0.5
    assert 0.6 < cdl.slope[1] < 0.85  # one stop down is about ×0.73 on BT.709 code values
    identity, none = decide_look({}).encoded_cdl("bt709")
    assert identity.is_identity() and none == 0.0
    _, night = decide_look({"time_of_day": "night"}).encoded_cdl("bt709")
    assert 0.5 < night < 4.0


@pytest.mark.slow
def test_the_encoded_look_table_and_the_grade_decision() -> None:
    from reelgraph.algorithms.colour.asc_cdl import CDL
    from reelgraph.colour.looks import EncodedLookTable, encoded_look

    table = EncodedLookTable()
    assert list(table) == list(TIME_OF_DAY) and "night" in table and "dusk" not in table
    look, cdl, meta = encoded_look({"time_of_day": "day"}, 1.0, table)
    assert look == "day" and cdl.is_identity() and meta["scene_linear"]["matrix"] is None
    table["dusk"] = CDL(slope=(1.2, 1.0, 0.8))
    _, half, _ = encoded_look({"time_of_day": "dusk"}, 0.5, table)
    assert half.slope == pytest.approx((1.1, 1.0, 0.9))
    _, warmer, meta = encoded_look({"warmth": 800}, 1.0, table)
    from reelgraph.algorithms.colour.asc_cdl import apply_cdl

    grey = apply_cdl(np.array([[0.5, 0.5, 0.5]], np.float32), warmer)[0]
    assert grey[0] > grey[1] > grey[2] and meta["cdl_delta_e"] < 1.5
    with pytest.raises(PlanError) as refused:
        encoded_look({"time_of_day": "midnight"}, 1.0, table)
    assert "dusk" in refused.value.hint
    with pytest.raises(PlanError):
        encoded_look({"exposure": 9}, 1.0, table)
