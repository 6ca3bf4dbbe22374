"""Shot-to-hero continuity: estimate one colour decision per shot from what it shares with
the hero, express it as an ASC CDL (plus a residual when the CDL cannot reach it), and
measure the match in CIEDE2000.

Flow (each step one algorithm module):

1. pairs of colours where the views overlap — SIFT + RANSAC homography, dense pairs in the
   warped overlap (:mod:`~reelgraph.algorithms.colour.correspondence_sift_lowe2004`),
   pooled over the shot's sampled frames, so one decision holds for the whole shot;
2. a robust (Huber IRLS) fit of a 3×3 matrix + offset in scene-linear light
   (:mod:`~reelgraph.algorithms.colour.robust_fit_huber1964`); where nothing overlaps,
   masked neutral and skin statistics
   (:mod:`~reelgraph.algorithms.colour.neutral_skin_statistics_buchsbaum1980`) — with a
   view's subject mattes (rotoscoped), its neutrals are taken outside the subject and its
   skin inside it;
3. the CDL (slope, offset, saturation; power 1 — scene-linear mis-grades are gains)
   nearest to that fit; when it misses by more than :data:`RESIDUAL_DELTA_E`, a residual
   matrix after the CDL, delivered as a 33³ LUT;
4. a bound: the decision never clips more pixels than the shot or the hero already do.

The CDL works on scene-linear RGB (inverse camera OETF of the shot's transfer, BT.709
primaries), OpenColorIO's ``CDL_NO_CLAMP`` style; the ``.cc`` says so in its description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import colour
import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from reelgraph.algorithms.colour.asc_cdl import CDL, apply_cdl, cdl_linear_part
from reelgraph.algorithms.colour.correspondence_sift_lowe2004 import overlap_pairs
from reelgraph.algorithms.colour.neutral_skin_statistics_buchsbaum1980 import match_neutrals
from reelgraph.algorithms.colour.robust_fit_huber1964 import AffineColour, fit_affine_huber
from reelgraph.algorithms.colour.standards import HDR_REFERENCE_WHITE, LUMA_BT709
from reelgraph.colour import lut
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.errors import PlanError

Array = npt.NDArray[np.float32]

#: Mean CIEDE2000 by which the CDL alone may miss the fitted match before a residual LUT
#: is made (0.5: below what a colourist sees side by side).
RESIDUAL_DELTA_E = 0.5
#: Fewest overlap pairs, over all sampled frames, for the overlap fit to be trusted.
MIN_PAIRS = 200
#: Share of the shot's sampled frames in which the shared view must be verified. Two
#: angles on one scene share it through the shot; a single frame pair that verifies is
#: chance (the demo's rocket and astronaut shots met a 12-match homography in 1 of 8
#: frames, and the fit from it graded the shot to near-flat grey).
MIN_FRAMES_SHARED = 0.5
#: Extra fraction of clipped pixels tolerated over the shot's or the hero's own.
CLIP_TOLERANCE = 0.002
#: Encoded values at or beyond which a colour pair is taken as clipped (white / black).
CLIP_HIGH, CLIP_LOW = 0.99, 0.004
#: Frames sampled evenly from each shot (and from the hero) to pool the estimate over.
SAMPLE_FRAMES = 6
#: Where the decision is applied, said in every CDL file and report.
WORKING_SPACE = "scene-linear BT.709 (inverse camera OETF), CDL_NO_CLAMP"


@dataclass
class ColourDecision:
    """A shot's colour decision: CDL then optional residual, in scene-linear light."""

    transfer: str
    cdl: CDL = field(default_factory=CDL)
    residual: AffineColour | None = None
    gain: float = 1.0

    def linear(self, rgb: npt.ArrayLike) -> Array:
        out = apply_cdl(np.asarray(rgb, np.float32), self.cdl, clamp=False)
        if self.residual is not None:
            out = self.residual.apply(out)
        return (out * np.float32(self.gain)).astype(np.float32)

    def encoded(self, rgb: npt.ArrayLike) -> Array:
        return from_linear(self.linear(to_linear(rgb, self.transfer)), self.transfer)

    def table(self) -> Array:
        return lut.bake(self.encoded)

    def residual_table(self) -> Array | None:
        """The 33³ LUT that takes the CDL's output to the full decision (None if unneeded)."""
        if self.residual is None and self.gain == 1.0:
            return None
        residual = self.residual or AffineColour.identity()
        gain = np.float32(self.gain)
        return lut.bake(
            lambda x: from_linear(residual.apply(to_linear(x, self.transfer)) * gain, self.transfer)
        )

    def to_meta(self) -> dict[str, Any]:
        """The decision for artifact meta and JSON: the CDL (where a timeline export places
        it), where it applies, and the residual after it (identity when there is none)."""
        residual = self.residual or AffineColour.identity()
        return {
            "cdl": self.cdl.to_dict(),
            "working_space": WORKING_SPACE,
            "transfer": self.transfer,
            "residual": {
                "matrix": np.round(residual.matrix, 6).tolist(),
                "offset": np.round(residual.offset, 6).tolist(),
            },
            "gain": round(self.gain, 6),
        }

    def encoded_cdl(self, samples: Array | None = None) -> tuple[CDL, float]:
        """The ASC CDL on the *encoded* picture nearest the whole decision at ``samples``
        (the shot's colours), and the mean CIEDE2000 by which it misses it there: for views
        that apply a CDL to R'G'B' directly."""
        return fit_encoded_cdl(self.encoded, self.transfer, samples)


@dataclass
class MatchResult:
    decision: ColourDecision
    method: str  # homography, epipolar, neutrals, neutrals+skin, none
    pairs: int
    inliers: int
    coverage: float
    delta_e_before: float
    delta_e_after: float
    cdl_miss: float
    clip_bounded: bool
    notes: list[str] = field(default_factory=list)
    delta_e_itp_before: float | None = None  # ΔE ITP (ITU-R BT.2124), HDR shots only
    delta_e_itp_after: float | None = None
    #: What told subject from background in the statistics (:data:`MASKS`); None when
    #: the views were matched by their overlap.
    masks: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "pairs": self.pairs,
            "inliers": self.inliers,
            "coverage": round(self.coverage, 4),
            "delta_e_before": round(self.delta_e_before, 3),
            "delta_e_after": round(self.delta_e_after, 3),
            "delta_e_itp_before": _rounded(self.delta_e_itp_before),
            "delta_e_itp_after": _rounded(self.delta_e_itp_after),
            "cdl_delta_e": round(self.cdl_miss, 3),
            "residual_lut": self.decision.residual is not None or self.decision.gain != 1.0,
            "clip_bounded": self.clip_bounded,
            "masks": self.masks,
            **self.decision.to_meta(),
            "notes": list(self.notes),
        }


#: Transfers whose shots are also compared in ΔE ITP.
HDR_TRANSFERS = ("smpte2084", "arib-std-b67")
#: FFmpeg primaries name → colour-science colourspace.
COLOURSPACES = {"bt709": "ITU-R BT.709", "bt2020": "ITU-R BT.2020", "smpte432": "P3-D65"}


#: (shot's mask, hero's mask) → what a report says told subject from background.
MASKS = {
    ("roto", "roto"): "roto",
    ("roto", "colour"): "roto-shot",
    ("colour", "roto"): "roto-hero",
    ("colour", "colour"): "colour",
}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _xyz(encoded: npt.ArrayLike, transfer: str, primaries: str) -> npt.NDArray[np.float64]:
    linear = np.clip(to_linear(encoded, transfer), 0.0, None).astype(np.float64)
    space = colour.RGB_COLOURSPACES[COLOURSPACES.get(primaries, "ITU-R BT.709")]
    return np.asarray(colour.RGB_to_XYZ(linear, space, apply_cctf_decoding=False), np.float64)


def lab(encoded: npt.ArrayLike, transfer: str, primaries: str = "bt709") -> npt.NDArray[np.float64]:
    """CIELAB (D65) of encoded R'G'B', diffuse white = L* 100."""
    return np.asarray(colour.XYZ_to_Lab(_xyz(encoded, transfer, primaries)), np.float64)


def delta_e_2000(
    a: npt.ArrayLike, b: npt.ArrayLike, transfer: str, primaries: str = "bt709"
) -> npt.NDArray[np.float64]:
    """Per-pixel CIEDE2000 between two encoded R'G'B' arrays of the same shape."""
    return np.asarray(
        colour.delta_E(lab(a, transfer, primaries), lab(b, transfer, primaries), method="CIE 2000"),
        np.float64,
    )


def delta_e_itp(
    a: npt.ArrayLike, b: npt.ArrayLike, transfer: str, primaries: str = "bt2020"
) -> npt.NDArray[np.float64]:
    """Per-pixel ΔE ITP (ITU-R BT.2124) between two encoded arrays: scene-linear white
    placed at the BT.2408 reference white (203 cd/m²), ICtCp of BT.2100 (PQ)."""
    bt2020 = colour.RGB_COLOURSPACES["ITU-R BT.2020"]

    def ictcp(encoded: npt.ArrayLike) -> npt.NDArray[np.float64]:
        rgb = colour.XYZ_to_RGB(
            _xyz(encoded, transfer, primaries), bt2020, apply_cctf_encoding=False
        )
        nits = np.clip(rgb, 0.0, None) * HDR_REFERENCE_WHITE
        return np.asarray(colour.RGB_to_ICtCp(nits, method="ITU-R BT.2100-2 PQ"), np.float64)

    return np.asarray(colour.delta_E(ictcp(a), ictcp(b), method="ITP"), np.float64)


def _fit_cdl(x: npt.NDArray[np.float64], target: npt.NDArray[np.float64]) -> CDL:
    """The CDL (slope, offset, saturation; power 1) nearest ``target`` at the points ``x``,
    in relative linear error."""
    weight = 1.0 / (np.maximum(target @ LUMA_BT709.astype(np.float64), 0.0) + 0.05)
    luma = LUMA_BT709.astype(np.float64)

    def residual(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        slope, offset, sat = p[:3], p[3:6], p[6]
        z = x * slope + offset
        zl = z @ luma
        out = zl[:, None] + sat * (z - zl[:, None])
        return ((out - target) * weight[:, None]).ravel()

    ratio = np.median(target / np.maximum(x, 1e-3), axis=0)
    start = np.concatenate([np.clip(ratio, 0.05, 20.0), np.zeros(3), [1.0]])
    lower = np.array([1e-3] * 3 + [-0.5] * 3 + [0.0])
    upper = np.array([50.0] * 3 + [0.5] * 3 + [4.0])
    fit = least_squares(
        residual, np.clip(start, lower, upper), bounds=(lower, upper), loss="soft_l1"
    )
    p = fit.x
    return CDL(
        (float(p[0]), float(p[1]), float(p[2])),
        (float(p[3]), float(p[4]), float(p[5])),
        (1.0,) * 3,
        float(p[6]),
    )


def _subsample(frames: list[Array], count: int = 20_000, seed: int = 0) -> Array:
    pixels = np.concatenate([f.reshape(-1, 3) for f in frames]) if frames else np.zeros((0, 3))
    if len(pixels) > count:
        pixels = pixels[np.random.default_rng(seed).choice(len(pixels), count, replace=False)]
    return np.asarray(pixels, np.float32)


def _clipped(encoded: Array) -> float:
    return float(np.mean(np.max(encoded, axis=-1) >= 0.999)) if len(encoded) else 0.0


def match_shot(
    shot_frames: list[Array],
    hero_frames: list[Array],
    *,
    transfer: str = "bt709",
    hero_transfer: str | None = None,
    primaries: str = "bt709",
    shot_mattes: list[npt.NDArray[np.float32]] | None = None,
    hero_mattes: list[npt.NDArray[np.float32]] | None = None,
) -> MatchResult:
    """One decision for the shot (its sampled frames) against the hero's sampled frames.

    ``shot_mattes`` / ``hero_mattes``: the subject's matte (H, W) of each sampled frame,
    frame for frame, when the view is rotoscoped; the statistics then keep neutrals outside
    the subject and skin inside it."""
    for name, mattes, pictures in (
        ("shot", shot_mattes, shot_frames),
        ("hero", hero_mattes, hero_frames),
    ):
        if mattes is not None and [m.shape[:2] for m in mattes] != [f.shape[:2] for f in pictures]:
            raise ValueError(f"the {name}'s mattes do not pair with its frames, one for one")
    hero_transfer = hero_transfer or transfer
    notes: list[str] = []
    masks: str | None = None
    shot_pairs: list[Array] = []
    hero_pairs: list[Array] = []
    methods: list[str] = []
    inliers = 0
    coverage: list[float] = []
    for i, frame in enumerate(shot_frames):
        # The hero frame at the same relative position; its middle frame as a second try.
        j = round(i * (len(hero_frames) - 1) / max(1, len(shot_frames) - 1))
        overlap = overlap_pairs(frame, hero_frames[j], seed=i)
        if overlap.method == "none" and j != len(hero_frames) // 2:
            overlap = overlap_pairs(frame, hero_frames[len(hero_frames) // 2], seed=i)
        if overlap.method == "none":
            continue
        methods.append(overlap.method)
        inliers += overlap.inliers
        coverage.append(overlap.coverage)
        shot_pairs.append(overlap.image_rgb)
        hero_pairs.append(overlap.reference_rgb)
    pairs = int(sum(len(p) for p in shot_pairs))
    shot_sample = _subsample(shot_frames)
    hero_sample = _subsample(hero_frames, seed=1)
    if 0 < len(methods) < MIN_FRAMES_SHARED * len(shot_frames):
        notes.append(
            f"a shared view verified in only {len(methods)} of {len(shot_frames)} sampled "
            "frames: taken as chance, not used"
        )
        pairs = 0
    if pairs >= MIN_PAIRS:
        method = max(set(methods), key=methods.count)
        src_enc = np.concatenate(shot_pairs)
        ref_enc = np.concatenate(hero_pairs)
        # Pairs are in each view's own encoding; the fit sees both as scene-linear light.
        src_lin = to_linear(src_enc, transfer).astype(np.float64)
        ref_lin = to_linear(ref_enc, hero_transfer).astype(np.float64)
        # Pairs clipped at either end in either view say nothing about the transform.
        usable = (np.max(src_enc, axis=1) < CLIP_HIGH) & (np.max(ref_enc, axis=1) < CLIP_HIGH)
        usable &= (np.min(src_enc, axis=1) > CLIP_LOW) & (np.min(ref_enc, axis=1) > CLIP_LOW)
        fit = fit_affine_huber(src_lin[usable], ref_lin[usable], model="matrix")
        notes.append(
            f"{pairs} colour pairs from {len(methods)}/{len(shot_frames)} frames "
            f"({method}); {fit.inlier_fraction:.0%} inliers of the robust fit"
        )
        points = np.clip(to_linear(shot_sample, transfer), 0.0, None).astype(np.float64)
        target = fit.apply(points).astype(np.float64)
        cdl = _fit_cdl(points, target)
        a, off = cdl_linear_part(cdl)
        # Residual after the CDL: fit ∘ CDL⁻¹ (exact while the CDL output stays ≥ 0).
        a_inv = np.linalg.inv(a)
        residual = AffineColour(fit.matrix @ a_inv, fit.offset - fit.matrix @ a_inv @ off)
    else:
        src_lin_frames = [to_linear(f, transfer) for f in shot_frames]
        ref_lin_frames = [to_linear(f, hero_transfer) for f in hero_frames]
        neutral = match_neutrals(
            np.concatenate([f.reshape(-1, 3) for f in src_lin_frames]),
            np.concatenate([f.reshape(-1, 3) for f in ref_lin_frames]),
            image_subject=_flat(shot_mattes),
            reference_subject=_flat(hero_mattes),
        )
        method = neutral.used
        masks = MASKS[neutral.masks]
        notes.append(
            "the shot and the hero share no verified view; matched by "
            + {
                "neutrals+skin": "masked statistics of neutrals and skin",
                "neutrals": "masked statistics of neutrals",
            }.get(
                method,
                "nothing: one of them shows nothing near grey, so no statistic tells grade "
                "from content; the shot is left as it is",
            )
        )
        if masks != "colour":
            notes.append(
                {
                    "roto": "the shot's and the hero's mattes",
                    "roto-shot": "the shot's matte (the hero has none: colour alone there)",
                    "roto-hero": "the hero's matte (the shot has none: colour alone there)",
                }[masks]
                + " kept the neutrals outside the subject and the skin inside it"
            )
        g = neutral.gains
        cdl = CDL((float(g[0]), float(g[1]), float(g[2])), saturation=neutral.saturation)
        residual = None
        src_enc = ref_enc = np.zeros((0, 3), np.float32)
    decision = ColourDecision(transfer, cdl, residual)
    cdl_only = ColourDecision(transfer, cdl)
    cdl_miss = (
        float(
            delta_e_2000(
                cdl_only.encoded(shot_sample), decision.encoded(shot_sample), transfer
            ).mean()
        )
        if residual is not None
        else 0.0
    )
    if residual is not None and cdl_miss <= RESIDUAL_DELTA_E:
        decision.residual = None
        notes.append(f"the CDL reaches the match within ΔE2000 {cdl_miss:.2f}; no residual LUT")
    elif residual is not None:
        notes.append(
            f"the CDL alone misses the match by ΔE2000 {cdl_miss:.2f}; a residual LUT follows it"
        )
    clip_bounded = _bound_clipping(decision, shot_sample, hero_sample, hero_transfer, notes)
    if len(src_enc):
        shot_points, hero_points = src_enc, _convert(ref_enc, hero_transfer, transfer)
        matched = decision.encoded(src_enc)
    else:
        # No shared points: compare the views' mean colours (what the statistics matched).
        hero_points = _convert(hero_sample, hero_transfer, transfer).mean(axis=0, keepdims=True)
        shot_points = shot_sample.mean(axis=0, keepdims=True)
        matched = decision.encoded(shot_sample).mean(axis=0, keepdims=True)
    before = float(delta_e_2000(shot_points, hero_points, transfer, primaries).mean())
    after = float(delta_e_2000(matched, hero_points, transfer, primaries).mean())
    itp_before = itp_after = None
    if transfer in HDR_TRANSFERS:
        itp_before = float(delta_e_itp(shot_points, hero_points, transfer, primaries).mean())
        itp_after = float(delta_e_itp(matched, hero_points, transfer, primaries).mean())
    return MatchResult(
        decision,
        method,
        pairs,
        inliers,
        float(np.mean(coverage)) if coverage else 0.0,
        before,
        after,
        cdl_miss,
        clip_bounded,
        notes,
        itp_before,
        itp_after,
        masks,
    )


def _flat(mattes: list[npt.NDArray[np.float32]] | None) -> npt.NDArray[np.float32] | None:
    return None if mattes is None else np.concatenate([m.reshape(-1) for m in mattes])


def _convert(encoded: Array, source: str, target: str) -> Array:
    return encoded if source == target else from_linear(to_linear(encoded, source), target)


def _bound_clipping(
    decision: ColourDecision, shot: Array, hero: Array, hero_transfer: str, notes: list[str]
) -> bool:
    """Lower the decision's gain until it clips no more pixels than the shot or the hero."""
    allowed = max(_clipped(shot), _clipped(_convert(hero, hero_transfer, decision.transfer)))
    allowed += CLIP_TOLERANCE
    if _clipped(decision.encoded(shot)) <= allowed:
        return False
    low, high = 0.05, 1.0
    for _ in range(20):
        decision.gain = (low + high) / 2
        if _clipped(decision.encoded(shot)) <= allowed:
            low = decision.gain
        else:
            high = decision.gain
    decision.gain = low
    notes.append(
        f"exposure held {np.log2(1 / low):.2f} stop(s) under the match so it clips no more "
        "than the shot or the hero"
    )
    return True


def look_statistics(frames: list[Array], transfer: str) -> npt.NDArray[np.float64]:
    """A shot's look in one vector: CIELAB median and mean chroma of its sampled frames."""
    values = lab(_subsample(frames, 5000), transfer)
    chroma = np.hypot(values[:, 1], values[:, 2])
    return np.array([*np.median(values, axis=0), chroma.mean()])


def choose_hero(looks: dict[str, npt.NDArray[np.float64]]) -> str:
    """The shot nearest the scene's median look (Euclidean in CIELAB + chroma)."""
    if not looks:
        raise ValueError("a scene needs at least one shot to choose a hero")
    names = sorted(looks)
    stack = np.stack([looks[n] for n in names])
    median = np.median(stack, axis=0)
    return names[int(np.argmin(np.linalg.norm(stack - median, axis=1)))]


def hero_for_scene(
    scene: str, looks: dict[str, npt.NDArray[np.float64]], hero: str | None = None
) -> tuple[str, str]:
    """(the scene's hero shot, why): the brief's ``hero`` when given — refused with the
    scene's shots listed when it is not one of them — else the shot nearest the median."""
    if hero is not None:
        if hero not in looks:
            raise PlanError(
                f"scene {scene!r}: hero {hero!r} is not one of its shots",
                hint=f"set hero to one of: {', '.join(sorted(looks)) or '(no shots)'}",
            )
        return hero, f"{hero} is the scene's hero (brief)"
    if not looks:
        raise PlanError(f"scene {scene!r} has no shots to match", hint="add shots to the scene")
    chosen = choose_hero(looks)
    return chosen, f"{chosen} is nearest the scene's median look ({len(looks)} shots)"


def fit_encoded_cdl(
    function: Callable[[Array], Array], transfer: str, samples: Array | None = None
) -> tuple[CDL, float]:
    """The ASC CDL (clamped, as §3.2) on *encoded* R'G'B' nearest ``function`` (encoded →
    encoded) at ``samples`` (a picture's colours, (N, 3); a 17³ grid when absent), and the
    mean CIEDE2000 by which it misses it there."""
    points = lut.grid(17).reshape(-1, 3) if samples is None else _subsample([samples], 5000)
    target = np.asarray(function(points), np.float64)
    # Near-black and clipped grid points pull a fit without being seen.
    keep = (points.max(axis=1) > 0.02) & (target.max(axis=1) < 0.999)
    x, y = points[keep].astype(np.float32), target[keep]

    def cdl_of(p: npt.NDArray[np.float64]) -> CDL:
        return CDL(
            (float(p[0]), float(p[1]), float(p[2])),
            (float(p[3]), float(p[4]), float(p[5])),
            (float(p[6]), float(p[7]), float(p[8])),
            float(p[9]),
        )

    def residual(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return (apply_cdl(x, cdl_of(p)).astype(np.float64) - y).ravel()

    start = np.array([1.0] * 3 + [0.0] * 3 + [1.0] * 3 + [1.0])
    lower = np.array([0.01] * 3 + [-0.5] * 3 + [0.2] * 3 + [0.0])
    upper = np.array([8.0] * 3 + [0.5] * 3 + [5.0] * 3 + [4.0])
    # apply_cdl works in float32: steps of 1e-3 keep the differences above its precision.
    fit = least_squares(residual, start, bounds=(lower, upper), diff_step=1e-3)
    cdl = cdl_of(fit.x)
    miss = float(delta_e_2000(apply_cdl(points, cdl), function(points), transfer).mean())
    return cdl, miss
