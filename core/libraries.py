"""Intervention libraries written as YAML files (``schemas/library.schema.json``): the built-in
ones and a practice's own, listed in its template pack. One loader for both, so a practice's
library is checked exactly as ours are."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jsonschema

from .contracts import InterventionEntry, InterventionLibrary
from .datafile import read_data_file
from .errors import PackError, PlanError


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    from .schema import bundled_schema

    return jsonschema.Draft202012Validator(bundled_schema("library.schema.json"))


def load_library(path: Path | str) -> InterventionLibrary:
    """Read and check a library file; :class:`PackError` naming each problem's file and line."""
    try:
        loaded = read_data_file(path)
    except PlanError as exc:
        raise PackError(f"intervention library {path} cannot be read:", exc.problems) from None
    # A library file holds no health information, so jsonschema's own messages are safe to show.
    problems = [loaded.problem(tuple(e.absolute_path), e.message) for e in _validator().iter_errors(loaded.data)]
    seen: dict[str, int | None] = {}
    for index, entry in enumerate(loaded.data.get("entries") or []):
        ident = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(ident, str):
            if ident in seen:
                problems.append(loaded.problem(("entries", index, "id"), f"entry id '{ident}' is used twice (first on line {seen[ident]})"))
            seen.setdefault(ident, loaded.line_of(("entries", index, "id")))
    if problems:
        raise PackError(f"intervention library {path} is not valid:", problems)
    data = loaded.data
    entries = [
        InterventionEntry(
            id=e["id"],
            name=e["name"],
            description=" ".join(e["description"].split()),
            rationale=" ".join(e.get("rationale", "").split()),
            frequency=e.get("frequency", ""),
            citation=e.get("citation", ""),
            problems=tuple(e.get("problems", ())),
            goals=tuple(e.get("goals", ())),
        )
        for e in data["entries"]
    ]
    return InterventionLibrary(data["namespace"], data["name"], entries, " ".join(data.get("description", "").split()))
