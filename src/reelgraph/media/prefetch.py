"""Read ahead: decode the next frames in a background thread while the caller encodes.

A master's frame is decoded (an EXR read, a view's per-pixel operations, a fit) and then
encoded; done one after the other, the decoder waits for the encoder and the encoder for
the decoder. The libraries doing the work (OpenEXR, numpy, OpenCV, FFmpeg through PyAV)
release the GIL, so a thread running the reading side overlaps the two on a machine with a
free core. The queue between them is bounded (:data:`READ_AHEAD` frames), so memory stays a
window of frames whatever the clip's length; frames come out in order, so the output is
the same file with or without the thread.

Written here because the standard library's executors submit whole tasks (they would hold
every frame of a clip); what is needed is one producer, one bounded queue and errors and
early stops passed across.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")

#: Finished frames waiting for the encoder. One is enough for the overlap (the producer is
#: already making the next one); each more costs a frame of memory (100 MB at 2160p float).
READ_AHEAD = 1

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterable[T], depth: int = READ_AHEAD) -> Iterator[T]:
    """The items of ``items`` in order, produced by a background thread at most ``depth``
    ahead of the caller. An error raised while producing is raised here; a caller that
    stops early stops the thread (and closes ``items``).

    >>> list(read_ahead(iter(range(5))))
    [0, 1, 2, 3, 4]
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failed(exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="reelgraph-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                handoff.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)
