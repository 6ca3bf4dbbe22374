"""Streaming helpers shared by agents: read an input's frames, write a video artifact, and
views — artifacts that describe a picture instead of storing it.

A per-pixel step (conform's cut and colour conversion, grade's CDL, SDR→HDR's mapping)
would otherwise pay a full lossless encode and decode of every frame. Its artifact is a
*view* instead: ``view.json`` (schema ``reelgraph.View.1``) naming the frame ranges of real
picture files and the chain of per-pixel operations to apply to them, plus those files
themselves, hard-linked into the artifact folder. Readers (:func:`frames`) stream the files
and apply the chain, so a grade → SDR→HDR → master chain decodes the restored picture once.

Why the guarantees still hold:

* the cache key of a view's node names its whole recipe (keys chain through its inputs),
  and a view over a view is flattened into one list of files and one chain of operations;
* the linked files are files of the view's own artifact, so the store checksums them when
  it loads the view: an upstream file damaged in place fails the view's verification and
  the view is recomputed with it, and an upstream artifact removed from the store leaves
  the view's link (and its bytes) alive;
* artifacts are immutable (never written in place), so sharing their bytes is safe.

A link needs the same file system; where there is none (the project on another volume than
its footage) the file is copied instead, which costs disk space but changes nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from reelgraph.errors import MediaError
from reelgraph.media.colour import BT709, CHROMATICITIES, ColourTag
from reelgraph.media.exr import ExrSequenceWriter, read_exr, sequence_file
from reelgraph.media.video import PRESETS, DecodedFrame, Frame, VideoReader, VideoWriter
from reelgraph.orchestrator.agent import Input

INTERMEDIATE = "ffv1-rgb16"  # lossless 16-bit R'G'B' between agents
VIEW_FILE = "view.json"
SEQUENCE_NAME = "video"  # an intermediate's frames: video.000000.exr, video.000001.exr…
VIEW_SCHEMA = "reelgraph.View.1"

#: A per-pixel operation of a view: (R'G'B' float32 (H, W, 3), its parameters) → frame.
PixelOp = Callable[[Frame, Mapping[str, Any]], Frame]


def _cdl(rgb: Frame, params: Mapping[str, Any]) -> Frame:
    from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl

    return apply_cdl(rgb, CDL.from_dict(dict(params)))


def _inverse_tone_map(rgb: Frame, params: Mapping[str, Any]) -> Frame:
    from reelgraph.algorithms.restore.itm import inverse_tone_map

    return inverse_tone_map(
        np.clip(rgb, 0.0, 1.0),
        transfer=str(params["transfer"]),
        method=str(params["method"]),
        options=dict(params["options"]),
    )


def _lut3d(rgb: Frame, params: Mapping[str, Any]) -> Frame:
    """A 33³ ``.cube`` of the view's own folder (``file``, checked against ``sha256``, so
    the view's description changes when the table does), tetrahedral like FFmpeg's lut3d."""
    from reelgraph.colour.lut import cube_function

    return cube_function(Path(params["path"]), str(params["sha256"]))(rgb)


#: The operations a view may chain, by the name ``view.json`` records.
PIXEL_OPS: dict[str, PixelOp] = {"cdl": _cdl, "itm": _inverse_tone_map, "lut3d": _lut3d}
#: Parameter of an operation that names a file of the view's folder (linked with the view).
OP_FILE = "file"


@dataclass(frozen=True)
class Part:
    """Frames ``start``…``stop − 1`` of a picture file in the view's folder."""

    file: str  # a video file, or the name of an EXR sequence (``sequence``)
    start: int
    stop: int
    conform: bool = False  # resample a variable-frame-rate file onto its average rate
    sequence: bool = False  # frames are ``{file}.{n:06d}.exr`` files

    @property
    def frames(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class View:
    """A picture described, not stored: parts of real files in order, then per-pixel ops."""

    parts: tuple[Part, ...]
    ops: tuple[dict[str, Any], ...] = ()

    @property
    def frames(self) -> int:
        return sum(p.frames for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": VIEW_SCHEMA,
            "parts": [vars(p) for p in self.parts],
            "ops": [dict(op) for op in self.ops],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> View:
        if data.get("schema") != VIEW_SCHEMA:
            raise MediaError(
                f"not a {VIEW_SCHEMA} picture description", hint="re-run the node that wrote it"
            )
        ops = tuple(dict(op) for op in data["ops"])
        for op in ops:
            if op.get("op") not in PIXEL_OPS:
                raise MediaError(
                    f"unknown picture operation {op.get('op')!r}",
                    hint=f"this version applies: {', '.join(PIXEL_OPS)}",
                )
        return cls(tuple(Part(**p) for p in data["parts"]), ops)


def is_view(item: Input) -> bool:
    return str(item.meta.get("file", "")) == VIEW_FILE and not item.path.is_file()


def read_view(item: Input) -> View:
    try:
        return View.from_dict(json.loads((item.path / VIEW_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MediaError(
            f"{item.path / VIEW_FILE}: unreadable picture description ({exc})",
            hint="the artifact is damaged; remove it so the node runs again",
        ) from exc


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _parts(item: Input) -> tuple[list[tuple[Path, Part]], tuple[dict[str, Any], ...]]:
    """(folder or file, part) of every real picture behind ``item``, and its ops."""
    if is_view(item):
        upstream = read_view(item)
        return [(item.path, p) for p in upstream.parts], upstream.ops
    total = int(item.meta.get("frames", 0))
    if item.meta.get("sequence"):
        return [(item.path, Part(str(item.meta["sequence"]), 0, total, sequence=True))], ()
    conform = bool(item.meta.get("variable_frame_rate"))
    return [(item.file(), Part(item.file().name, 0, total, conform))], ()


def view_over(
    item: Input, out_dir: Path, *, start: int = 0, stop: int | None = None, after: int = 0
) -> View:
    """A view of frames ``start``…``stop − 1`` of ``item`` (a picture file, an artifact, an
    EXR sequence or a view), its files linked into ``out_dir``; a view's own ops are kept.
    ``after`` is the number of parts already linked there (their names are taken)."""
    sources, ops = _parts(item)
    stop = sum(p.frames for _, p in sources) if stop is None else stop
    parts: list[Part] = []
    position = 0  # view frame number of each part's first frame
    for where, part in sources:
        lo, hi = max(start, position), min(stop, position + part.frames)
        if lo < hi:
            first = part.start + lo - position
            name = f"part{after + len(parts)}"
            if part.sequence:
                folder = where
                for n in range(first, first + hi - lo):
                    _link(folder / sequence_file(part.file, n), out_dir / sequence_file(name, n))
            else:
                path = where / part.file if where.is_dir() else where
                name += path.suffix
                _link(path, out_dir / name)
            parts.append(Part(name, first, first + hi - lo, part.conform, part.sequence))
        position += part.frames
    for op in ops:
        if OP_FILE in op and not (out_dir / op[OP_FILE]).exists():
            _link(item.path / op[OP_FILE], out_dir / op[OP_FILE])
    return View(tuple(parts), ops)


def _read_part(
    folder: Path, part: Part, first: int, count: int, only: Collection[int] | None = None
) -> Iterator[DecodedFrame]:
    """``count`` frames of a part from its frame ``first`` (of them, those in ``only`` when
    given: numbers of the part's file), as decoded (tagged by the caller)."""
    if part.sequence:
        for n in range(first, first + count):
            if only is None or n in only:
                rgb, _ = read_exr(folder / sequence_file(part.file, n))
                yield DecodedFrame(n, rgb, BT709, 16)
        return
    path = folder / part.file
    yield from VideoReader(path, start=first, stop=first + count, conform=part.conform, only=only)


def join_views(items: Sequence[Input], out_dir: Path) -> View:
    """One picture made of ``items`` one after another (chunks of a shot), each without ops."""
    parts: list[Part] = []
    for item in items:
        view = view_over(item, out_dir, after=len(parts))
        if view.ops:
            raise MediaError(
                "only stored pictures can be joined, not pictures with operations pending",
                hint="join the chunks before grading them",
            )
        parts.extend(view.parts)
    return View(tuple(parts))


def write_view(out_dir: Path, view: View, *ops: dict[str, Any]) -> str:
    """Write ``view`` with ``ops`` appended as ``view.json``; returns the file name."""
    for op in ops:
        if op.get("op") not in PIXEL_OPS:
            raise MediaError(f"unknown picture operation {op.get('op')!r}")
        if OP_FILE in op and not (out_dir / op[OP_FILE]).is_file():
            raise MediaError(f"{out_dir / op[OP_FILE]}: the file a picture operation reads")
    full = View(view.parts, (*view.ops, *ops))
    text = json.dumps(full.to_dict(), indent=1, sort_keys=True)
    (out_dir / VIEW_FILE).write_text(text, encoding="utf-8")
    return VIEW_FILE


def _view_frames(
    item: Input, start: int, stop: int | None, only: Collection[int] | None = None
) -> Iterator[DecodedFrame]:
    view = read_view(item)
    stop = view.frames if stop is None else min(stop, view.frames)
    tag = _tag(item.meta)
    ops = [
        (PIXEL_OPS[op["op"]], {**op, "path": str(item.path / op[OP_FILE])} if OP_FILE in op else op)
        for op in view.ops
    ]
    position = 0
    for part in view.parts:
        lo, hi = max(start, position), min(stop, position + part.frames)
        if lo < hi:
            first = part.start + lo - position
            wanted = None if only is None else {n - lo + first for n in only if lo <= n < hi}
            # Position after the last frame the reader must reach (frames come in order).
            end = hi if wanted is None else max(wanted, default=first - 1) - first + lo + 1
            index = lo
            for frame in _read_part(item.path, part, first, hi - lo, wanted):
                index = frame.index - first + lo
                # Clipped to [0, 1] before and after each operation, as a stored 16-bit
                # R'G'B' step would be: a picture does not depend on which steps are views.
                rgb = np.clip(frame.rgb, 0.0, 1.0, out=frame.rgb)
                for apply, params in ops:
                    rgb = apply(rgb, params)
                    np.clip(rgb, 0.0, 1.0, out=rgb)
                yield DecodedFrame(index, rgb, tag, frame.bits)
                index += 1
            if index < end:
                raise MediaError(
                    f"{item.path / part.file}: {index - lo} decodable frames where the picture "
                    f"needs {hi - lo} (from frame {first})",
                    hint="the source is shorter than the shot; fix the shot's frames in brief.yaml",
                )
        position += part.frames


def _sequence_frames(
    item: Input, start: int, stop: int | None, only: Collection[int] | None = None
) -> Iterator[DecodedFrame]:
    total = int(item.meta["frames"])
    stop = total if stop is None else min(stop, total)
    tag = _tag(item.meta)
    part = Part(str(item.meta["sequence"]), 0, total, sequence=True)
    for frame in _read_part(item.path, part, start, max(0, stop - start), only):
        yield DecodedFrame(frame.index, frame.rgb, tag, frame.bits)


def sample_positions(total: int, count: int) -> list[int]:
    """Up to ``count`` frame numbers spread evenly over ``total`` frames (the first and
    the last among them): where agents sample a picture, and its mattes, to measure it.

    >>> sample_positions(24, 6), sample_positions(3, 6), sample_positions(0, 6)
    ([0, 5, 9, 14, 18, 23], [0, 1, 2], [])
    """
    if total <= 0:
        return []
    return sorted({round(float(v)) for v in np.linspace(0, total - 1, min(count, total))})


def _tag(meta: Mapping[str, Any]) -> ColourTag:
    colour = meta.get("colour")
    if not colour:
        return BT709
    return ColourTag(**{**colour, "assumed": tuple(colour.get("assumed", ()))})


def frames(
    item: Input,
    *,
    start: int = 0,
    stop: int | None = None,
    keep_ycbcr: bool = False,
    only: Collection[int] | None = None,
) -> Iterator[DecodedFrame]:
    """Frames of a video input (an artifact's main file, a view, or a source file).

    ``keep_ycbcr`` keeps the coded planes of a file read directly; a view's frames have been
    through its operations, so they never carry them. ``only``: just these frame numbers
    (in one pass; the frames between are decoded as the codec needs, not converted)."""
    if is_view(item):
        yield from _view_frames(item, start, stop, only)
        return
    if item.meta.get("sequence"):
        yield from _sequence_frames(item, start, stop, only)
        return
    yield from VideoReader(
        item.file(),
        start=start,
        stop=stop,
        keep_ycbcr=keep_ycbcr,
        conform=bool(item.meta.get("variable_frame_rate")),
        only=only,
    )


def video_meta(
    file: str,
    frames: int,
    width: int,
    height: int,
    frame_rate: str,
    preset: str = INTERMEDIATE,
    content: ColourTag | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "kind": "video",
        "file": file,
        "frames": frames,
        "width": width,
        "height": height,
        "frame_rate": frame_rate,
        "preset": preset,
        "colour": writer_tag(preset, content).to_dict(),
        **extra,
    }


def intermediate_meta(
    frames: int, width: int, height: int, frame_rate: str, content: ColourTag | None, **extra: Any
) -> dict[str, Any]:
    """Description of a picture stored as the intermediate (:class:`ExrSequenceWriter`):
    the R'G'B' of a lossless intermediate, in the content's primaries and transfer."""
    meta = video_meta(
        sequence_file(SEQUENCE_NAME, 0), frames, width, height, frame_rate, content=content
    )
    return {**meta, "preset": "exr-half", "sequence": SEQUENCE_NAME, **extra}


def open_intermediate(out_dir: Path, meta: Mapping[str, Any]) -> ExrSequenceWriter:
    """The writer of a picture described by :func:`intermediate_meta`."""
    primaries = str((meta.get("colour") or {}).get("primaries", "bt709"))
    if primaries not in CHROMATICITIES:
        primaries = "bt709"
    return ExrSequenceWriter(out_dir, str(meta["sequence"]), primaries)


def content_tag(meta: Mapping[str, Any]) -> ColourTag | None:
    """Primaries and transfer of a picture, from an input's description."""
    colour = meta.get("colour")
    if not colour:
        return None
    return BT709.with_(primaries=colour["primaries"], transfer=colour["transfer"])


def writer_tag(preset: str, content: ColourTag | None) -> ColourTag:
    """The tag a writer with this preset and content puts on its stream."""
    base = PRESETS[preset].tag
    if content is None:
        return base
    return base.with_(primaries=content.primaries, transfer=content.transfer, assumed=())


def open_writer(
    out_dir: Path,
    name: str,
    meta: Mapping[str, Any],
    width: int,
    height: int,
    preset: str = INTERMEDIATE,
    **kwargs: Any,
) -> tuple[VideoWriter, str]:
    file = f"{name}{PRESETS[preset].extension}"
    if preset == INTERMEDIATE and "content" not in kwargs:
        kwargs["content"] = content_tag(meta)
    writer = VideoWriter(
        out_dir / file,
        width=width,
        height=height,
        frame_rate=Fraction(str(meta["frame_rate"])),
        preset=preset,
        **kwargs,
    )
    return writer, file


__all__: Sequence[str] = (
    "INTERMEDIATE",
    "PIXEL_OPS",
    "VIEW_FILE",
    "Part",
    "View",
    "content_tag",
    "frames",
    "is_view",
    "join_views",
    "open_writer",
    "read_view",
    "sample_positions",
    "video_meta",
    "view_over",
    "write_view",
    "writer_tag",
)
