"""Field paths: the tuple form used internally and the dotted form shown to users."""

from __future__ import annotations

import re
from collections.abc import Iterable

PathTuple = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_path(path: Iterable[str | int]) -> str:
    """``('goals', 0, 'objectives', 1, 'target_date')`` -> ``goals[0].objectives[1].target_date``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out
