"""Photosensitive flash detection (ITU-R BT.1702 via the EA IRIS method)."""

from __future__ import annotations

import numpy as np
import pytest
import qc_clips as clips

from reelgraph.algorithms.qc.findings import Finding
from reelgraph.algorithms.qc.flash_bt1702 import (
    FlashAnalyser,
    FlashParameters,
    evaluate_flash_series,
    flash_frame_values,
    linearisation_table,
)
from reelgraph.errors import AlgorithmError

FPS = clips.FPS


def analyse(frames: list[np.ndarray], params: FlashParameters | None = None) -> list[Finding]:
    analyser = FlashAnalyser(FPS, params)
    for frame in frames:
        analyser.push(frame)
    return analyser.findings()


def test_relative_luminance_and_red_saturation_values() -> None:
    frame = np.zeros((2, 3, 3), np.float32)
    frame[0, 0] = (1.0, 1.0, 1.0)  # white: Y = 1
    frame[0, 1] = (1.0, 0.0, 0.0)  # pure red: Y = 0.2126, red saturation 320
    frame[0, 2] = (0.5, 0.5, 0.5)  # mid-grey code 128: sRGB EOTF 0.2158
    values = flash_frame_values(frame)
    assert values.luminance[0, 0] == pytest.approx(1.0)
    assert values.luminance[0, 1] == pytest.approx(0.2126, abs=1e-6)
    assert values.luminance[0, 2] == pytest.approx(0.21586, abs=1e-4)
    assert values.red is not None and values.red[0, 1] == pytest.approx(320.0)
    assert values.red[0, 0] == 0.0 and values.red[1, 2] == 0.0  # black: 0/0 is not red
    assert linearisation_table("bt1886")[128] == pytest.approx((128 / 255) ** 2.4)
    # BT.2020 primaries weigh green less.
    green = np.zeros((1, 1, 3), np.float32)
    green[..., 1] = 1.0
    bt2020 = flash_frame_values(green, FlashParameters(primaries="bt2020"))
    assert bt2020.luminance_mean == pytest.approx(0.6780, abs=1e-6)


def test_5hz_full_screen_train_fails_where_it_is_and_2hz_does_not() -> None:
    base = clips.static_clip(150)
    # 5 Hz: 2 white frames in every 5 from frame 40 to 89 (2 s); the last white frame is 86.
    five = analyse(clips.with_flashes(base, 40, 89, period=5, on=2))
    assert [(f.check, f.severity) for f in five] == [("flash", "fail")]
    assert abs(five[0].start_frame - 40) <= 1 and abs(five[0].end_frame - 86) <= 1
    assert five[0].value == pytest.approx(5.0, abs=0.5)  # flashes per second
    assert five[0].limit == 3.0
    # ~2 Hz (period 12): 4 transitions a second is a warning, never a failure.
    two = analyse(clips.with_flashes(base, 40, 114, period=12, on=6))
    assert all(f.severity != "fail" for f in two)
    assert [f.check for f in two] == ["flash"]


def full_screen_train(fps: float, period: int, on: int, seconds: float) -> list[np.ndarray]:
    """Black with white for ``on`` frames of every ``period`` for ``seconds``, one second of
    black either side."""
    lead = round(fps)
    frames = []
    for k in range(2 * lead + round(seconds * fps)):
        i = k - lead
        white = 0 <= i < seconds * fps and i % period < on
        frames.append(np.full((36, 64, 3), 1.0 if white else 0.0, np.float32))
    return frames


def test_exactly_three_flashes_a_second_passes_and_more_fails() -> None:
    # BT.1702: a failure is MORE than three flashes (six transitions) in any one second.
    # At 24 fps a period of 8 frames is exactly 3 flashes/s; 7 frames is 3.4. 2.5 s is too
    # short for the extended (4 s in 5) rule.
    three = analyse_at(24.0, full_screen_train(24.0, period=8, on=4, seconds=2.5))
    assert [f.check for f in three] == ["flash"]
    assert three[0].severity == "warning" and three[0].value == pytest.approx(3.0)
    more = analyse_at(24.0, full_screen_train(24.0, period=7, on=4, seconds=2.5))
    assert [(f.check, f.severity) for f in more] == [("flash", "fail")]


def analyse_at(fps: float, frames: list[np.ndarray]) -> list[Finding]:
    analyser = FlashAnalyser(fps)
    for frame in frames:
        analyser.push(frame)
    return analyser.findings()


def test_defaults_are_the_standards_numbers() -> None:
    """ITU-R BT.1702 (and Ofcom's guidance, as IRIS applies them): a luminance flash is a
    pair of opposing changes of 10 % (20 cd/m² of 200) where the darker image is below
    0.8 (160 cd/m²); it counts when it covers 25 % of the screen; more than 3 flashes
    (6 transitions) in one second fail; a red transition is a change of 20 on the 0–320
    red-saturation scale of pixels with R/(R+G+B) ≥ 0.8; 4–6 transitions sustained for
    4 s in any 5 s fail as extended flashing."""
    p = FlashParameters()
    assert p.luminance_flash_threshold == 0.1
    assert p.dark_luminance_threshold == 0.8
    assert p.area_proportion == 0.25
    assert p.max_transitions == 6
    assert p.red_flash_threshold == 20.0 and p.red_saturation_ratio == 0.8
    assert (p.min_transitions, p.extended_fail_seconds, p.extended_fail_window) == (4, 4, 5)


def test_flashing_area_must_reach_a_quarter_of_the_screen() -> None:
    base = clips.static_clip(100)
    for fraction, fails in ((0.10, False), (0.40, True)):
        frames = clips.with_flashes(
            base, 20, 69, period=4, box=clips.box_fraction(fraction), off_colour=(0.0, 0.0, 0.0)
        )
        findings = analyse(frames)
        assert bool(findings) is fails, fraction
        if fails:
            # The patch is white or black from frame 20 to 69; frame 70 shows the picture.
            assert findings[0].severity == "fail"
            assert abs(findings[0].start_frame - 20) <= 1
            assert abs(findings[0].end_frame - 69) <= 1


def test_area_rule_is_about_area_not_mean_change() -> None:
    # A black/white patch on 20 % of the screen moves the frame mean by 0.2 (over the 0.1
    # threshold) but covers less than 25 %: no flash. On 30 % it is one.
    base = [np.full((100, 100, 3), 0.5, np.float32)] * 60
    for fraction, fails in ((0.20, False), (0.30, True)):
        box = (slice(0, round(100 * fraction)), slice(None))
        frames = clips.with_flashes(base, 10, 49, period=4, box=box, off_colour=(0.0, 0.0, 0.0))
        assert bool(analyse(frames)) is fails


def test_bright_flashes_above_the_dark_threshold_do_not_count() -> None:
    # Both states brighter than 0.8 relative luminance (sRGB 0.91 ≈ 0.81): not a flash.
    bright = [np.full((40, 40, 3), 0.91, np.float32)] * 60
    assert analyse(clips.with_flashes(bright, 10, 49, period=4)) == []
    dim = [np.full((40, 40, 3), 0.75, np.float32)] * 60
    assert [f.check for f in analyse(clips.with_flashes(dim, 10, 49, period=4))] == ["flash"]


def test_red_flash_is_reported_without_a_luminance_flash() -> None:
    # Saturated red against a grey of equal relative luminance (0.2126 ≈ sRGB code 127.5).
    grey = float(np.searchsorted(linearisation_table(), 0.2126)) / 255.0
    base = [np.full((60, 80, 3), grey, np.float32)] * 80
    frames = clips.with_flashes(base, 20, 59, period=4, colour=(1.0, 0.0, 0.0))
    findings = analyse(frames)
    assert [(f.check, f.severity) for f in findings] == [("red_flash", "fail")]
    assert abs(findings[0].start_frame - 20) <= 1 and abs(findings[0].end_frame - 59) <= 1


def test_sustained_two_and_a_half_flashes_per_second_is_an_extended_failure() -> None:
    # 5 transitions a second: under the 6 allowed, but sustained for more than 4 s of 5.
    base = [np.full((20, 20, 3), 0.2, np.float32)] * 200
    frames = clips.with_flashes(base, 10, 189, period=10, on=5, colour=(0.9, 0.9, 0.9))
    analyser = FlashAnalyser(FPS)
    for frame in frames:
        analyser.push(frame)
    series = analyser.series()
    assert series.luminance.transitions.max() == 5
    assert set(np.unique(series.luminance.result)) == {0, 1, 2}
    first_extended = int(np.flatnonzero(series.luminance.result == 2)[0])
    assert first_extended == pytest.approx(10 + 4 * FPS, abs=FPS)  # after about 4 s
    (finding,) = analyser.findings()
    assert finding.severity == "fail" and "extended failure" in finding.message


def test_series_edge_cases() -> None:
    empty = evaluate_flash_series([], [], [], [], FPS)
    assert empty.luminance.result.size == 0
    one = evaluate_flash_series([0.5], [np.nan], [0.0], [np.nan], FPS)
    assert one.luminance.result.tolist() == [0]  # frame 0 has no difference: NaN ignored
    with pytest.raises(AlgorithmError):
        evaluate_flash_series([0.5, np.nan], [0.0, 0.1], [0, 0], [0, 0], FPS)
    with pytest.raises(AlgorithmError):
        evaluate_flash_series([0.5], [0.0, 0.1], [0.0], [0.0], FPS)
    analyser = FlashAnalyser(FPS)
    assert analyser.findings() == [] and analyser.frames == 0
    analyser.push(np.zeros((3, 5, 3), np.float32))  # 1 frame, odd size
    assert analyser.findings() == []
    with pytest.raises(AlgorithmError):
        analyser.push(np.zeros((4, 5, 3), np.float32))  # size change
    with pytest.raises(AlgorithmError):
        analyser.push(np.full((3, 5, 3), np.nan, np.float32))
    with pytest.raises(AlgorithmError, match="transfer"):
        FlashParameters(transfer="pq")  # type: ignore[arg-type]
    with pytest.raises(AlgorithmError):
        FlashParameters.from_iris_settings(
            {
                "Luminance": {"RelativeLuminanceFlashThreshold": 0.1,
                              "RelativeDarkLuminanceThreshold": 0.8},
                "RedSaturation": {"FlashThreshold": 20, "RedDarkThreshold": 321},
                "FlashDetection": {"AreaProportion": 0.25},
                "TransitionTracker": {"MaxTransitions": 6, "MinTransitions": 4,
                                      "ExtendedFailSeconds": 4, "ExtendedFailWindow": 5},
            },
            no_such_field=1,
        )  # fmt: skip


def test_uint8_codes_and_float_frames_agree() -> None:
    frames = clips.with_flashes(clips.static_clip(40), 5, 34, period=4)
    from_float = FlashAnalyser(FPS)
    from_codes = FlashAnalyser(FPS)
    for frame in frames:
        from_float.push(frame)
        from_codes.push(np.rint(frame * 255).astype(np.uint8))
    a, b = from_float.series(), from_codes.series()
    np.testing.assert_array_equal(a.luminance.result, b.luminance.result)
    np.testing.assert_allclose(a.luminance.mean, b.luminance.mean, atol=1e-6)
