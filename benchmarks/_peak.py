"""Peak memory and CPU time of a command, measured as the command's own.

Linux keeps a process's peak resident size across ``exec`` (``getrusage`` and ``wait4``
report the larger of the parent's peak at the fork and the new program's), so a command
started from a benchmark that has just made a 2160p clip reports the benchmark's peak, not
its own. The command is therefore started from a small launcher process: the launcher's
peak (a bare Python, ~10 MB) is the floor the command inherits.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

LAUNCHER = r"""
import json, os, sys, time
report, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as out:
    json.dump({"peak_rss_mb": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
               "seconds": time.perf_counter() - start,
               "returncode": os.waitstatus_to_exitcode(status)}, out)
"""


def measured(command: list[str]) -> tuple[dict[str, float], str]:
    """Run ``command``; its peak RSS (MB), CPU and wall seconds, and its standard output.
    A failing command raises :class:`subprocess.CalledProcessError`."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "usage.json"
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(report), *command],
            capture_output=True,
            text=True,
        )
        usage = json.loads(report.read_text())
    if usage["returncode"] != 0:
        raise subprocess.CalledProcessError(
            int(usage["returncode"]), command, done.stdout, done.stderr
        )
    return usage, done.stdout
