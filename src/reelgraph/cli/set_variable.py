"""Set a scene variable (``SCENE.VARIABLE=VALUE``). The next run re-renders exactly the nodes
that read it and what depends on them."""

from __future__ import annotations

import argparse

import yaml

from reelgraph.cli.common import console, project_from
from reelgraph.cli.ingest import add_project_option
from reelgraph.errors import PlanError, ProjectError
from reelgraph.orchestrator.registry import DEFAULT, Registry

HELP = "set a scene variable: SCENE.VARIABLE=VALUE"


def register(parser: argparse.ArgumentParser) -> None:
    add_project_option(parser)
    parser.add_argument("assignment", help="e.g. rooftop.time_of_day=night")


def run(args: argparse.Namespace) -> int:
    target, sep, raw = args.assignment.partition("=")
    scene, dot, name = target.partition(".")
    if not sep or not dot or not scene or not name:
        raise ProjectError(
            f"cannot read {args.assignment!r}",
            hint="write SCENE.VARIABLE=VALUE, e.g. rooftop.time_of_day=night",
        )
    value = yaml.safe_load(raw) if raw else ""
    check_value(name, value)
    project = project_from(args)
    project.set_variable(scene, name, value)
    console.print(f"{scene}.{name} = {value!r}; run 'reelgraph run' to re-render what reads it")
    return 0


def check_value(name: str, value: object, registry: Registry = DEFAULT) -> None:
    """Refuse now, not at run time, a value that an agent reading the variable cannot use."""
    for agent_name in registry.names():
        try:
            agent = registry.get(agent_name)
        except PlanError:
            continue  # a broken plugin is reported when a plan uses it
        if name in agent.reads:
            agent.check_variable(name, value)
