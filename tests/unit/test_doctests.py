"""Every docstring example in the package runs and gives what it shows.

Only modules whose source holds an example are collected, so the number of tests is the
number of modules with examples (a module without one is not a vacuous pass), and each
must run at least one example (one that doctest cannot find is a failure)."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

import reelgraph


def _has_example(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    return origin is not None and ">>> " in Path(origin).read_text(encoding="utf-8")


MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(reelgraph.__path__, "reelgraph.")
    if not info.name.startswith("reelgraph.cli") and _has_example(info.name)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} shows an example that doctest does not run"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_the_examples_are_found() -> None:
    # The algorithms' conventions ask for an example in every method module.
    assert "reelgraph.algorithms.audio.true_peak_bs1770_annex2" in MODULES
    assert "reelgraph.timecode" in MODULES
    assert not any(name.startswith("reelgraph.cli") for name in MODULES)


def test_timecode_drop_frame_skips_two_numbers_each_minute_but_every_tenth() -> None:
    from fractions import Fraction

    from reelgraph.timecode import frames_to_timecode

    ntsc = Fraction(30000, 1001)
    assert frames_to_timecode(1799, ntsc) == "00:00:59;29"
    assert frames_to_timecode(1800, ntsc) == "00:01:00;02"
    assert frames_to_timecode(17982, ntsc) == "00:10:00;00"
    assert frames_to_timecode(107892, ntsc) == "01:00:00;00"
    assert frames_to_timecode(25, Fraction(25)) == "00:00:01:00"
