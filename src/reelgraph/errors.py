"""One root error and its family.

Every error carries structured attributes (``path``, ``stream``, ``frame``, ``node``) and a
``hint`` that says what to do next. Subclasses also inherit the matching built-in so callers
can catch what they expect (``except FileNotFoundError`` still works). The library never
exits; the CLI turns these into ``error:`` and ``hint:`` lines and a non-zero exit code.
"""

from __future__ import annotations

from pathlib import Path


class ReelgraphError(Exception):
    """Root of every error reelgraph raises on purpose."""

    default_hint = "run the command with --debug for details"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | Path | None = None,
        stream: int | None = None,
        frame: int | None = None,
        node: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint
        self.path = str(path) if path is not None else None
        self.stream = stream
        self.frame = frame
        self.node = node

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path and self.path not in self.message else ""
        return f"{where}{self.message}"


class MediaError(ReelgraphError, ValueError):
    """A media file cannot be read or written as asked."""

    default_hint = "check that the file is a complete, playable media file (reelgraph probe FILE)"


class MediaNotFoundError(ReelgraphError, FileNotFoundError):
    """A media path does not exist or is not a file."""

    default_hint = "check the path; media paths in brief.yaml are relative to the project folder"


class UnsupportedMediaError(MediaError):
    """The file decodes but is of a kind reelgraph refuses (e.g. variable frame rate)."""


class BriefError(ReelgraphError, ValueError):
    """brief.yaml is missing, malformed or invalid."""

    default_hint = "compare with the template written by 'reelgraph init' (docs/brief.md)"


class ProjectError(ReelgraphError, FileNotFoundError):
    """The folder is not a reelgraph project, or the project store is unusable."""

    default_hint = "create a project with 'reelgraph init DIR' or pass --project DIR"


class PlanError(ReelgraphError, ValueError):
    """A plan cannot be built or is inconsistent (cycle, unknown agent, bad parameter)."""


class AgentError(ReelgraphError, RuntimeError):
    """An agent failed while running a node."""


class BudgetError(ReelgraphError):
    """The work does not fit the budget."""

    default_hint = "raise the budget with --budget USD or in brief.yaml, or run fewer shots"


class AuditError(ReelgraphError):
    """The audit log failed verification."""

    default_hint = "the log was edited outside reelgraph; restore .reelgraph/ from a backup"


class AlgorithmError(ReelgraphError, ValueError):
    """An algorithm was called with an unknown method or invalid arguments."""

    default_hint = "see the function's docstring for valid methods and arguments"


class UsageError(ReelgraphError, ValueError):
    """A command was given arguments it cannot use (an unknown option, a value out of range,
    options that contradict each other). Nothing has been read or written yet."""

    default_hint = "see the command's --help"
