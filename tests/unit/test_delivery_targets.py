"""Delivery targets: the four presets, their sources, lookup errors."""

from __future__ import annotations

import dataclasses

import pytest

from reelgraph.errors import AlgorithmError
from reelgraph.specs.loudness_targets import DELIVERY_TARGETS, lookup


def test_the_four_targets() -> None:
    expected = {
        "ebu-r128": (-23.0, 0.5, -1.0, "programme", "EBU R 128"),
        "atsc-a85": (-24.0, 2.0, -2.0, "programme", "ATSC A/85"),
        "streaming": (-27.0, 2.0, -2.0, "dialogue", "Netflix"),
        "web": (-14.0, 1.0, -1.0, "programme", "Spotify"),
    }
    assert list(DELIVERY_TARGETS) == list(expected)
    for name, (lufs, tol, peak, gating, source) in expected.items():
        t = lookup(name)
        assert (t.integrated_lufs, t.tolerance_lu, t.true_peak_max_dbtp, t.gating) == (
            lufs,
            tol,
            peak,
            gating,
        )
        assert source in t.reference.number and t.reference.name and t.reference.clause


def test_accepts_uses_tolerance_and_ceiling() -> None:
    r128 = lookup("ebu-r128")
    assert r128.accepts(-23.5, -1.0) and r128.accepts(-22.5, -3.0)
    assert not r128.accepts(-23.6, -3.0)
    assert not r128.accepts(-23.0, -0.9)


def test_loudness_and_peak_are_judged_apart_with_a_rounding_slack() -> None:
    r128 = lookup("ebu-r128")
    # A level computed onto the limit may land a rounding error beyond it: it still passes.
    assert r128.loudness_ok(-22.5 + 1e-12) and r128.loudness_ok(-23.5 - 1e-12)
    assert not r128.loudness_ok(-23.51) and not r128.loudness_ok(-22.49)
    assert r128.true_peak_ok(-1.0 + 1e-12) and not r128.true_peak_ok(-0.99)


def test_a_target_passes_through_lookup_as_it_is() -> None:
    custom = dataclasses.replace(lookup("web"), name="podcast", integrated_lufs=-16.0)
    assert lookup(custom) is custom


def test_unknown_name_lists_valid_ones_and_table_is_read_only() -> None:
    with pytest.raises(AlgorithmError) as error:
        lookup("r128")
    assert "ebu-r128, atsc-a85, streaming, web" in str(error.value)
    assert "ebu-r128" in error.value.hint
    with pytest.raises(TypeError):
        DELIVERY_TARGETS["x"] = lookup("web")  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lookup("web").integrated_lufs = -16.0  # type: ignore[misc]
