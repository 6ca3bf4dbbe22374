"""Progress bars of the commands: drawn on a terminal, counting frames, erased when the work
is done; never written into a log or a pipe, nor with --quiet/--json."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from reelgraph.cli import common


def _stderr(monkeypatch: pytest.MonkeyPatch, *, terminal: bool) -> io.StringIO:
    screen = io.StringIO()
    monkeypatch.setattr(common, "console", Console(file=screen, force_terminal=terminal, width=100))
    return screen


def test_a_frames_bar_counts_frames_on_a_terminal_and_is_erased_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = _stderr(monkeypatch, terminal=True)
    with common.frames_bar("roto", total=0) as update:  # a clip of unknown length
        update(3, 4)
    drawn = screen.getvalue()
    assert "roto" in drawn
    assert "0/1" in drawn  # an unknown total is shown as 1, not divided by
    assert "3/4" in drawn and "frames" in drawn
    assert drawn.endswith("\x1b[2K")  # the last line is cleared: nothing left behind


@pytest.mark.parametrize("terminal, silent", [(True, True), (False, False)])
def test_no_bar_when_silent_or_when_stderr_is_a_log(
    monkeypatch: pytest.MonkeyPatch, terminal: bool, silent: bool
) -> None:
    screen = _stderr(monkeypatch, terminal=terminal)
    with common.frames_bar("match", silent=silent) as update:
        update(5, 10)
    with common.ProgressView(quiet=silent):
        pass
    assert screen.getvalue() == ""
