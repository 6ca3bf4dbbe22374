"""measure() / R128Meter: one pass equals the separate measurements; report and checks."""

from __future__ import annotations

import doctest
import importlib
import json
import math

import numpy as np
import pytest
from audio_synth import pink_noise, speech_like

from reelgraph.algorithms.audio.loudness_bs1770 import loudness_bs1770
from reelgraph.algorithms.audio.loudness_range_tech3342 import loudness_range
from reelgraph.algorithms.audio.measure_ebu_r128 import R128Meter, measure
from reelgraph.algorithms.audio.true_peak_bs1770_annex2 import true_peak
from reelgraph.algorithms.audio.vad_spectral_moattar2009 import detect_speech
from reelgraph.errors import AlgorithmError

RATE = 48000

AUDIO_MODULES = [
    "k_weighting_bs1770",
    "loudness_bs1770",
    "loudness_range_tech3342",
    "true_peak_bs1770_annex2",
    "vad_spectral_moattar2009",
    "dialogue_loudness_gated",
    "noise_reduction_wiener_scalart1996",
    "leveler_dialogue_bs1770",
    "true_peak_limiter_bs1770",
    "loudness_normalisation_r128",
    "measure_ebu_r128",
]


@pytest.mark.parametrize("module", AUDIO_MODULES)
def test_every_method_module_documents_an_example(module: str) -> None:
    """STYLE.md: each method's module docstring carries a doctest (tests/unit/test_doctests.py
    runs them all)."""
    mod = importlib.import_module(f"reelgraph.algorithms.audio.{module}")
    tests = doctest.DocTestFinder(exclude_empty=True).find(mod, mod.__name__)
    assert any(t.name == mod.__name__ and t.examples for t in tests), f"{module}: no example"
    doc = mod.__doc__ or ""
    assert "Domain and range" in doc
    assert "Reference" in doc


def test_one_pass_equals_separate_measurements(rng: np.random.Generator) -> None:
    x = 0.1 * rng.standard_normal((RATE * 8, 2))
    x[: RATE * 3] *= 0.1
    m = measure(x, RATE)
    assert m.integrated_lufs == loudness_bs1770(x, RATE).integrated_lufs
    assert m.lra_lu == loudness_range(x, RATE).lra_lu
    assert m.true_peak_dbtp == true_peak(x, RATE).max_dbtp
    meter = R128Meter(RATE, 2)
    for piece in np.array_split(x, 7):
        meter.process(piece)
    streamed = meter.result()
    assert streamed.integrated_lufs == pytest.approx(m.integrated_lufs, abs=1e-9)
    assert streamed.true_peak_dbtp == pytest.approx(m.true_peak_dbtp, abs=1e-6)


def test_report_is_json_safe_even_for_silence() -> None:
    silent = measure(np.zeros((RATE, 2)), RATE, dialogue=True)
    report = silent.as_dict()
    json.dumps(report, allow_nan=False)
    assert report["integrated_lufs"] is None and report["true_peak_dbtp"] is None
    assert report["dialogue"]["gated_on"] == "programme"
    assert silent.integrated_lufs == -math.inf


def test_check_against_targets(rng: np.random.Generator) -> None:
    speech, _ = speech_like(rng, 12.0, RATE, level_dbfs=-30)
    x = speech + pink_noise(rng, speech.size, -60)
    m = measure(x, RATE, dialogue=True)
    stream = m.check("streaming")
    assert stream.measured_on == "speech"
    assert stream.loudness_lufs == m.dialogue.loudness_lufs  # type: ignore[union-attr]
    broadcast = m.check("ebu-r128")
    assert broadcast.measured_on == "programme"
    assert broadcast.deviation_lu == pytest.approx(m.integrated_lufs + 23.0)
    assert broadcast.passed == (broadcast.loudness_ok and broadcast.true_peak_ok)
    with pytest.raises(AlgorithmError, match="dialogue was not measured") as error:
        measure(x, RATE).check("streaming")
    assert "dialogue=True" in error.value.hint
    with pytest.raises(AlgorithmError, match="true peak was not measured"):
        _ = measure(x, RATE, true_peak=False).true_peak_dbtp


def test_dialogue_gate_takes_the_callers_threshold_and_mask(rng: np.random.Generator) -> None:
    speech, _ = speech_like(rng, 12.0, RATE, level_dbfs=-30)
    x = speech + pink_noise(rng, speech.size, -60)
    assert measure(x, RATE, dialogue=True).dialogue.gated_on == "speech"  # type: ignore[union-attr]
    # Asking for more dialogue than the programme has (its pauses are audible noise) falls
    # back to the programme loudness.
    strict = measure(x, RATE, dialogue=True, min_speech_ratio=1.0).dialogue
    assert strict is not None and strict.gated_on == "programme"
    assert strict.min_speech_ratio == 1.0
    # A given speech mask is used as it is, not detected again on these samples.
    no_speech = detect_speech(np.zeros_like(x), RATE)
    given = measure(x, RATE).with_dialogue(x, RATE, speech=no_speech).dialogue
    assert given is not None and given.gated_on == "programme" and given.speech_blocks == 0


@pytest.mark.parametrize("layout", ["mono", "stereo", "5.1", "7.1"])
def test_layouts(rng: np.random.Generator, layout: str) -> None:
    channels = {"mono": 1, "stereo": 2, "5.1": 6, "7.1": 8}[layout]
    x = 0.05 * rng.standard_normal((RATE, channels))
    m = measure(x, RATE, layout=layout)
    assert m.loudness.layout == layout
    assert len(m.true_peak.dbtp) == channels  # type: ignore[union-attr]
