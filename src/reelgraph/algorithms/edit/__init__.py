"""Editorial transitions: the weights of a picture dissolve and of a sound crossfade."""

from reelgraph.algorithms.edit.crossfade_constant_power import (
    crossfade_gains,
    dissolve_weights,
    mix,
)

__all__ = ["crossfade_gains", "dissolve_weights", "mix"]
