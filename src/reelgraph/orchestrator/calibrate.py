"""Calibrate cost estimates on this machine: run each agent on a small synthetic clip and
record the CPU seconds it needs per unit of work (megapixel-frame or audio second)."""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from reelgraph.ingest.sources import source_meta
from reelgraph.media.audio import write_audio
from reelgraph.media.probe import probe
from reelgraph.media.video import VideoWriter
from reelgraph.orchestrator.agent import Input, NodeContext
from reelgraph.orchestrator.budget import save_calibration
from reelgraph.orchestrator.registry import Registry
from reelgraph.project.store import Store


def _synthetic(folder: Path, frames: int, width: int, height: int) -> dict[str, Input]:
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.1, 0.9, width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (height, width, 3)).copy()
    rate, seconds = 48000, frames / 24
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[:, None].repeat(2, 1)
    write_audio(folder / "audio.wav", tone, rate)
    for name, preset in (("video.mkv", "ffv1-rgb16"), ("source.mp4", "h264")):
        with VideoWriter(
            folder / name,
            width=width,
            height=height,
            frame_rate=Fraction(24),
            preset=preset,
            audio=(rate, "stereo") if preset == "h264" else None,
        ) as w:
            for i in range(frames):
                noise = rng.normal(0, 0.02, base.shape).astype(np.float32)
                w.write(np.clip(np.roll(base, i * 4, axis=1) + noise, 0, 1))
            if preset == "h264":
                w.write_audio(tone, rate)
    video_meta = {
        "kind": "video",
        "file": "video.mkv",
        "frames": frames,
        "width": width,
        "height": height,
        "frame_rate": "24/1",
    }
    return {
        "video": Input("calibration-video", folder, video_meta),
        "audio": Input(
            "calibration-audio",
            folder,
            {
                "kind": "audio",
                "file": "audio.wav",
                "rate": rate,
                "channels": 2,
                "duration_s": seconds,
            },
        ),
        "source": Input(
            "calibration-source", folder / "source.mp4", source_meta(probe(folder / "source.mp4"))
        ),
    }


def calibrate(
    store: Store,
    registry: Registry,
    names: list[str] | None = None,
    frames: int = 24,
    size: tuple[int, int] = (640, 360),
) -> dict[str, float]:
    """Measure and store CPU seconds per unit for each agent; returns what was measured."""
    measured: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="reelgraph-calibrate-") as tmp:
        folder = Path(tmp)
        synthetic = _synthetic(folder, frames, *size)
        for name in names or registry.names():
            cls = registry.get(name)
            agent = cls()
            job = agent.calibration_job(synthetic)
            if job is None:
                continue
            inputs, params = job
            out = folder / f"out-{name}"
            out.mkdir()
            units = agent.work([i.meta for i in inputs], params).units(cls.cost.unit)
            before = os.times()
            agent.run(NodeContext(name, inputs, params, {}, out, seed=0))
            after = os.times()
            cpu = (after.user + after.system) - (before.user + before.system)
            if units > 0:
                per_unit = max(0.0, cpu - cls.cost.overhead_cpu_s) / units
                save_calibration(store, name, cls.cost.unit, per_unit)
                measured[name] = per_unit
    return measured
