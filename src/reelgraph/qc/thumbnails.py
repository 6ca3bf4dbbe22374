"""Thumbnails of the frames findings start on, taken in the same decoding pass as the checks.

Which frames a finding starts on is known only when the whole series is evaluated (a
black run becomes a finding once it has lasted two seconds; a flash finding spans the
transitions of its worst window). So while the checks stream, every frame is reduced to a
small JPEG (a few kilobytes) and appended to an anonymous temporary file; memory holds one
offset per frame, whatever the clip length. At the end the frames the findings need are
read back and written into the report folder; the temporary file is deleted on close.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["ThumbnailSpool"]

#: Width of a thumbnail in pixels (height follows the picture's aspect ratio).
THUMBNAIL_WIDTH = 240
JPEG_QUALITY = 85


class ThumbnailSpool:
    """Append-only store of one small JPEG per frame, on disk."""

    def __init__(self, width: int = THUMBNAIL_WIDTH) -> None:
        self.width = width
        # Closed by close() / the context manager; deleted by the OS even after a crash.
        self._file = tempfile.TemporaryFile(prefix="reelgraph-thumbs-")  # noqa: SIM115
        self._offsets: list[tuple[int, int]] = []

    def add(self, rgb: NDArray[np.float32]) -> None:
        """Store the next frame (float32 R′G′B′ in [0, 1], any size)."""
        height, width = rgb.shape[:2]
        size = (self.width, max(2, round(height * self.width / max(1, width))))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        codes = np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)
        ok, buffer = cv2.imencode(
            ".jpg", codes[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        )
        if not ok:  # pragma: no cover - OpenCV's JPEG encoder does not fail on 8-bit BGR
            buffer = np.zeros(0, np.uint8)
        position = self._file.seek(0, 2)
        self._file.write(buffer.tobytes())
        self._offsets.append((position, int(buffer.size)))

    def __len__(self) -> int:
        return len(self._offsets)

    def write(self, index: int, path: Path) -> bool:
        """Write frame ``index``'s thumbnail to ``path``; ``False`` if it was never added."""
        if not 0 <= index < len(self._offsets) or self._offsets[index][1] == 0:
            return False
        position, size = self._offsets[index]
        self._file.seek(position)
        path.write_bytes(self._file.read(size))
        return True

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ThumbnailSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
