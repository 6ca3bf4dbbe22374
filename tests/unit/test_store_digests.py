"""The artifact store reads a settled file once per process, and still finds damage."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reelgraph.orchestrator import cache
from reelgraph.orchestrator.cache import ArtifactStore, file_sha256, stored_sha256


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Files the store hashed (read in full), in order."""
    seen: list[Path] = []

    def counting(path: Path, chunk: int = 1 << 20) -> str:
        seen.append(path)
        return file_sha256(path, chunk)

    monkeypatch.setattr(cache, "file_sha256", counting)
    monkeypatch.setattr(cache, "_digest_memo", {})
    return seen


def _settled(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    return path


def test_a_settled_frame_and_its_hard_links_are_read_once(
    tmp_path: Path, reads: list[Path]
) -> None:
    frame = _settled(tmp_path / "video.000001.exr", b"frame" * 1000)
    link = tmp_path / "view.000001.exr"
    os.link(frame, link)  # what a view does with its upstream's frames
    digest = stored_sha256(frame)
    assert stored_sha256(frame) == stored_sha256(link) == digest
    assert reads == [frame]


def test_a_frame_written_just_now_is_read_every_time(tmp_path: Path, reads: list[Path]) -> None:
    frame = tmp_path / "video.000001.exr"
    frame.write_bytes(b"frame" * 1000)
    stored_sha256(frame)
    stored_sha256(frame)
    assert reads == [frame, frame]


def test_damage_in_place_is_found_after_the_digest_was_kept(
    tmp_path: Path, reads: list[Path]
) -> None:
    store = ArtifactStore(tmp_path / "artifacts", tmp_path / "tmp")
    work = store.new_workdir("ab" * 32)
    _settled(work / "video.000001.exr", b"frame" * 1000)
    artifact = store.commit("ab" * 32, work, {"output": {}})
    assert store.load(artifact.key) is not None  # verified from the kept digest
    assert len(reads) == 1
    frame = artifact.path / "video.000001.exr"
    frame.write_bytes(b"FRAME" * 1000)  # same size, new bytes (and a new modification time)
    assert store.load(artifact.key) is None  # damaged: removed, to be recomputed
    assert not artifact.path.exists()
