"""Loudness of ITU-R BS.1770-5: momentary, short-term and gated integrated (EBU Mode).

Reference
---------
ITU-R BS.1770-5 (11/2023), Annex 1, and EBU Tech 3341 v4 (2023) "EBU Mode" metering.
Equation numbers below are those of BS.1770-5 Annex 1 (unchanged since BS.1770-2):

* (1)  mean square of K-weighted channel i over an interval T: z_i = 1/T ∫ y_i² dt
* (2)  loudness L_K = −0.691 + 10·log10 Σ_i G_i·z_i  (LKFS; LUFS in EBU terms)
* (3)  gating block j: z_ij = mean square over T_g = 400 ms, blocks overlapping 75 %
* (4)  block loudness l_j = −0.691 + 10·log10 Σ_i G_i·z_ij
* (5)  gated loudness L_KG = −0.691 + 10·log10 Σ_i G_i·(1/|J_g|)·Σ_{j∈J_g} z_ij
* (6)  relative threshold Γ_r = L_KG over the blocks above Γ_a, minus 10 LU;
       absolute threshold Γ_a = −70 LKFS
* (7)  J_g = {j : l_j > Γ_r and l_j > Γ_a}

Momentary loudness (M) is (4) over a sliding 400 ms window and short-term loudness (S) over
a sliding 3 s window, both updated at least 10 times a second (Tech 3341 §2.2); integrated
loudness (I) is (5)–(7). The maxima of M and S are taken over windows on a 10 ms grid,
finer than the series, so short bursts are not missed between updates (Tech 3341 case 13).

Channel weights G_i come from BS.1770-5 Table 3 (position-dependent weighting): 1.0 for
loudspeakers in front (|azimuth| < 60°) or behind (|azimuth| > 120°) at ear level, 1.41
(+1.5 dB) for ear-level loudspeakers at 60° ≤ |azimuth| ≤ 120° (the 5.1 surrounds at ±110°,
side surrounds at ±90°), and the LFE channel excluded. Named layouts use FFmpeg's channel
order (what PyAV reports). Note: for ``7.1`` this gives the back pair (BL/BR, ±135–150°)
1.0 as the Recommendation does; FFmpeg's ``ebur128`` filter and libebur128 weight every
surround 1.41 — pass ``channel_weights`` explicitly to reproduce them.

Implementation
--------------
K-weighting with :mod:`scipy.signal` (stateful, in chunks), then the weighted power
p[n] = Σ_i G_i·y_i[n]² is summed over 10 ms hops with a cumulative sum inside each chunk.
Every window (400 ms, 3 s) is a sum of whole hops, taken from a cumulative sum of the hop
energies — no Python loop per block. Hop boundaries sit at ``round(k·rate/100)`` so rates
like 44.1 kHz and 22.05 kHz are exact to one sample.

Domain and range
----------------
=====================  ======================================================================
``samples``            float32/float64, ``(samples, channels)`` or ``(samples,)`` (mono),
                       linear, 1.0 = full scale; NaN/inf → AlgorithmError
``rate``               float, Hz, >= 8000
``layout``             a name in :data:`LAYOUTS`, or None (inferred for 1, 2, 5, 6, 8 channels)
``channel_weights``    sequence of G_i (>= 0), one per channel; overrides ``layout``
returns                :class:`LoudnessResult`: loudness in LUFS (float64); ``-inf`` where no
                       block exists or every block is below the gates (silence, < 400 ms)
=====================  ======================================================================

Example
-------
>>> import numpy as np
>>> t = np.arange(48000 * 5) / 48000
>>> tone = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
>>> result = loudness_bs1770(np.stack([tone, tone], axis=1), 48000)
>>> round(result.integrated_lufs, 1), result.layout, result.channel_weights
(-23.0, 'stereo', (1.0, 1.0))
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from reelgraph.algorithms.audio._common import (
    CHUNK_SAMPLES,
    as_audio,
    check_rate,
    power_to_db,
)
from reelgraph.algorithms.audio.k_weighting_bs1770 import k_weighting_coefficients
from reelgraph.errors import AlgorithmError

__all__ = [
    "ABSOLUTE_GATE_LKFS",
    "DEFAULT_UPDATE_RATE_HZ",
    "LAYOUTS",
    "LOUDNESS_OFFSET_DB",
    "RELATIVE_GATE_LU",
    "GatedLoudness",
    "LoudnessMeter",
    "LoudnessResult",
    "Speaker",
    "gated_loudness",
    "integrated_loudness",
    "loudness_bs1770",
    "resolve_channel_weights",
    "speaker_weight",
]

#: The −0.691 dB of eq. (2), which makes a 997 Hz sine at 0 dBFS on one channel read 0 LKFS.
LOUDNESS_OFFSET_DB: Final = -0.691
#: Γ_a of eq. (6), LKFS.
ABSOLUTE_GATE_LKFS: Final = -70.0
#: Relative threshold of eq. (6): Γ_r is this many LU below the absolute-gated loudness.
RELATIVE_GATE_LU: Final = -10.0
#: Gating-block and momentary window T_g of eq. (3), seconds.
MOMENTARY_WINDOW_S: Final = 0.4
#: Short-term window of EBU Tech 3341 §2.2, seconds.
SHORT_TERM_WINDOW_S: Final = 3.0
#: Gating-block step (75 % overlap of 400 ms blocks), seconds.
GATING_STEP_S: Final = 0.1
#: Internal hop rate, Hz: energies are summed over 10 ms hops, so maximum M and S are found
#: to within 5 ms of window position (< 0.06 dB error on a 400 ms burst; Tech 3341 case 13
#: needs better than the 10 Hz display rate).
HOP_RATE_HZ: Final = 100
#: Update rates of the M and S series that are whole multiples of the 10 ms hop.
UPDATE_RATES_HZ: Final = (10, 20, 50, 100)
#: Default update rate of the M and S series: Tech 3341's minimum of 10 updates a second.
DEFAULT_UPDATE_RATE_HZ: Final = 10


@dataclass(frozen=True)
class Speaker:
    """One loudspeaker feed of a channel layout."""

    name: str
    """FFmpeg channel name (FL, FR, FC, LFE, BL, BR, SL, SR, ...)."""
    azimuth_deg: float
    """Nominal azimuth, degrees, positive to the left (ITU-R BS.2051 convention)."""
    elevation_deg: float = 0.0
    """Nominal elevation, degrees."""
    lfe: bool = False
    """True for a low-frequency-effects feed, which BS.1770 excludes from loudness."""


def speaker_weight(speaker: Speaker) -> float:
    """G_i of BS.1770-5 Table 3 for one loudspeaker position (LFE → 0, excluded)."""
    if speaker.lfe:
        return 0.0
    azimuth = abs(speaker.azimuth_deg)
    if abs(speaker.elevation_deg) < 30.0 and 60.0 <= azimuth <= 120.0:
        return 1.41
    return 1.0


_FL = Speaker("FL", 30.0)
_FR = Speaker("FR", -30.0)
_FC = Speaker("FC", 0.0)
_LFE = Speaker("LFE", 0.0, lfe=True)
# BS.775 5.1 surrounds (FFmpeg names them BL/BR in "5.1" and SL/SR in "5.1(side)").
_LS = Speaker("BL", 110.0)
_RS = Speaker("BR", -110.0)
_SL = Speaker("SL", 90.0)
_SR = Speaker("SR", -90.0)
# Back surrounds of a 7.1 (BS.2051 System I, ±135°).
_BL = Speaker("BL", 135.0)
_BR = Speaker("BR", -135.0)

#: Named layouts in FFmpeg channel order (the names PyAV reports as ``layout.name``).
LAYOUTS: Final[Mapping[str, tuple[Speaker, ...]]] = MappingProxyType(
    {
        "mono": (_FC,),
        "stereo": (_FL, _FR),
        "2.1": (_FL, _FR, _LFE),
        "3.0": (_FL, _FR, _FC),
        "5.0": (_FL, _FR, _FC, _LS, _RS),
        "5.0(side)": (_FL, _FR, _FC, Speaker("SL", 110.0), Speaker("SR", -110.0)),
        "5.1": (_FL, _FR, _FC, _LFE, _LS, _RS),
        "5.1(side)": (_FL, _FR, _FC, _LFE, Speaker("SL", 110.0), Speaker("SR", -110.0)),
        "7.1": (_FL, _FR, _FC, _LFE, _BL, _BR, _SL, _SR),
    }
)

#: Layout assumed when none is given, by channel count; the result records the choice.
_DEFAULT_LAYOUT_BY_CHANNELS: Final = MappingProxyType(
    {1: "mono", 2: "stereo", 5: "5.0", 6: "5.1", 8: "7.1"}
)


def resolve_channel_weights(
    channels: int,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
) -> tuple[str | None, tuple[float, ...]]:
    """Return ``(layout name or None, G_i per channel)`` for a programme with ``channels``.

    Explicit ``channel_weights`` win; otherwise ``layout`` is looked up in :data:`LAYOUTS`;
    otherwise the layout is inferred from the channel count (1, 2, 5, 6 or 8 channels).
    """
    if channel_weights is not None:
        weights = tuple(float(w) for w in channel_weights)
        if len(weights) != channels:
            raise AlgorithmError(
                f"{len(weights)} channel weights given for {channels} channels",
                hint="give one weight G_i per channel, 0 to exclude a channel (LFE)",
            )
        if not all(math.isfinite(w) and w >= 0.0 for w in weights):
            raise AlgorithmError(
                f"channel weights must be finite and >= 0, got {weights}",
                hint="BS.1770 uses 1.0 (front), 1.41 (surround) and 0 (LFE)",
            )
        return layout, weights
    if layout is None:
        layout = _DEFAULT_LAYOUT_BY_CHANNELS.get(channels)
        if layout is None:
            raise AlgorithmError(
                f"no default channel layout for {channels} channels",
                hint=f"pass layout= (one of {', '.join(LAYOUTS)}) or channel_weights=",
            )
    speakers = LAYOUTS.get(layout)
    if speakers is None:
        raise AlgorithmError(
            f"unknown channel layout {layout!r}",
            hint=f"valid layouts: {', '.join(LAYOUTS)}; or pass channel_weights=",
        )
    if len(speakers) != channels:
        raise AlgorithmError(
            f"layout {layout!r} has {len(speakers)} channels but the audio has {channels}",
            hint="pass the layout the stream really has, or channel_weights=",
        )
    return layout, tuple(speaker_weight(s) for s in speakers)


@dataclass(frozen=True)
class GatedLoudness:
    """Result of the two-stage gate of BS.1770-5 eqs. (5)–(7) over a set of blocks."""

    loudness_lufs: float
    """L_KG, LUFS; ``-inf`` when no block passes the gates."""
    relative_gate_lufs: float
    """Γ_r, LUFS; ``-inf`` when no block passes the absolute gate."""
    blocks_total: int
    """Number of blocks offered to the gate."""
    blocks_above_absolute: int
    """Blocks with l_j > Γ_a (−70 LKFS)."""
    blocks_gated: int
    """|J_g|: blocks above both thresholds, the ones averaged."""


def gated_loudness(
    block_power: ArrayLike,
    *,
    absolute_gate_lufs: float = ABSOLUTE_GATE_LKFS,
    relative_gate_lu: float = RELATIVE_GATE_LU,
) -> GatedLoudness:
    """Two-stage gated loudness of blocks whose weighted mean squares Σ_i G_i·z_ij are given.

    ``block_power`` is one value per 400 ms gating block (75 % overlap); eqs. (5)–(7).

    >>> round(gated_loudness(np.array([10 ** ((-23 + 0.691) / 10)] * 3 + [0.0])).loudness_lufs, 6)
    -23.0
    """
    power = np.asarray(block_power, dtype=np.float64).ravel()
    # Thresholds compared in the power domain: l_j > Γ  <=>  z_j > 10^((Γ + 0.691) / 10).
    above_absolute = power > 10.0 ** ((absolute_gate_lufs - LOUDNESS_OFFSET_DB) / 10.0)
    n_absolute = int(np.count_nonzero(above_absolute))
    if n_absolute == 0:
        return GatedLoudness(-math.inf, -math.inf, power.size, 0, 0)
    # Eq. (6): Γ_r from the mean of the absolute-gated blocks.
    relative_gate = float(
        power_to_db(power[above_absolute].mean(), LOUDNESS_OFFSET_DB) + relative_gate_lu
    )
    # Eq. (7): blocks above both thresholds; eq. (5): loudness of their mean power.
    gated = above_absolute & (power > 10.0 ** ((relative_gate - LOUDNESS_OFFSET_DB) / 10.0))
    n_gated = int(np.count_nonzero(gated))
    loudness = float(power_to_db(power[gated].mean(), LOUDNESS_OFFSET_DB)) if n_gated else -math.inf
    return GatedLoudness(loudness, relative_gate, power.size, n_absolute, n_gated)


@dataclass(frozen=True)
class LoudnessResult:
    """Momentary, short-term and integrated loudness of a programme (EBU Mode)."""

    rate: float
    """Sample rate, Hz."""
    layout: str | None
    """Layout name used for the channel weights, or None when weights were given."""
    channel_weights: tuple[float, ...]
    """G_i used per channel."""
    samples: int
    """Programme length in samples."""
    update_rate_hz: int
    """Values per second of the M and S series (>= 10, Tech 3341)."""
    integrated: GatedLoudness
    """Gated integrated loudness (I) and its gate details."""
    hop_power: NDArray[np.float64]
    """Σ_i G_i·z_i over each 10 ms hop (whole hops only); hop k covers
    [round(k·rate/100), round((k+1)·rate/100))."""
    momentary_power: NDArray[np.float64]
    """Σ_i G_i·z_i over sliding 400 ms windows, one per 1/update_rate s."""
    short_term_power: NDArray[np.float64]
    """Σ_i G_i·z_i over sliding 3 s windows, one per 1/update_rate s."""
    momentary_max_power: float
    """Largest Σ_i G_i·z_i of any 400 ms window on the 10 ms grid (0.0 if none)."""
    short_term_max_power: float
    """Largest Σ_i G_i·z_i of any 3 s window on the 10 ms grid (0.0 if none)."""
    block_power: NDArray[np.float64]
    """Σ_i G_i·z_ij of the gating blocks (400 ms, 100 ms step) of eq. (3); block j starts
    at j·0.1 s."""

    @property
    def integrated_lufs(self) -> float:
        """Integrated loudness I, LUFS (``-inf`` if nothing passes the gates)."""
        return self.integrated.loudness_lufs

    @property
    def duration_s(self) -> float:
        """Programme duration, seconds."""
        return self.samples / self.rate

    @property
    def momentary_lufs(self) -> NDArray[np.float64]:
        """Momentary loudness M series, LUFS, one value per hop."""
        return power_to_db(self.momentary_power, LOUDNESS_OFFSET_DB)

    @property
    def short_term_lufs(self) -> NDArray[np.float64]:
        """Short-term loudness S series, LUFS, one value per hop."""
        return power_to_db(self.short_term_power, LOUDNESS_OFFSET_DB)

    @property
    def momentary_end_s(self) -> NDArray[np.float64]:
        """End time of each momentary window, seconds."""
        hops = round(MOMENTARY_WINDOW_S * self.update_rate_hz)
        return (np.arange(self.momentary_power.size) + hops) / self.update_rate_hz

    @property
    def short_term_end_s(self) -> NDArray[np.float64]:
        """End time of each short-term window, seconds."""
        hops = round(SHORT_TERM_WINDOW_S * self.update_rate_hz)
        return (np.arange(self.short_term_power.size) + hops) / self.update_rate_hz

    @property
    def momentary_max_lufs(self) -> float:
        """Maximum momentary loudness (10 ms window grid), LUFS; ``-inf`` under 400 ms."""
        return float(power_to_db(self.momentary_max_power, LOUDNESS_OFFSET_DB))

    @property
    def short_term_max_lufs(self) -> float:
        """Maximum short-term loudness (10 ms window grid), LUFS; ``-inf`` under 3 s."""
        return float(power_to_db(self.short_term_max_power, LOUDNESS_OFFSET_DB))


def _window_power(
    hop_energy: NDArray[np.float64], hop_length: NDArray[np.int64], hops: int
) -> NDArray[np.float64]:
    """Mean square over every run of ``hops`` consecutive hops (sliding by one hop)."""
    if hop_energy.size < hops:
        return np.zeros(0, dtype=np.float64)
    energy = np.concatenate(([0.0], np.cumsum(hop_energy)))
    length = np.concatenate(([0], np.cumsum(hop_length)))
    window_energy = energy[hops:] - energy[:-hops]
    # Cumulative sums of non-negative terms can differ by a rounding error below zero.
    return np.maximum(window_energy, 0.0) / (length[hops:] - length[:-hops])


class LoudnessMeter:
    """Streaming BS.1770-5 / EBU Mode meter: feed chunks with :meth:`process`, then :meth:`result`.

    Memory stays bounded by the chunk size plus one float per hop, so an agent can stream a
    feature-length programme through it. The result is identical to measuring the whole
    array at once.
    """

    def __init__(
        self,
        rate: float,
        channels: int,
        *,
        layout: str | None = None,
        channel_weights: Sequence[float] | None = None,
        update_rate_hz: int = DEFAULT_UPDATE_RATE_HZ,
    ) -> None:
        self.rate = check_rate(rate)
        if channels < 1:
            raise AlgorithmError(f"channels must be >= 1, got {channels}")
        if update_rate_hz not in UPDATE_RATES_HZ:
            raise AlgorithmError(
                f"update_rate_hz must be one of {UPDATE_RATES_HZ}, got {update_rate_hz!r}",
                hint="Tech 3341 needs >= 10 updates/s; each update must be whole 10 ms hops",
            )
        self.channels = channels
        self.layout, self.channel_weights = resolve_channel_weights(
            channels, layout, channel_weights
        )
        self.update_rate_hz = update_rate_hz
        weights = np.asarray(self.channel_weights, dtype=np.float64)
        # Channels with G_i = 0 (LFE) are not filtered at all.
        self._active = np.flatnonzero(weights > 0.0)
        self._weights = weights[self._active]
        self._sos = k_weighting_coefficients(self.rate).sos
        self._zi = np.zeros((self._sos.shape[0], self._active.size, 2), dtype=np.float64)
        self._samples = 0
        self._next_hop = 1  # index k of the next hop boundary round(k * rate / update_rate)
        self._partial = 0.0  # weighted energy since the last hop boundary
        self._hop_energy: list[NDArray[np.float64]] = []

    def _boundary(self, k: NDArray[np.int64] | int) -> NDArray[np.int64]:
        return np.floor(np.asarray(k) * self.rate / HOP_RATE_HZ + 0.5).astype(np.int64)

    def process(self, samples: ArrayLike) -> None:
        """Add the next chunk of the programme, shape ``(samples, channels)``."""
        audio = as_audio(samples, offset=self._samples)
        if audio.shape[1] != self.channels:
            raise AlgorithmError(
                f"chunk has {audio.shape[1]} channels, meter was set up for {self.channels}"
            )
        for start in range(0, audio.shape[0], CHUNK_SAMPLES):
            self._process_chunk(audio[start : start + CHUNK_SAMPLES])

    def _process_chunk(self, chunk: NDArray[np.floating]) -> None:
        n = chunk.shape[0]
        if n == 0:
            return
        x = np.ascontiguousarray(chunk[:, self._active].T, dtype=np.float64)
        y, self._zi = signal.sosfilt(self._sos, x, axis=1, zi=self._zi)
        # Weighted power Σ_i G_i·y_i[n]² (integrand of eqs. (1)–(3)); y is a fresh array.
        power = self._weights @ np.square(y, out=y)
        cumulative = np.cumsum(power)
        end = self._samples + n
        last_hop = math.floor((end + 0.5) * HOP_RATE_HZ / self.rate) + 1
        ks = np.arange(self._next_hop, last_hop + 1, dtype=np.int64)
        bounds = self._boundary(ks)
        ks, bounds = ks[bounds <= end], bounds[bounds <= end]
        if bounds.size:
            at_bounds = cumulative[bounds - self._samples - 1]
            energy = np.diff(at_bounds, prepend=0.0)
            energy[0] += self._partial
            self._hop_energy.append(energy)
            self._partial = float(cumulative[-1] - at_bounds[-1])
            self._next_hop = int(ks[-1]) + 1
        else:
            self._partial += float(cumulative[-1])
        self._samples = end

    def result(self) -> LoudnessResult:
        """Loudness of everything processed so far (the meter can keep going afterwards)."""
        hop_energy = (
            np.concatenate(self._hop_energy) if self._hop_energy else np.zeros(0, np.float64)
        )
        bounds = self._boundary(np.arange(hop_energy.size + 1, dtype=np.int64))
        hop_length = np.diff(bounds)
        hop_power = hop_energy / np.maximum(hop_length, 1)
        momentary = _window_power(hop_energy, hop_length, round(MOMENTARY_WINDOW_S * HOP_RATE_HZ))
        short_term = _window_power(hop_energy, hop_length, round(SHORT_TERM_WINDOW_S * HOP_RATE_HZ))
        # Series at the update rate, and the gating blocks of eq. (3) every 100 ms.
        step = HOP_RATE_HZ // self.update_rate_hz
        blocks = momentary[:: round(GATING_STEP_S * HOP_RATE_HZ)]
        return LoudnessResult(
            rate=self.rate,
            layout=self.layout,
            channel_weights=self.channel_weights,
            samples=self._samples,
            update_rate_hz=self.update_rate_hz,
            integrated=gated_loudness(blocks),
            hop_power=hop_power,
            momentary_power=momentary[::step],
            short_term_power=short_term[::step],
            momentary_max_power=float(momentary.max()) if momentary.size else 0.0,
            short_term_max_power=float(short_term.max()) if short_term.size else 0.0,
            block_power=blocks,
        )


def loudness_bs1770(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
    update_rate_hz: int = DEFAULT_UPDATE_RATE_HZ,
) -> LoudnessResult:
    """Measure M, S and I of a whole programme (BS.1770-5 Annex 1, EBU Tech 3341)."""
    audio = as_audio(samples)
    meter = LoudnessMeter(
        rate,
        audio.shape[1],
        layout=layout,
        channel_weights=channel_weights,
        update_rate_hz=update_rate_hz,
    )
    meter.process(audio)
    return meter.result()


def integrated_loudness(
    samples: ArrayLike,
    rate: float,
    *,
    layout: str | None = None,
    channel_weights: Sequence[float] | None = None,
) -> float:
    """Gated integrated loudness I in LUFS (``-inf`` for silence or programmes under 400 ms)."""
    return loudness_bs1770(
        samples, rate, layout=layout, channel_weights=channel_weights
    ).integrated_lufs
