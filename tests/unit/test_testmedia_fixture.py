"""Tests that need ../shared/testmedia skip where it is absent, but fail on CI (CI=true):
a CI run must not pass by skipping its conformance material."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _root_conftest() -> ModuleType:
    # Loaded from its path: several conftest modules share the name ``conftest``.
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("reelgraph_tests_root_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_testmedia_fails_on_ci_and_skips_elsewhere(tmp_path: Path) -> None:
    locate = _root_conftest().locate_testmedia
    missing = tmp_path / "testmedia"
    with pytest.raises(pytest.fail.Exception, match="missing on CI"):
        locate(missing, {"CI": "true"})
    with pytest.raises(pytest.skip.Exception):
        locate(missing, {})
    with pytest.raises(pytest.skip.Exception):
        locate(missing, {"CI": "false"})
    missing.mkdir()
    assert locate(missing, {"CI": "true"}) == missing
