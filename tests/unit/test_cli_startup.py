"""``reelgraph --help`` answers at once: listing the commands imports no command module
and none of the heavy libraries (numpy, SciPy, PyAV, OpenCV, rich) that the commands need.
A wrong argument is a usage error (``error:`` + ``hint:``, exit 2), not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from reelgraph.cli.main import COMMANDS, build_parser, main

HEAVY = ("numpy", "scipy", "av", "cv2", "rich", "reelgraph.cli.common")

PROBE = """
import json, sys
from reelgraph.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _imported(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_top_level_help_imports_no_heavy_library() -> None:
    modules = _imported("--help")
    assert "reelgraph.cli.main" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY)
    assert not heavy, f"'reelgraph --help' imported {heavy}"
    commands = sorted(
        m for m in modules if m.startswith("reelgraph.cli.") and m != "reelgraph.cli.main"
    )
    assert not commands, f"'reelgraph --help' imported command modules {commands}"


def test_a_command_imports_only_its_own_module() -> None:
    modules = _imported("probe", "--help")
    assert "reelgraph.cli.probe" in modules
    others = {f"reelgraph.cli.{module}" for module, _ in COMMANDS.values()}
    others.discard("reelgraph.cli.probe")
    assert not others & modules, f"'reelgraph probe --help' imported {sorted(others & modules)}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_registers_and_lists_its_help(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser(name)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([name, "--help"])
    assert exited.value.code == 0
    assert "usage: reelgraph " + name in capsys.readouterr().out


def test_bad_arguments_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qc"]) == 2  # FILE missing
    err = capsys.readouterr().err
    assert "error: the following arguments are required: file" in err
    assert "hint: see 'reelgraph qc --help'" in err
    assert "Traceback" not in err and "usage:" not in err
    assert main(["no-such-command"]) == 2
    assert "hint: see 'reelgraph --help'" in capsys.readouterr().err
