"""Shared fixtures: seeded synthetic media and the optional external test material."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TESTMEDIA = Path(__file__).resolve().parents[2] / "shared" / "testmedia"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so every synthetic signal is the same on every run."""
    return np.random.default_rng(20261121)


@pytest.fixture(scope="session")
def testmedia() -> Path:
    """The external conformance material beside the checkout; tests using it are marked."""
    if not TESTMEDIA.is_dir():
        pytest.skip("../shared/testmedia is not present")
    return TESTMEDIA
