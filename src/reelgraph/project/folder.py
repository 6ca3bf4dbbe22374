"""A project: a folder with ``brief.yaml``, media, and ``.reelgraph/`` (store + artifacts)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph.errors import ProjectError
from reelgraph.project.audit import AuditLog
from reelgraph.project.brief import TEMPLATE, Brief, load_brief
from reelgraph.project.store import Store

STATE_DIR = ".reelgraph"


@dataclass
class Project:
    root: Path
    store: Store
    audit: AuditLog

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    @property
    def artifacts(self) -> Path:
        return self.state / "artifacts"

    @property
    def tmp(self) -> Path:
        return self.state / "tmp"

    @property
    def deliverables(self) -> Path:
        return self.root / "deliverables"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def brief_path(self) -> Path:
        return self.root / "brief.yaml"

    def brief(self) -> Brief:
        return load_brief(self.brief_path)

    def variables(self, scene: str) -> dict[str, Any]:
        """A scene's variables: the brief's values, overridden by ``reelgraph set``."""
        brief_scene = next((s for s in self.brief().scenes if s.id == scene), None)
        values: dict[str, Any] = dict(brief_scene.variables) if brief_scene else {}
        return values | self.store.scene_variables(scene)

    def set_variable(self, scene: str, name: str, value: Any, *, actor: str | None = None) -> None:
        from datetime import UTC, datetime

        brief = self.brief()
        if scene not in {s.id for s in brief.scenes}:
            raise ProjectError(
                f"no scene {scene!r} in the brief",
                hint=f"scenes: {', '.join(s.id for s in brief.scenes)}",
            )
        before = self.variables(scene).get(name)
        with self.store.transaction():
            self.store.set_variable(scene, name, value, datetime.now(UTC).isoformat())
            self.audit.append(
                "set", f"{scene}.{name}", {"before": before, "after": value}, actor=actor
            )

    def close(self) -> None:
        self.store.close()


def _open(root: Path, create: bool) -> Project:
    state = root / STATE_DIR
    if create:
        (state / "artifacts").mkdir(parents=True, exist_ok=True)
        (state / "tmp").mkdir(exist_ok=True)
    store = Store(state / "project.sqlite", create=create)
    return Project(root, store, AuditLog(store, state / "audit.head"))


def init_project(root: str | Path, *, brief_text: str | None = None) -> Project:
    """Create the folder, a commented ``brief.yaml`` (unless one exists) and the store."""
    r = Path(root)
    if r.exists() and not r.is_dir():
        raise ProjectError(f"{r}: exists and is not a folder", hint="choose another path")
    r.mkdir(parents=True, exist_ok=True)
    brief = r / "brief.yaml"
    created = not brief.exists()
    if created:
        brief.write_text(brief_text or TEMPLATE, encoding="utf-8")
    project = _open(r, create=True)
    project.audit.append("init", str(r.resolve().name), {"brief_written": created})
    return project


def open_project(root: str | Path) -> Project:
    r = Path(root)
    if not (r / STATE_DIR / "project.sqlite").exists():
        raise ProjectError(
            f"{r}: not a reelgraph project",
            path=r,
            hint="create one with 'reelgraph init DIR', or pass --project DIR",
        )
    return _open(r, create=False)
