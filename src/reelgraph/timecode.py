"""SMPTE timecode for frame numbers (SMPTE ST 12-1), drop-frame at 29.97 and 59.94 fps.

>>> frames_to_timecode(86399, Fraction(24))
'00:59:59:23'
>>> frames_to_timecode(17982, Fraction(30000, 1001))
'00:10:00;00'
"""

from __future__ import annotations

from fractions import Fraction


def frames_to_timecode(frame: int, rate: Fraction | str, start_frame: int = 0) -> str:
    """Timecode of ``frame`` (0-based) at ``rate``; NTSC rates use drop-frame (``;``)."""
    rate = Fraction(str(rate)) if not isinstance(rate, Fraction) else rate
    nominal = round(rate)
    n = frame + start_frame
    drop = rate.denominator == 1001 and nominal in (30, 60)
    if drop:
        # ST 12-1 §5.2.2: skip frame numbers 0 and 1 (0–3 at 60) every minute but each tenth.
        dropped = 2 * nominal // 30
        per_ten_minutes = nominal * 600 - dropped * 9
        per_minute = nominal * 60 - dropped
        tens, rest = divmod(n, per_ten_minutes)
        n += dropped * 9 * tens
        if rest > dropped:
            n += dropped * ((rest - dropped) // per_minute)
    ff = n % nominal
    total_seconds = n // nominal
    hh, mm, ss = total_seconds // 3600 % 24, total_seconds // 60 % 60, total_seconds % 60
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}"
