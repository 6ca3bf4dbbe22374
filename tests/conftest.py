"""Shared fixtures: seeded synthetic media and the optional external test material."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

TESTMEDIA = Path(__file__).resolve().parents[2] / "shared" / "testmedia"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so every synthetic signal is the same on every run."""
    return np.random.default_rng(20261121)


def locate_testmedia(folder: Path, environ: Mapping[str, str]) -> Path:
    """``folder`` if present; otherwise skip, except on CI (``CI=true``), where missing
    material must not turn the conformance tests into silent skips: fail."""
    if folder.is_dir():
        return folder
    if environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"{folder} is missing on CI (CI=true): the tests that need the external "
            "conformance material cannot run; provide it beside the checkout",
            pytrace=False,
        )
    pytest.skip(f"{folder} is not present")


@pytest.fixture(scope="session")
def testmedia() -> Path:
    """The external conformance material beside the checkout; tests using it are marked."""
    return locate_testmedia(TESTMEDIA, os.environ)
