"""The EBU loudness test set (Tech 3341/3342 files) and the ITU-R BS.2217 gate tests.

Every criterion that ``expected.json`` lists for a file is checked within its stated
tolerance (value −minus/+plus). Files are decoded with PyAV to float32 planar, once each.
Keys starting with ``libebur128_reference`` are informative (another meter's output), not
criteria; any other unknown key fails the test, so a criterion cannot be skipped silently.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from reelgraph.algorithms.audio.measure_ebu_r128 import LoudnessMeasurement, measure

pytestmark = pytest.mark.testmedia

_SHARED = Path(__file__).resolve().parents[3] / "shared" / "testmedia"  # as tests/conftest.py
EBU_DIR = "ebu-loudness-test-set"
ITU_DIR = "itu-bs2217"


def _expected(folder: str) -> dict[str, Any]:
    path = _SHARED / folder / "expected.json"
    return json.loads(path.read_text())["files"] if path.is_file() else {}


def _names(folder: str) -> list[str]:
    return sorted(_expected(folder)) or ["(testmedia missing)"]


@cache
def decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode the first audio stream to float32 ``(samples, channels)`` via fltp frames."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
        planes: list[np.ndarray] = []
        for frame in container.decode(stream):
            planes.extend(f.to_ndarray() for f in resampler.resample(frame))
        planes.extend(f.to_ndarray() for f in resampler.resample(None))
        rate = int(stream.rate)
    return np.ascontiguousarray(np.concatenate(planes, axis=1).T, dtype=np.float32), rate


@cache
def measured(path: Path) -> LoudnessMeasurement:
    samples, rate = decode(path)
    return measure(samples, rate)


def _reading(m: LoudnessMeasurement, key: str) -> np.ndarray:
    """The meter reading(s) a criterion of expected.json refers to."""
    loudness = m.loudness
    if key in ("integrated_lufs", "integrated_lkfs"):
        return np.array([loudness.integrated_lufs])
    if key == "momentary_lufs":  # every momentary value
        return loudness.momentary_lufs
    if key == "short_term_lufs":
        return loudness.short_term_lufs
    if key == "momentary_lufs_constant_after_1s":
        return loudness.momentary_lufs[loudness.momentary_end_s >= 1.0]
    if key == "max_momentary_lufs":
        return np.array([loudness.momentary_max_lufs])
    if key == "max_short_term_lufs":
        return np.array([loudness.short_term_max_lufs])
    if key == "max_true_peak_dbtp":
        return np.array([m.true_peak_dbtp])
    if key == "loudness_range_lu":
        return np.array([m.lra_lu])
    raise AssertionError(f"expected.json has a criterion this test does not know: {key}")


def _check_file(folder: Path, name: str, criteria: dict[str, Any]) -> None:
    m = measured(folder / name)
    failures = []
    for key, spec in criteria.items():
        if not isinstance(spec, dict) or key.startswith("libebur128_reference"):
            continue
        values = _reading(m, key)
        low, high = spec["value"] - spec["minus"], spec["value"] + spec["plus"]
        assert values.size > 0, f"{name}: no reading for {key}"
        if not (np.all(values >= low - 1e-9) and np.all(values <= high + 1e-9)):
            failures.append(
                f"{key}: read {values.min():.3f}..{values.max():.3f}, expected {low}..{high}"
            )
    assert not failures, f"{name}: " + "; ".join(failures)


@pytest.mark.parametrize("name", _names(EBU_DIR))
def test_ebu_loudness_test_set(testmedia: Path, name: str) -> None:
    """EBU Tech 3341 Table 1 / Tech 3342 Table 1 readings for every file of the set."""
    expected = _expected(EBU_DIR)
    assert name in expected
    _check_file(testmedia / EBU_DIR, name, expected[name])


@pytest.mark.parametrize("name", _names(ITU_DIR))
def test_itu_bs2217_gate_files(testmedia: Path, name: str) -> None:
    """BS.2217 compliance files: absolute gate (−69.5) and relative gate (−10.0) ±0.1."""
    expected = _expected(ITU_DIR)
    assert name in expected
    _check_file(testmedia / ITU_DIR, name, expected[name])


def test_every_listed_file_is_present(testmedia: Path) -> None:
    for folder in (EBU_DIR, ITU_DIR):
        for name in _expected(folder):
            assert (testmedia / folder / name).is_file(), f"{folder}/{name} is missing"
