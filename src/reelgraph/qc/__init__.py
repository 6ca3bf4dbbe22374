"""Frame-level QC of finished files: profiles per delivery spec, the checks, the report.

The layers, in the order data flows:

* :mod:`reelgraph.qc.profiles` — which checks a delivery spec's QC profile runs, with
  which limits, and the standard each limit comes from;
* :mod:`reelgraph.qc.run` — :func:`check_file`: one streaming pass over the picture
  (:class:`reelgraph.algorithms.qc.VideoQC`), then the sound
  (:mod:`reelgraph.qc.audio_checks`) and the format (:mod:`reelgraph.qc.spec_check`);
* :mod:`reelgraph.qc.result` — :class:`QCResult` and its ``reelgraph.QC.1`` document;
* :mod:`reelgraph.qc.report` — the HTML report with plots, thumbnails and CSV files.

``reelgraph qc FILE`` and the ``qc`` agent of the orchestrator both call
:func:`check_file`.
"""

from reelgraph.qc.profiles import PROFILES, QCProfile, get_profile, profile_for_spec
from reelgraph.qc.result import SCHEMA, QCResult
from reelgraph.qc.run import DEFAULT_SPEC, check_file, qc_metrics

__all__ = [
    "DEFAULT_SPEC",
    "PROFILES",
    "SCHEMA",
    "QCProfile",
    "QCResult",
    "check_file",
    "get_profile",
    "profile_for_spec",
    "qc_metrics",
]
