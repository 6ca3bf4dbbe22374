"""Transcription: speed and word error rate of reelgraph's streamed, endpointed
PocketSphinx recogniser against PocketSphinx used as its package documents (the whole
recording decoded as one utterance), on the same read speech.

Input: the 44 s reading of the first sentence of *A Tale of Two Cities* shipped in the
``moonshine-voice`` wheel (a test requirement; the text is public domain), resampled once to
16 kHz. Prints CPU seconds (user+sys of this process), × real time and WER for each, and the
ratios. Run: ``python benchmarks/transcribe.py`` (needs ``pip install -e '.[test]'``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))

from speech_audio import OPENING, reading

from reelgraph.algorithms.speech import RATE_HZ, recogniser, word_error_rate


def _cpu() -> float:
    return time.process_time()  # user + sys of this process: the machine may be shared


def ours(pcm: np.ndarray) -> tuple[str, float]:
    start = _cpu()
    engine = recogniser("pocketsphinx")
    for offset in range(0, pcm.size, 4096):
        engine.push(pcm[offset : offset + 4096])
    text = engine.finish().text
    return text, _cpu() - start


def peer(pcm: np.ndarray) -> tuple[str, float]:
    from pocketsphinx import Decoder

    start = _cpu()
    decoder = Decoder(samprate=RATE_HZ, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm.tobytes(), False, True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return (hypothesis.hypstr if hypothesis else ""), _cpu() - start


def main() -> None:
    audio = resample_poly(reading().astype(np.float64), 1, 3)
    pcm = np.clip(np.rint(audio * 32767), -32768, 32767).astype(np.int16)
    seconds = pcm.size / RATE_HZ
    rows = []
    for name, run in (
        ("reelgraph (endpointed, streamed)", ours),
        ("pocketsphinx one utterance", peer),
    ):
        text, cpu = run(pcm)
        rows.append((name, cpu, word_error_rate(OPENING, text), text))
    print(f"read speech: {seconds:.1f} s, {len(OPENING.split())} words")
    print(f"{'recogniser':<34} {'CPU s':>7} {'× real time':>12} {'WER':>6}")
    for name, cpu, wer, _ in rows:
        print(f"{name:<34} {cpu:>7.2f} {cpu / seconds:>12.3f} {wer:>6.3f}")
    (_, cpu_a, wer_a, text_a), (_, cpu_b, wer_b, _) = rows
    print(f"ratio reelgraph/peer: CPU {cpu_a / cpu_b:.2f}, WER {wer_a / max(wer_b, 1e-9):.2f}")
    print(f"reelgraph heard: {text_a}")


if __name__ == "__main__":
    main()
