"""Settings read from the environment, checked so that a bad value is said, never ignored."""

from __future__ import annotations

import math
import os

from .errors import UsageError


def seconds_from_environment(name: str, default: float, example: str) -> float:
    """The number of seconds in ``$name`` (``default`` when it is not set). Anything but a
    finite number greater than 0 is a :class:`UsageError` showing ``example``: a time limit
    that silently switched itself off would be no limit."""
    setting = os.environ.get(name)
    if setting is None:
        return default
    try:
        value = float(setting.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        shown = setting if len(setting) <= 40 else setting[:40] + "..."
        raise UsageError(f"${name} must be a number of seconds greater than 0 (such as {example}), not {shown!r}")
    return value
