"""Every docstring example in the package runs and gives what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import reelgraph

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(reelgraph.__path__, "reelgraph.")
    if not info.name.startswith("reelgraph.cli")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_timecode_drop_frame_skips_two_numbers_each_minute_but_every_tenth() -> None:
    from fractions import Fraction

    from reelgraph.timecode import frames_to_timecode

    ntsc = Fraction(30000, 1001)
    assert frames_to_timecode(1799, ntsc) == "00:00:59;29"
    assert frames_to_timecode(1800, ntsc) == "00:01:00;02"
    assert frames_to_timecode(17982, ntsc) == "00:10:00;00"
    assert frames_to_timecode(107892, ntsc) == "01:00:00;00"
    assert frames_to_timecode(25, Fraction(25)) == "00:00:01:00"
