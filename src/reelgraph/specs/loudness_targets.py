"""Loudness delivery targets: the one place their numbers live.

Each target names the standard or specification it comes from, so a QC finding can cite
it. The CLI, the brief schema, the delivery presets and the docs read the numbers from
:data:`DELIVERY_TARGETS`; nothing else repeats them.

=============  ==================  ===========  ==========  ==========================
name           measured as         target       tolerance   max true peak
=============  ==================  ===========  ==========  ==========================
``ebu-r128``   programme (I)       −23 LUFS     ±0.5 LU     −1 dBTP
``atsc-a85``   programme (I)       −24 LKFS     ±2 LU       −2 dBTP
``streaming``  dialogue-gated      −27 LKFS     ±2 LU       −2 dBTP
``web``        programme (I)       −14 LUFS     ±1 LU       −1 dBTP
=============  ==================  ===========  ==========  ==========================

Domain and range
----------------
==========  =================================================================
``name``    str, one of the keys of :data:`DELIVERY_TARGETS` (or a DeliveryTarget)
returns     :class:`DeliveryTarget` (frozen); unknown names → AlgorithmError
==========  =================================================================

Example
-------
>>> t = lookup("ebu-r128")
>>> t.integrated_lufs, t.tolerance_lu, t.true_peak_max_dbtp, t.gating
(-23.0, 0.5, -1.0, 'programme')
>>> t.accepts(-23.4, -1.2)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from reelgraph.errors import AlgorithmError

__all__ = ["DELIVERY_TARGETS", "LIMIT_SLACK", "DeliveryTarget", "Reference", "lookup"]


#: A level that lands on a limit (a normaliser aiming exactly at the ceiling) must pass, not
#: fail by a float rounding error in the last digit.
LIMIT_SLACK: Final = 1e-9


@dataclass(frozen=True)
class Reference:
    """Where a target's numbers come from."""

    name: str
    """Title of the standard or specification."""
    number: str
    """Its identifier and edition."""
    clause: str
    """The part of it that sets the numbers."""


@dataclass(frozen=True)
class DeliveryTarget:
    """A loudness delivery target: what to measure, the level, the tolerance and the peak."""

    name: str
    """Short name used on the command line and in briefs."""
    integrated_lufs: float
    """Target loudness, LUFS (= LKFS)."""
    tolerance_lu: float
    """Permitted deviation either side of the target, LU."""
    true_peak_max_dbtp: float
    """Maximum permitted true-peak level (BS.1770 Annex 2), dBTP."""
    gating: Literal["programme", "dialogue"]
    """``"programme"``: BS.1770 gated integrated loudness of the whole mix;
    ``"dialogue"``: loudness gated on speech (dialogue_loudness_gated)."""
    reference: Reference
    """The standard the numbers come from."""
    notes: str = ""
    """What a mixer should know about applying it."""

    def loudness_ok(self, loudness_lufs: float) -> bool:
        """True when ``loudness_lufs`` lies within the tolerance either side of the target."""
        return abs(loudness_lufs - self.integrated_lufs) <= self.tolerance_lu + LIMIT_SLACK

    def true_peak_ok(self, true_peak_dbtp: float) -> bool:
        """True when ``true_peak_dbtp`` is at or below the maximum true peak."""
        return true_peak_dbtp <= self.true_peak_max_dbtp + LIMIT_SLACK

    def accepts(self, loudness_lufs: float, true_peak_dbtp: float) -> bool:
        """True when both the loudness and the true peak meet the target."""
        return self.loudness_ok(loudness_lufs) and self.true_peak_ok(true_peak_dbtp)


#: The delivery targets by name (read-only).
DELIVERY_TARGETS: Final[Mapping[str, DeliveryTarget]] = MappingProxyType(
    {
        "ebu-r128": DeliveryTarget(
            name="ebu-r128",
            integrated_lufs=-23.0,
            tolerance_lu=0.5,
            true_peak_max_dbtp=-1.0,
            gating="programme",
            reference=Reference(
                name="EBU R 128, Loudness normalisation and permitted maximum level of audio "
                "signals",
                number="EBU R 128 (v3.0, 2014; measurement per EBU Tech 3341/3342)",
                clause="'recommends': Programme Loudness Target Level −23.0 LUFS, permitted "
                "deviation ±0.5 LU; Maximum Permitted True-Peak Level −1 dBTP",
            ),
            notes="R 128 v4.0 (2020) keeps −23 LUFS and −1 dBTP but states ±1 LU for "
            "production and ±0.2 LU for QC measurement; ±0.5 LU is the figure most EBU "
            "broadcasters' delivery specifications use.",
        ),
        "atsc-a85": DeliveryTarget(
            name="atsc-a85",
            integrated_lufs=-24.0,
            tolerance_lu=2.0,
            true_peak_max_dbtp=-2.0,
            gating="programme",
            reference=Reference(
                name="ATSC Recommended Practice: Techniques for Establishing and Maintaining "
                "Audio Loudness for Digital Television",
                number="ATSC A/85:2013",
                clause="target loudness for content delivery/exchange −24 LKFS (BS.1770), "
                "±2 dB; true-peak maximum −2 dBTP",
            ),
            notes="US broadcast (CALM Act cites A/85). A/85 anchors on dialogue where "
            "dialnorm metadata is used; this preset measures the full programme.",
        ),
        "streaming": DeliveryTarget(
            name="streaming",
            integrated_lufs=-27.0,
            tolerance_lu=2.0,
            true_peak_max_dbtp=-2.0,
            gating="dialogue",
            reference=Reference(
                name="Netflix Sound Mix Specifications & Best Practices",
                number="Netflix Partner Help Center, sound mix specification (v1.x)",
                clause="program loudness −27 LKFS ±2 LU, dialogue-gated (Dolby Dialogue "
                "Intelligence); true peak −2 dBTP",
            ),
            notes="Dialogue gating here is reelgraph's open approximation of Dolby Dialogue "
            "Intelligence; confirm a borderline result on a Dolby meter before delivery.",
        ),
        "web": DeliveryTarget(
            name="web",
            integrated_lufs=-14.0,
            tolerance_lu=1.0,
            true_peak_max_dbtp=-1.0,
            gating="programme",
            reference=Reference(
                name="Platform loudness normalisation (Spotify, YouTube); see also AES "
                "TD1008 Recommendations for loudness of internet audio streaming",
                number="Spotify for Artists 'Loudness normalization' (−14 LUFS, −1 dBTP)",
                clause="reference playback level −14 LUFS integrated (BS.1770); keep true "
                "peaks at or below −1 dBTP",
            ),
            notes="A platform practice rather than a formal standard: platforms turn louder "
            "masters down, so −14 LUFS avoids both their gain change and their limiter.",
        ),
    }
)


def lookup(name: DeliveryTarget | str) -> DeliveryTarget:
    """The delivery target called ``name``; an unknown name raises, listing the valid ones.

    A :class:`DeliveryTarget` is returned as it is, so a function can take a target or its name.
    """
    if isinstance(name, DeliveryTarget):
        return name
    target = DELIVERY_TARGETS.get(name)
    if target is None:
        valid = ", ".join(DELIVERY_TARGETS)
        raise AlgorithmError(
            f"unknown loudness target {name!r} (valid: {valid})",
            hint=f"use one of: {valid}",
        )
    return target
