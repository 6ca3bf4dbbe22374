"""QC: check a shot's master against its delivery spec's QC profile.

Runs :func:`reelgraph.qc.check_file` on the master (picture, sound and format) and returns

* ``findings`` — every finding with frames and timecodes; the runner stores them with the
  run, ``reelgraph status`` lists them, and the delivery step holds a shot whose QC has a
  ``fail`` until a reviewer approves that master;
* ``metrics`` — the numbers objectives can be set on (``flicker_global_max``,
  ``flash_fail_count``, ``loudness_lufs``, … see :func:`reelgraph.qc.qc_metrics`);
* the artifact: ``qc.json`` (``reelgraph.QC.1``) and, unless ``report`` is off, the HTML
  report (``index.html``, plots, thumbnails, ``failures.csv``) beside it.

The artifact keeps the same bytes for the same master (no time stamps), like every other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic.dataclasses import dataclass

from reelgraph.orchestrator.agent import PARAMS_CONFIG, Agent, Cost, NodeContext, Output
from reelgraph.qc.run import DEFAULT_SPEC, check_file
from reelgraph.specs.delivery import SPECS


def _known_spec(spec: str) -> str:
    if spec not in SPECS:
        raise ValueError(f"unknown delivery spec {spec!r}; valid: {', '.join(SPECS)}")
    return spec


@dataclass(frozen=True, config=PARAMS_CONFIG)
class QCParams:
    """What the ``qc`` node checks against and what it writes."""

    spec: Annotated[str, AfterValidator(_known_spec)] = DEFAULT_SPEC
    """Delivery spec whose QC profile applies (``web-sdr``, ``broadcast-ebu``, …)."""
    report: bool = True
    """Also write the HTML report (plots, thumbnails, failures.csv) into the artifact."""


class QC(Agent):
    name = "qc"
    version = "2"  # 2: luma read from the coded plane
    description = "frame-level QC of a master against its delivery spec's QC profile"
    Params = QCParams
    # About 11 ms of CPU per 1080p frame for all video checks (decode included, luma read
    # from the coded plane; benchmarks/estimates.py); the overhead is the report's plots.
    cost = Cost("megapixel_frame", 0.007, overhead_cpu_s=1.5)

    def describe_output(self, inputs: Sequence[Mapping[str, Any]], params: Any) -> dict[str, Any]:
        master = inputs[0] if inputs else {}
        return {
            "kind": "qc",
            "file": "qc.json",
            "spec": params.spec,
            "master": master.get("file"),
            "frames": master.get("frames", 0),
            "report": "index.html" if params.report else None,
        }

    def run(self, ctx: NodeContext) -> Output:
        params, master = ctx.params, ctx.inputs[0]
        frames = master.meta.get("frames")
        result = check_file(
            master.file(),
            params.spec,
            report_dir=ctx.out_dir if params.report else None,
            progress=ctx.progress,
            expected_frames=int(frames) if frames is not None else None,
            label=str(master.meta.get("file", master.file().name)),
            stamp=False,
        )
        document = result.to_dict()
        document["report"] = "index.html" if params.report else None
        (ctx.out_dir / "qc.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        meta = self.describe_output([master.meta], params)
        meta["passed"] = result.passed
        return Output(
            meta,
            metrics=result.metrics,
            findings=[finding.to_dict() for finding in result.findings],
        )
