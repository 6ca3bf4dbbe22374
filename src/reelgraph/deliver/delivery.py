"""Deliver: copy approved, cleared masters to ``deliverables/`` with a manifest and checksums;
and the programme (the cut as one master) with its timelines (``programme.otio``, ``.edl``,
``.fcpxml``: :mod:`reelgraph.deliver.timelines`) once every take in it is delivered and its
QC has no ``fail``.

A shot is delivered only when its sources' rights are cleared (or the override is given,
which is audited), its QC in the run has no ``fail`` finding (or a person approved that
exact master despite it), and, when the brief asks for approval, a person approved that
exact master (its artifact key).

Every file is checked against the checksum its artifact's manifest recorded, before any
file is copied (a damaged master refuses the whole delivery, and nothing is changed) and
again on the copy (a failing disk or full volume is not shipped).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelgraph.deliver.mattes import matte_plan, plate_with_alpha
from reelgraph.deliver.provenance import Credentials, seal_delivery, sign_masters
from reelgraph.deliver.timelines import (
    commit,
    discard,
    programme_clips_delivered,
    write_timelines,
)
from reelgraph.errors import ProjectError
from reelgraph.orchestrator.cache import file_sha256
from reelgraph.plan.timeline import PROGRAMME_NODE, PROGRAMME_QC_NODE
from reelgraph.project.folder import Project

SCHEMA = "reelgraph.Delivery.1"
#: The programme's name among the delivered items (and its files' stem).
PROGRAMME = "programme"


@dataclass
class DeliveryResult:
    delivered: list[str] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)  # shot → reason
    folder: Path | None = None


def _rights_problem(rights: dict[str, Any] | None) -> str | None:
    if rights is None:
        return "no rights recorded for its source"
    if not rights.get("cleared"):
        return "its source's rights are not cleared"
    return None


def _qc_problem(project: Project, run_id: int, shot: str) -> str | None:
    """Why the shot's QC in this run does not allow delivery, or None: a QC node that did
    not finish, or findings of severity ``fail``."""
    nodes = sorted(project.store.nodes(run_id, shot=shot, agent="qc"), key=lambda n: n.node_id)
    for node in nodes:
        if node.outcome not in ("ran", "cached"):
            return f"its QC did not complete ({node.reason or node.outcome})"
    fails = [
        row
        for node in nodes
        for row in project.store.findings(run_id, node_ids=(node.node_id,), severity="fail")
    ]
    if not fails:
        return None
    listed = ", ".join(f"{f.check_name} {f.start_tc}–{f.end_tc}" for f in fails[:3])
    more = f" and {len(fails) - 3} more" if len(fails) > 3 else ""
    return f"QC failed: {listed}{more}"


def deliver(
    project: Project,
    run_id: int,
    *,
    override_rights: bool = False,
    sign: Credentials | None = None,
    actor: str | None = None,
) -> DeliveryResult:
    brief = project.brief()
    result = DeliveryResult(folder=project.deliverables)
    masters = sorted(
        (
            n
            for n in project.store.nodes(run_id, agent="master")
            if n.outcome in ("ran", "cached") and n.shot is not None and n.key is not None
        ),
        key=lambda n: n.node_id,
    )
    shots = {r.id: r for r in project.store.shots()}
    rights = {r.id: r.rights for r in project.store.sources()}
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "project": brief.project,
        "delivery": brief.delivery,
        "run": run_id,
        "items": [],
    }
    accepted: list[tuple[str, str, str, str | None]] = []  # shot, key, source, rights problem
    for row in masters:
        shot, key = str(row.shot), str(row.key)
        source = shots[shot].source
        problem = _rights_problem(rights.get(source))
        if problem and not override_rights:
            result.held[shot] = problem + " (deliver with --override-rights to force; audited)"
            continue
        decisions = project.store.reviews(shot=shot, key=key)
        review = decisions[-1].decision if decisions else None
        approved = review == "approve"
        qc_problem = _qc_problem(project, run_id, shot)
        if qc_problem and not approved:
            result.held[shot] = (
                f"{qc_problem} — see 'reelgraph status'; deliver it anyway with "
                f"'reelgraph review approve {shot}'"
                if review is None
                else f"{qc_problem}; review: {review}"
            )
            continue
        if brief.review.require_approval and not approved:
            result.held[shot] = "waiting for approval" if review is None else f"review: {review}"
            continue
        accepted.append((shot, key, source, problem))
    # Check every file before copying any: a damaged master refuses the delivery whole.
    checked = {key: _verified_files(project, shot, key) for shot, key, _, _ in accepted}
    how = brief.delivery_spec().mattes
    mattes = {
        shot: matte_plan(project, run_id, shot, checked[key], how, _verified_files)
        for shot, key, _, _ in accepted
    }
    project.deliverables.mkdir(exist_ok=True)
    # The programme and its timelines are checked (and the timelines written beside their
    # places and read back) before any file is copied, too.
    programme = _prepare_programme(
        project, run_id, {shot: checked[key] for shot, key, _, _ in accepted}, result
    )
    try:
        for shot, key, source, problem in accepted:
            if problem:
                project.audit.append(
                    "rights_override", shot, {"source": source, "problem": problem}, actor=actor
                )
            files, matte = [], mattes[shot]
            for name, info in checked[key].items():
                source_file = project.artifacts / key[:2] / key / name
                frame = matte.matte_for(name) if matte else None
                if matte and frame is not None:  # the plate with its matte as A
                    target = project.deliverables / name
                    files.append(plate_with_alpha(source_file, matte.folder / frame, target, shot))
                    continue
                _copy_verified(source_file, project.deliverables, shot, info)
                files.append({"file": name, "sha256": info["sha256"], "size": info["size"]})
            item: dict[str, Any] = {
                "shot": shot,
                "key": key,
                "source": source,
                "rights": rights.get(source),
                "files": files,
                "recipe": _recipe(project, key),
            }
            if matte is not None:
                sent = [f["file"] for f in files if "alpha" in f]
                if matte.how == "files":
                    for name in matte.by_frame.values():
                        recorded = matte.files[name]
                        _copy_verified(matte.folder / name, project.deliverables, shot, recorded)
                        files.append(
                            {"file": name, "sha256": recorded["sha256"], "size": recorded["size"]}
                        )
                        sent.append(name)
                item["mattes"] = matte.manifest_entry(sent)
            manifest["items"].append(item)
            result.delivered.append(shot)
            delivered_files = [f["file"] for f in files]
            project.audit.append(
                "deliver", shot, {"key": key, "files": delivered_files}, actor=actor
            )
    except BaseException:
        if programme is not None:  # its timelines, written beside their places
            discard(programme.timelines)
        raise
    if programme is not None:
        manifest["items"].append(_deliver_programme(project, programme, result, actor))
    if sign is not None:  # C2PA manifests in the masters; their checksums follow
        sign_masters(project, project.deliverables, manifest["items"], sign, actor=actor)
    # Keep the entries of shots delivered earlier and not re-delivered now.
    previous = project.deliverables / "manifest.json"
    if previous.exists():
        delivered_now = {item["shot"] for item in manifest["items"]}
        kept = [
            i
            for i in json.loads(previous.read_text()).get("items", [])
            if i["shot"] not in delivered_now
        ]
        manifest["items"] = kept + manifest["items"]
    (project.deliverables / "manifest.json").write_text(json.dumps(manifest, indent=2))
    with (project.deliverables / "SHA256SUMS").open("w") as sums:
        for item in manifest["items"]:
            for f in item["files"]:
                sums.write(f"{f['sha256']}  {f['file']}\n")
    seal_delivery(project.deliverables, comment=f"reelgraph deliver, run {run_id}")  # ASC MHL
    return result


@dataclass
class _Programme:
    key: str
    files: dict[str, dict[str, Any]]
    timelines: dict[str, list[str]]  # temporary file → what its format does not carry
    clips: list[dict[str, Any]]


def _prepare_programme(
    project: Project,
    run_id: int,
    accepted: dict[str, dict[str, dict[str, Any]]],
    result: DeliveryResult,
) -> _Programme | None:
    """The run's programme, checked, with its timelines written beside their places and
    read back; None (and the reason in ``result.held``) when it cannot be delivered."""
    node = project.store.node(run_id, PROGRAMME_NODE)
    if node is None:
        return None  # a run of some shots only (--shots) makes no programme
    if node.outcome not in ("ran", "cached") or node.key is None:
        result.held[PROGRAMME] = f"it was not rendered ({node.outcome}): see reelgraph status"
        return None
    fails = project.store.findings(
        run_id, node_ids=(PROGRAMME_NODE, PROGRAMME_QC_NODE), severity="fail"
    )
    qc = project.store.node(run_id, PROGRAMME_QC_NODE)
    if qc is None or qc.outcome not in ("ran", "cached") or fails:
        listed = ", ".join(f"{f.check_name} {f.start_tc or ''}".strip() for f in fails[:3])
        result.held[PROGRAMME] = (
            f"QC failed: {listed}" if fails else "its QC did not complete"
        ) + " — see the programme's QC report (reelgraph status)"
        return None
    files = _verified_files(project, PROGRAMME, node.key)
    clips, timeline = programme_clips_delivered(project, run_id, node.key, accepted)
    if isinstance(clips, str):
        result.held[PROGRAMME] = clips
        return None
    return _Programme(
        node.key, files, write_timelines(timeline, project.deliverables, PROGRAMME), clips
    )


def _deliver_programme(
    project: Project, programme: _Programme, result: DeliveryResult, actor: str | None
) -> dict[str, Any]:
    folder = project.artifacts / programme.key[:2] / programme.key
    files = []
    for name, info in programme.files.items():
        _copy_verified(folder / name, project.deliverables, PROGRAMME, info)
        files.append({"file": name, "sha256": info["sha256"], "size": info["size"]})
    carried: dict[str, list[str]] = {}
    for path in commit(programme.timelines):
        files.append({"file": path.name, "sha256": file_sha256(path), "size": path.stat().st_size})
    for tmp, lost in programme.timelines.items():
        carried[Path(tmp).name[1:].removesuffix(".tmp")] = lost
    result.delivered.append(PROGRAMME)
    project.audit.append(
        "deliver",
        PROGRAMME,
        {"key": programme.key, "files": [f["file"] for f in files]},
        actor=actor,
    )
    return {
        "shot": PROGRAMME,
        "key": programme.key,
        "files": files,
        "clips": programme.clips,
        "timelines_do_not_carry": carried,
        "recipe": _recipe(project, programme.key),
    }


def _verified_files(project: Project, shot: str, key: str) -> dict[str, dict[str, Any]]:
    """The artifact's files as its manifest records them, each checked against its checksum."""
    folder = project.artifacts / key[:2] / key
    hint = (
        "run 'reelgraph run' again: a damaged artifact is detected and rendered anew "
        "(with the same key), then deliver"
    )
    try:
        files: dict[str, dict[str, Any]] = json.loads((folder / "manifest.json").read_text())[
            "files"
        ]
    except (OSError, ValueError, KeyError) as exc:
        raise ProjectError(
            f"shot {shot}: its master's artifact {key[:12]} is missing or has no readable "
            "manifest; nothing was delivered",
            path=folder,
            hint=hint,
        ) from exc
    for name, info in files.items():
        item = folder / name
        if not item.is_file() or file_sha256(item) != info["sha256"]:
            raise ProjectError(
                f"shot {shot}: {name} in artifact {key[:12]} does not match the checksum its "
                "manifest recorded (damaged or edited since it was rendered); nothing was "
                "delivered",
                path=item,
                hint=hint,
            )
    return files


def _copy_verified(source: Path, folder: Path, shot: str, info: dict[str, Any]) -> None:
    """Copy beside the target, check the copy's checksum, then rename it into place."""
    target = folder / source.name
    tmp = target.with_name(f".{source.name}.tmp")
    shutil.copyfile(source, tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    if file_sha256(tmp) != info["sha256"]:
        tmp.unlink(missing_ok=True)
        raise ProjectError(
            f"shot {shot}: the copy of {source.name} in {folder} does not match its checksum; "
            "it was not delivered",
            path=target,
            hint="check the free space and health of the deliverables' disk, then deliver again",
        )
    os.replace(tmp, target)


def _recipe(project: Project, key: str) -> list[dict[str, Any]]:
    """Every agent, version and parameter upstream of an artifact (walking manifests)."""
    seen: dict[str, dict[str, Any]] = {}
    stack = [key]
    while stack:
        k = stack.pop()
        if k in seen or k.startswith("source:"):
            continue
        path = project.artifacts / k[:2] / k / "manifest.json"
        if not path.exists():
            continue
        m = json.loads(path.read_text())
        seen[k] = {
            "key": k,
            "agent": m["agent"],
            "version": m["version"],
            "params": m["params"],
            "variables": m.get("variables", {}),
            "sources": m.get("sources", []),
            "libraries": m.get("libraries", {}),
        }
        stack.extend(m.get("inputs", []))
    return list(seen.values())


def verify_deliverables(folder: Path) -> list[str]:
    """Files whose checksum no longer matches SHA256SUMS."""
    bad = []
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        if not (folder / name).exists() or file_sha256(folder / name) != digest:
            bad.append(name)
    return bad
