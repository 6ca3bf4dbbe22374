"""Content-addressed cache keys and the on-disk artifact store.

Key = SHA-256 over the agent's name and version, its canonical parameters, the values of
the scene variables it reads, the ordered keys of its input artifacts, the fingerprints
of the sources it reads directly and the SHA-256 of every model file its parameters name.
Since input keys are themselves such hashes, a key names the whole recipe upstream of it:
change one parameter, variable or model's weights and exactly that node and its
descendants get new keys.

An artifact is a folder ``artifacts/<k[:2]>/<key>/`` holding the output files and
``manifest.json`` (agent, version, params, inputs, library versions, sha256 of every
file). It is written in ``tmp/`` and renamed into place only when complete; reading
re-verifies the checksums, and a corrupt or partial artifact is removed and recomputed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelgraph import __version__
from reelgraph.project.store import dumps

MANIFEST = "manifest.json"
MANIFEST_SCHEMA = "reelgraph.Manifest.1"


def cache_key(
    agent: str,
    version: str,
    params: Mapping[str, Any],
    variables: Mapping[str, Any],
    input_keys: Sequence[str],
    source_fingerprints: Sequence[str],
    model_digests: Sequence[str] = (),
) -> str:
    recipe: dict[str, Any] = {
        "agent": agent,
        "version": version,
        "params": params,
        "variables": variables,
        "inputs": list(input_keys),
        "sources": list(source_fingerprints),
    }
    if model_digests:  # absent otherwise, so keys of model-free agents stay as they were
        recipe["models"] = list(model_digests)
    return hashlib.sha256(dumps(recipe).encode()).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


#: How old a file's modification time must be, when it is hashed, for its digest to be
#: reused (see :func:`stored_sha256`). File times come from a coarse clock (a few ms): a
#: file hashed in the tick it was written could be written again without its time
#: changing (git's "racily clean" entries are re-hashed for the same reason).
DIGEST_SETTLED_S = 2.0
#: Digests kept per process (a 90-minute 4K feature is ~130 000 frame files).
_DIGEST_MEMO_SIZE = 250_000
_digest_memo: dict[tuple[int, int], tuple[int, int, str]] = {}


def stored_sha256(path: Path) -> str:
    """SHA-256 of a file of the artifact store, reusing this process's earlier digest of
    the same file (device and inode: hard links share it) while its size and modification
    time are unchanged and that time had settled when it was hashed. An artifact's frames
    are verified when written, when read back, and again by every view linking them; a
    file damaged in place gets a new modification time and is read again. Deliveries
    verify with :func:`file_sha256`, never with this."""
    stat = path.stat()
    ident = (stat.st_dev, stat.st_ino)
    known = _digest_memo.get(ident)
    if known is not None and known[:2] == (stat.st_size, stat.st_mtime_ns):
        return known[2]
    digest = file_sha256(path)
    if time.time_ns() - stat.st_mtime_ns > DIGEST_SETTLED_S * 1e9:
        if len(_digest_memo) >= _DIGEST_MEMO_SIZE:
            _digest_memo.pop(next(iter(_digest_memo)))  # the oldest entry
        _digest_memo[ident] = (stat.st_size, stat.st_mtime_ns, digest)
    return digest


def model_digest(path: Path) -> str:
    """SHA-256 of a model file, refusing a missing one before any work is planned."""
    from reelgraph.errors import PlanError

    try:
        stat = path.stat()
    except OSError as exc:
        raise PlanError(
            f"{path}: model file not found ({exc.strerror})",
            path=path,
            hint="give the absolute path of an existing model file",
        ) from exc
    # Weights are large and a run keys every node more than once: hash each version once.
    return _model_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _model_digest(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(Path(path))


def library_versions() -> dict[str, str]:
    """Versions of everything that can change an artifact's bytes."""
    import av
    import cv2
    import numpy

    return {
        "reelgraph": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pyav": av.__version__,
        "libavcodec": ".".join(map(str, av.library_versions["libavcodec"])),
        "opencv": cv2.__version__,
    }


@dataclass(frozen=True)
class Artifact:
    key: str
    path: Path
    manifest: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.manifest["output"])

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.manifest.get("metrics", {}))


class ArtifactStore:
    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.tmp = tmp

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / key

    def new_workdir(self, key: str) -> Path:
        """A fresh private folder for a node to write into."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        work = self.tmp / f"{key[:16]}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        work.mkdir()
        return work

    def commit(self, key: str, workdir: Path, manifest: dict[str, Any]) -> Artifact:
        """Checksum the files, write the manifest, fsync, and rename into place."""
        files = {}
        for item in sorted(workdir.iterdir()):
            if item.is_file() and item.name != MANIFEST:
                files[item.name] = {"sha256": stored_sha256(item), "size": item.stat().st_size}
                with item.open("rb") as handle:
                    os.fsync(handle.fileno())
        full = {"schema": MANIFEST_SCHEMA, "key": key, **manifest, "files": files}
        (workdir / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True, default=str))
        final = self.path_for(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(workdir, final)
        except OSError:
            # Another worker finished the same key first; identical recipe, keep theirs.
            shutil.rmtree(workdir, ignore_errors=True)
        return Artifact(key, final, full)

    def load(self, key: str, *, verify: bool = True) -> Artifact | None:
        """The artifact if present and intact; a damaged one is removed (→ recompute)."""
        final = self.path_for(key)
        manifest_path = final / MANIFEST
        if not manifest_path.is_file():
            if final.exists():
                self.discard(key)
            return None
        try:
            manifest = json.loads(manifest_path.read_text())
            files = manifest["files"]
            if verify:
                for name, expected in files.items():
                    item = final / name
                    if (
                        not item.is_file()
                        or item.stat().st_size != expected["size"]
                        or stored_sha256(item) != expected["sha256"]
                    ):
                        raise ValueError(f"{name} does not match its checksum")
        except (ValueError, KeyError, OSError):
            self.discard(key)
            return None
        return Artifact(key, final, manifest)

    def discard(self, key: str) -> None:
        final = self.path_for(key)
        if final.exists():
            trash = self.tmp / f"discard.{key[:16]}.{uuid.uuid4().hex[:8]}"
            self.tmp.mkdir(parents=True, exist_ok=True)
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)

    def sweep_tmp(self) -> None:
        """Remove leftovers of killed processes (never renamed into place, so never used).

        Work folders are named ``<key>.<pid>.<random>``; those of live processes (another
        run of the same project) are left alone."""
        import psutil

        if not self.tmp.exists():
            return
        for item in self.tmp.iterdir():
            parts = item.name.split(".")
            pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
            if pid is None or not psutil.pid_exists(pid):
                shutil.rmtree(item, ignore_errors=True)
