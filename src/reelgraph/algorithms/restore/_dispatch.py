"""Method dispatch shared by the family's dispatchers (private).

A dispatcher maps method names to functions. Unknown methods and unknown options raise
:class:`~reelgraph.errors.AlgorithmError` listing the valid ones; options are never
silently dropped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from reelgraph.errors import AlgorithmError


def pick_method(
    family: str, methods: Mapping[str, Callable[..., Any]], method: str
) -> Callable[..., Any]:
    """Return ``methods[method]`` or raise listing the valid names."""
    try:
        return methods[method]
    except (KeyError, TypeError):
        raise AlgorithmError(
            f"unknown {family} method {method!r}",
            hint=f"valid methods: {', '.join(sorted(methods))}",
        ) from None


def check_options(
    function: Callable[..., Any], options: Mapping[str, Any] | None, reserved: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Validate ``options`` against the keyword-only parameters of ``function``."""
    given = dict(options or {})
    allowed = [
        name
        for name, p in inspect.signature(function).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in reserved
    ]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        name = getattr(function, "__name__", "method")
        raise AlgorithmError(
            f"unknown option(s) {', '.join(unknown)} for {name}",
            hint=f"valid options: {', '.join(allowed) or '(none)'}",
        )
    return given
