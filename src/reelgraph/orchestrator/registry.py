"""Which agents exist: the built-in ones and plugins from the ``reelgraph.agents`` entry-point
group. Loading is lazy (an agent's module is imported when first used), and a plugin that
fails to load is reported to the user, not just logged."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from reelgraph.errors import PlanError
from reelgraph.orchestrator.agent import Agent

# name → "module:Class". Each issue's agents add their line here.
BUILTIN: dict[str, str] = {
    "conform": "reelgraph.agents.conform:Conform",
    "extract_audio": "reelgraph.agents.conform:ExtractAudio",
    "grade": "reelgraph.agents.grade:Grade",
    "scene_hero": "reelgraph.agents.scene_hero:SceneHero",
    "master": "reelgraph.agents.master:Master",
    "qc": "reelgraph.agents.qc:QC",
    "loudness_measure": "reelgraph.agents.loudness:LoudnessMeasure",
    "dialogue_clean": "reelgraph.agents.loudness:DialogueClean",
    "loudness_level": "reelgraph.agents.loudness:LoudnessLevel",
    "analyse_plate": "reelgraph.agents.restore:AnalysePlate",
    "restore": "reelgraph.agents.restore:Restore",
    "join_chunks": "reelgraph.agents.restore:JoinChunks",
    "sdr_to_hdr": "reelgraph.agents.sdr_to_hdr:SdrToHdr",
    "roto": "reelgraph.agents.roto:Roto",
    "shot_detect": "reelgraph.agents.shots:ShotDetect",
    "proxy": "reelgraph.agents.proxy:Proxy",
    "programme": "reelgraph.agents.programme:Programme",
}

ENTRY_POINT_GROUP = "reelgraph.agents"


@dataclass
class Registry:
    """Name → agent class, resolved on first use. Tests add stub agents with ``extra``."""

    extra: dict[str, type[Agent]] = field(default_factory=dict)
    plugin_errors: list[str] = field(default_factory=list)
    _loaded: dict[str, type[Agent]] = field(default_factory=dict)

    def names(self) -> list[str]:
        plugins = [ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)]
        return sorted(set(BUILTIN) | set(plugins) | set(self.extra))

    def get(self, name: str) -> type[Agent]:
        if name in self.extra:
            return self.extra[name]
        if name in self._loaded:
            return self._loaded[name]
        target = BUILTIN.get(name)
        if target is None:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                if ep.name == name:
                    try:
                        cls = ep.load()
                    except Exception as exc:  # a broken plugin must not hide the rest
                        message = f"plugin agent {name!r} ({ep.value}) failed to load: {exc}"
                        self.plugin_errors.append(message)
                        raise PlanError(message, hint="reinstall or remove the plugin") from exc
                    self._loaded[name] = cls
                    return cls
            raise PlanError(
                f"unknown agent {name!r}", hint=f"known agents: {', '.join(self.names())}"
            )
        module_name, class_name = target.split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        self._loaded[name] = cls
        return cls


DEFAULT = Registry()
