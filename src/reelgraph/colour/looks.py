"""Scene variables as parametric looks, composed into one ASC CDL (plus a white-balance
matrix where the CDL's per-channel slope cannot express chromatic adaptation exactly).

==============  =========================================================================
variable        meaning (all applied in scene-linear light, BT.709 primaries)
==============  =========================================================================
``time_of_day`` a named starting point: ``day``, ``golden_hour``, ``sunset``,
                ``blue_hour``, ``night`` (:data:`TIME_OF_DAY`); the other variables add to it
``warmth``      white-balance shift in kelvin, + warmer (−3000…+3000). The picture is
                adapted from a white at 6504 K + warmth to one at 6504 K (both on the
                Planckian locus, Kang et al. 2002) by von Kries in the CAT16 cone space
                (Li et al. 2017) — a bluer assumed light, corrected, reads warmer
``exposure``    stops (−4…+4): slope 2^stops
``contrast``    factor (0.5…2) about 18 % grey: out = 0.18·(in/0.18)^contrast, as CDL
                power c with slope 0.18^((1−c)/c)
``saturation``  factor (0…2): the CDL's SAT (Rec. 709 luma, which in linear BT.709 light
                is luminance)
==============  =========================================================================

Values are checked where they are set (``reelgraph set``) and read, with the valid range or
names in the hint. ``decide_look`` is the one decision the grade agent makes from them.

>>> decision = decide_look({"time_of_day": "day", "exposure": 1})
>>> decision.cdl.slope, decision.matrix is None
((2.0, 2.0, 2.0), True)
>>> "exposure" in LOOK_VARIABLES and 500 in ACCEPTS["warmth"] and 9000 not in ACCEPTS["warmth"]
True
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import colour
import numpy as np
import numpy.typing as npt

from reelgraph.algorithms.colour.asc_cdl import CDL, Triple, apply_cdl
from reelgraph.colour import lut
from reelgraph.colour.linear import from_linear, to_linear
from reelgraph.errors import PlanError

Array = npt.NDArray[np.float32]

#: The white that warmth shifts from (CIE D65's correlated colour temperature).
REFERENCE_CCT = 6504.0
#: Mid grey that contrast pivots about (18 % reflectance, scene-linear).
CONTRAST_PIVOT = 0.18
#: Off-diagonal size above which the white-balance matrix is kept beside the CDL's slope.
MATRIX_TOLERANCE = 1e-3


@dataclass(frozen=True)
class LookParameters:
    """A look in the four numbers the scene variables set."""

    warmth: float = 0.0  #: kelvin, + warmer
    exposure: float = 0.0  #: stops
    contrast: float = 1.0  #: factor about 18 % grey
    saturation: float = 1.0  #: factor


#: time_of_day → its starting look (a colourist's usual moves for that light).
TIME_OF_DAY: dict[str, LookParameters] = {
    "day": LookParameters(),
    "golden_hour": LookParameters(warmth=1200, exposure=0.1, contrast=1.05, saturation=1.1),
    "sunset": LookParameters(warmth=2000, exposure=-0.3, contrast=1.1, saturation=1.15),
    "blue_hour": LookParameters(warmth=-1800, exposure=-0.7, contrast=0.95, saturation=0.9),
    "night": LookParameters(warmth=-1500, exposure=-1.5, contrast=1.15, saturation=0.7),
}


@dataclass(frozen=True)
class NumberRange(Collection[Any]):
    """The numbers a variable accepts; ``in`` checks a value, iterating gives the hint."""

    low: float
    high: float
    unit: str
    example: str

    def __contains__(self, value: object) -> bool:
        number = _number(value)
        return number is not None and self.low <= number <= self.high

    def __iter__(self) -> Iterator[str]:
        yield f"a number from {self.low:+g} to {self.high:+g} {self.unit} (e.g. {self.example})"

    def __len__(self) -> int:
        return 1


#: Every look variable → the values accepted (the grade agent's ``accepts``).
ACCEPTS: dict[str, Collection[Any]] = {
    "time_of_day": TIME_OF_DAY,
    "warmth": NumberRange(-3000, 3000, "kelvin", "+500"),
    "exposure": NumberRange(-4, 4, "stops", "-0.5"),
    "contrast": NumberRange(0.5, 2.0, "× about 18 % grey", "1.2"),
    "saturation": NumberRange(0.0, 2.0, "×", "0.8"),
}
#: The scene variables a look reads, in the order they apply.
LOOK_VARIABLES = tuple(ACCEPTS)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().lower().removesuffix("k"))
        except ValueError:
            return None
    else:
        return None
    return number if np.isfinite(number) else None


def check(variables: Mapping[str, Any]) -> LookParameters:
    """The look the variables describe (time_of_day's, then the others added), refusing a
    value outside its range with the valid ones in the hint."""
    for name in LOOK_VARIABLES:
        if name in variables and variables[name] not in ACCEPTS[name]:
            raise PlanError(
                f"{name}={variables[name]!r} is not a valid look value",
                hint=f"valid values of {name}: {', '.join(map(str, ACCEPTS[name]))}",
            )
    base = TIME_OF_DAY[str(variables.get("time_of_day", "day"))]

    def get(name: str, default: float) -> float:
        number = _number(variables.get(name, default))
        return default if number is None else number

    return LookParameters(
        warmth=base.warmth + get("warmth", 0.0),
        exposure=base.exposure + get("exposure", 0.0),
        contrast=base.contrast * get("contrast", 1.0),
        saturation=base.saturation * get("saturation", 1.0),
    )


def white_balance_matrix(warmth: float) -> npt.NDArray[np.float64]:
    """Linear BT.709 RGB matrix adapting a white at 6504 K + warmth to 6504 K (CAT16)."""
    if warmth == 0:
        return np.eye(3)
    space = colour.RGB_COLOURSPACES["ITU-R BT.709"]

    def white(cct: float) -> npt.NDArray[np.float64]:
        # Kang 2002 covers 1667–25000 K; the sum of the ranges stays inside.
        xy = colour.temperature.CCT_to_xy(float(np.clip(cct, 1700, 25000)), method="Kang 2002")
        return np.asarray(colour.xy_to_XYZ(xy), np.float64)

    adapt = colour.adaptation.matrix_chromatic_adaptation_VonKries(
        white(REFERENCE_CCT + warmth), white(REFERENCE_CCT), transform="CAT16"
    )
    rgb_to_xyz = np.asarray(space.matrix_RGB_to_XYZ, np.float64)
    xyz_to_rgb = np.asarray(space.matrix_XYZ_to_RGB, np.float64)
    return np.asarray(xyz_to_rgb @ adapt @ rgb_to_xyz, np.float64)


@dataclass
class LookDecision:
    """What a grade applies: ``matrix`` (or None), then ``cdl``, in scene-linear light."""

    parameters: LookParameters
    cdl: CDL
    matrix: npt.NDArray[np.float64] | None = None
    reads: dict[str, Any] = field(default_factory=dict)

    def linear(self, rgb: npt.ArrayLike) -> Array:
        values = np.asarray(rgb, np.float32)
        if self.matrix is not None:
            values = (values @ self.matrix.T.astype(np.float32)).astype(np.float32)
        return apply_cdl(np.maximum(values, 0.0), self.cdl, clamp=False)

    def encoded(self, rgb: npt.ArrayLike, transfer: str) -> Array:
        return from_linear(self.linear(to_linear(rgb, transfer)), transfer)

    def table(self, transfer: str) -> Array:
        return lut.bake(lambda x: self.encoded(x, transfer))

    def encoded_cdl(self, transfer: str) -> tuple[CDL, float]:
        """The ASC CDL (clamped, as §3.2) on the *encoded* picture nearest this look, and
        the mean CIEDE2000 by which it misses the exact look on a 17³ grid — for systems
        and views that apply a CDL to video-encoded R'G'B' directly."""
        if self.is_identity():
            return CDL(), 0.0
        from reelgraph.colour.continuity import fit_encoded_cdl

        return fit_encoded_cdl(lambda x: self.encoded(x, transfer), transfer)

    def is_identity(self) -> bool:
        return self.matrix is None and self.cdl.is_identity()

    def summary(self) -> str:
        p = self.parameters
        return (
            f"warmth {p.warmth:+g} K, exposure {p.exposure:+g} stops, contrast ×{p.contrast:g}, "
            f"saturation ×{p.saturation:g}"
        )

    def to_meta(self) -> dict[str, Any]:
        return {
            "cdl": self.cdl.to_dict(),
            "matrix": None if self.matrix is None else np.round(self.matrix, 6).tolist(),
            "parameters": {
                "warmth": self.parameters.warmth,
                "exposure": self.parameters.exposure,
                "contrast": self.parameters.contrast,
                "saturation": self.parameters.saturation,
            },
            "reads": dict(self.reads),
        }


def decide_look(variables: Mapping[str, Any], strength: float = 1.0) -> LookDecision:
    """The look the scene variables ask for, at ``strength`` (0 none … 1 full), as one CDL
    (+ the white-balance matrix when CAT16 is not a pure per-channel gain in RGB)."""
    full = check(variables)
    s = float(strength)
    p = LookParameters(
        warmth=s * full.warmth,
        exposure=s * full.exposure,
        contrast=1.0 + s * (full.contrast - 1.0),
        saturation=1.0 + s * (full.saturation - 1.0),
    )
    wb = white_balance_matrix(p.warmth)
    gains = np.diag(wb).copy()
    rest = wb / gains[:, None]  # wb = diag(gains) @ rest
    matrix = None if np.max(np.abs(rest - np.eye(3))) <= MATRIX_TOLERANCE else rest
    if matrix is None:
        gains = wb @ np.ones(3)  # a pure gain: the image of white
    c = p.contrast
    base = 2.0**p.exposure * CONTRAST_PIVOT ** ((1.0 - c) / c)
    slope = gains * base
    cdl = CDL(
        slope=(float(slope[0]), float(slope[1]), float(slope[2])),
        power=(c, c, c),
        saturation=p.saturation,
    )
    reads = {name: variables[name] for name in LOOK_VARIABLES if name in variables}
    return LookDecision(p, cdl, matrix, reads)


class EncodedLookTable(MutableMapping[str, CDL]):
    """``time_of_day`` → the encoded-domain CDL of that look alone (full strength, BT.709),
    computed when first read. For views and systems that apply a CDL to the encoded
    picture; an entry set here (a studio's own named CDL) is used as it is."""

    def __init__(self, transfer: str = "bt709") -> None:
        self.transfer = transfer
        self._custom: dict[str, CDL] = {}
        self._computed: dict[str, CDL] = {}

    def __getitem__(self, name: str) -> CDL:
        if name in self._custom:
            return self._custom[name]
        if name not in TIME_OF_DAY:
            raise KeyError(name)
        if name not in self._computed:
            decision = decide_look({"time_of_day": name})
            self._computed[name] = decision.encoded_cdl(self.transfer)[0]
        return self._computed[name]

    def __setitem__(self, name: str, cdl: CDL) -> None:
        self._custom[name] = cdl

    def __delitem__(self, name: str) -> None:
        del self._custom[name]

    def __iter__(self) -> Iterator[str]:
        yield from TIME_OF_DAY
        yield from (name for name in self._custom if name not in TIME_OF_DAY)

    def __len__(self) -> int:
        return len(set(TIME_OF_DAY) | set(self._custom))

    def __contains__(self, name: object) -> bool:
        return name in TIME_OF_DAY or name in self._custom


def encoded_look(
    variables: Mapping[str, Any], strength: float, table: EncodedLookTable
) -> tuple[str, CDL, dict[str, Any]]:
    """(time_of_day, the encoded-domain CDL to apply, what to record in the artifact's
    meta) for a grade that applies its CDL to the encoded picture: the look of the scene
    variables at ``strength``. A name set in ``table`` beyond :data:`TIME_OF_DAY` is that
    CDL blended by ``strength``."""
    look = str(variables.get("time_of_day", "day"))
    if look not in table:
        raise PlanError(f"time_of_day {look!r} has no look", hint=f"use one of: {', '.join(table)}")
    if look not in TIME_OF_DAY:
        full, s = table[look], float(strength)

        def towards(one: float, values: tuple[float, float, float]) -> Triple:
            return (
                one + s * (values[0] - one),
                one + s * (values[1] - one),
                one + s * (values[2] - one),
            )

        cdl = CDL(
            towards(1.0, full.slope),
            towards(0.0, full.offset),
            towards(1.0, full.power),
            1.0 + s * (full.saturation - 1.0),
        )
        return look, cdl, {"look": look, "cdl": cdl.to_dict()}
    decision = decide_look(variables, strength)
    others = {k: v for k, v in decision.reads.items() if k != "time_of_day"}
    if not others and strength == 1.0:
        cdl, miss = table[look], None  # the table's own entry: one value for one look
    else:
        cdl, miss = decision.encoded_cdl(table.transfer)
    meta: dict[str, Any] = {
        "look": look,
        "cdl": cdl.to_dict(),
        "cdl_domain": f"encoded ({table.transfer})",
        "scene_linear": decision.to_meta(),
        "summary": decision.summary(),
    }
    if miss is not None:
        meta["cdl_delta_e"] = round(miss, 3)
    return look, cdl, meta
