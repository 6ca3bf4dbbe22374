"""reelgraph: the orchestration layer of an AI-assisted post-production studio.

The public API is kept thin so that ``import reelgraph`` stays fast; heavy modules
(media, algorithms, orchestrator) are imported where they are used.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
