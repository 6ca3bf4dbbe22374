"""The picture intermediate (half-float EXR sequences) and the master's read-ahead thread:
what a reader gets back is exactly what was written, in order, and a failure or an early
stop on either side is neither lost nor left running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import OpenEXR
import pytest

from reelgraph.errors import MediaError
from reelgraph.media.exr import (
    INTERMEDIATE_COMPRESSION,
    ExrSequenceWriter,
    read_exr,
    sequence_file,
    write_exr,
)
from reelgraph.media.prefetch import read_ahead


def _frame(rng: np.random.Generator) -> np.ndarray:
    # Super-whites and sub-blacks included: the intermediate never clamps.
    return rng.uniform(-0.1, 1.2, (18, 32, 3)).astype(np.float32)


def test_intermediate_sequence_reads_back_every_half_value_exactly(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    frames = [_frame(rng) for _ in range(3)]
    # Half's edges round as numpy rounds: overflow to inf, subnormals, ties to even.
    edges = [np.inf, -np.inf, np.nan, 65504.0, 7.0e4, 1.0e-8, 3.0e-5, 1.0 + 2.0**-11]
    frames[0][0, : len(edges), 0] = edges
    with ExrSequenceWriter(tmp_path, "video") as writer:
        for rgb in frames:
            writer.write(rgb)
    for n, rgb in enumerate(frames):
        path = tmp_path / sequence_file("video", n)
        with OpenEXR.File(str(path)) as exr:
            assert exr.header()["compression"] == OpenEXR.NO_COMPRESSION
        back, chroma = read_exr(path)
        assert back.dtype == np.float32 and chroma is not None
        with np.errstate(over="ignore"):  # 7e4 overflows to inf, as it must
            np.testing.assert_array_equal(back, rgb.astype(np.float16).astype(np.float32))
    assert INTERMEDIATE_COMPRESSION == "none"


@pytest.mark.parametrize("compression", ["piz", "zips", "rle"])
def test_intermediates_written_with_another_compression_still_read(
    tmp_path: Path, rng: np.random.Generator, compression: str
) -> None:
    # Artifacts stored by earlier versions are PIZ: the reader takes any lossless codec.
    rgb = _frame(rng)
    with ExrSequenceWriter(tmp_path, "old", compression=compression) as writer:
        writer.write(rgb)
    back, _ = read_exr(tmp_path / sequence_file("old", 0))
    np.testing.assert_array_equal(back, rgb.astype(np.float16).astype(np.float32))


def test_unknown_exr_compression_is_refused_with_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="compression 'dwaa'") as info:
        write_exr(tmp_path / "x.exr", np.zeros((2, 2, 3), np.float32), compression="dwaa")
    assert "none" in str(info.value.hint)
    assert not (tmp_path / "x.exr").exists()


def test_read_ahead_keeps_order_and_stays_within_its_window() -> None:
    made: list[int] = []

    def source() -> Iterator[int]:
        for n in range(40):
            made.append(n)
            yield n

    seen = []
    for item in read_ahead(source(), depth=2):
        # The producer is never more than the queue plus the item in hand ahead.
        assert len(made) <= item + 1 + 2 + 1
        seen.append(item)
    assert seen == list(range(40))


def test_read_ahead_raises_the_producers_error_in_the_reader() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise MediaError("frame 2 is damaged", hint="re-export")

    got = []
    with pytest.raises(MediaError, match="frame 2 is damaged"):
        for item in read_ahead(source()):
            got.append(item)
    assert got == [1]


def test_a_reader_that_stops_early_stops_and_closes_the_producer() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = read_ahead(source())
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert closed.wait(5.0)
    assert not any(t.name == "reelgraph-read-ahead" for t in threading.enumerate())
