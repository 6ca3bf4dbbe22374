"""Review proxies made on demand, as cached nodes: the first request for a master's (or a
source's) proxy runs the ``proxy`` agent on that artifact through the same cache key, atomic
artifact commit and checksum verification as a run; later requests find the artifact."""

from __future__ import annotations

import threading
from pathlib import Path

from reelgraph.agents.proxy import Proxy
from reelgraph.errors import AgentError, ProjectError
from reelgraph.orchestrator.agent import Work
from reelgraph.orchestrator.cache import ArtifactStore, cache_key
from reelgraph.orchestrator.executor import NodeTask, execute_node
from reelgraph.project.folder import Project

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def proxy_key(input_key: str) -> str:
    params = Proxy.params_dict(Proxy.Params())
    return cache_key(Proxy.name, Proxy.version, params, {}, [input_key], [])


def ensure_proxy(project: Project, input_key: str) -> Path:
    """The proxy file of a video artifact, made now if it is not in the cache."""
    artifacts = ArtifactStore(project.artifacts, project.tmp)
    key = proxy_key(input_key)
    with _lock(key):
        found = artifacts.load(key, verify=False)
        if found is not None:
            return found.path / str(found.meta["file"])
        source = artifacts.load(input_key)
        if source is None:
            raise ProjectError(
                f"artifact {input_key[:12]} is not in the cache",
                hint="run 'reelgraph run' again to render it",
            )
        params = Proxy.params_dict(Proxy.Params())
        task = NodeTask(
            node_id=f"proxy/{input_key[:12]}",
            agent_ref=f"{Proxy.__module__}:{Proxy.__qualname__}",
            key=key,
            params=params,
            variables={},
            inputs=[(input_key, str(source.path), source.meta)],
            artifacts_root=str(project.artifacts),
            tmp_root=str(project.tmp),
            seed=0,
            work=Work(),
        )
        result = execute_node(task)
        if not result.ok:
            raise AgentError(
                f"could not make a proxy of {input_key[:12]}: {result.error}",
                hint=result.hint or "see the server's log; re-run with --debug",
            )
        return artifacts.path_for(key) / str(result.meta["file"])


#: Width of grid thumbnails in pixels, and how many are kept in memory.
THUMBNAIL_WIDTH, THUMBNAIL_CACHE = 320, 1024
_thumbnails: dict[str, bytes] = {}


def thumbnail(project: Project, key: str) -> bytes:
    """A JPEG of the middle frame of a video artifact (kept in memory by key: artifacts
    never change, so neither does their thumbnail)."""
    cached = _thumbnails.get(key)
    if cached is not None:
        return cached
    import cv2
    import numpy as np

    from reelgraph.agents._io import frames
    from reelgraph.orchestrator.agent import Input

    artifacts = ArtifactStore(project.artifacts, project.tmp)
    found = artifacts.load(key, verify=False)
    if found is None or found.meta.get("kind") != "video":
        raise ProjectError(f"artifact {key[:12]} is not a video in the cache")
    middle = int(found.meta.get("frames", 1)) // 2
    # Through the agents' reader: a picture may be a view or an EXR sequence, not one file.
    frame = next(frames(Input(key, found.path, found.meta), start=middle, stop=middle + 1))
    height, width = frame.rgb.shape[:2]
    size = (THUMBNAIL_WIDTH, max(2, round(height * THUMBNAIL_WIDTH / width)))
    small = cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA)
    codes = np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
    ok, buffer = cv2.imencode(".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - OpenCV's JPEG encoder does not fail on 8-bit BGR
        raise ProjectError(f"could not encode a thumbnail of {key[:12]}")
    if len(_thumbnails) >= THUMBNAIL_CACHE:
        _thumbnails.pop(next(iter(_thumbnails)))
    _thumbnails[key] = data = buffer.tobytes()
    return data
