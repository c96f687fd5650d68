"""Reading plan data defensively: the checks that run on a plan with schema errors (cross-field
rules, individualisation warnings) and the readiness rules all walk it with these, so a list
that is not a list, an entry that is not a mapping or a date that is not a date is skipped the
same way everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .fieldpath import PathTuple


def indexed_entries(container: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings in the list ``container[key]``, each with its index in that list; nothing
    when ``container`` is not a mapping or ``key`` holds no list."""
    values = container.get(key) if isinstance(container, dict) else None
    if not isinstance(values, list):
        return []
    return [(index, item) for index, item in enumerate(values) if isinstance(item, dict)]


def entries(container: Any, key: str, base: PathTuple = ()) -> list[tuple[PathTuple, dict[str, Any]]]:
    """:func:`indexed_entries`, each with its field path (``(*base, key, index)``) instead."""
    return [((*base, key, index), item) for index, item in indexed_entries(container, key)]


def iso_date(value: Any) -> dt.date | None:
    """``value`` as a date when it is one written ``YYYY-MM-DD``, else ``None``."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
