"""Load a treatment plan from a YAML or JSON file, or from a mapping built in memory.

Reading is :mod:`txplan.datafile`'s job (safe YAML and JSON, every field's line, characters a
document cannot hold); this module makes what it read a :class:`Plan`, the object every later
step (validation, the readiness check, rendering) takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .datafile import LocatedData, check_data, parse_data_bytes, parse_data_text, read_data_file
from .fieldpath import PathTuple


class Plan(LocatedData):
    """A loaded treatment plan: its data, where it came from, and the source line of every field.

    ``source`` is the name used in messages (the path as given, or ``<mapping>``).
    """


def load_plan_file(path: str | Path) -> Plan:
    """Read, parse and check a plan file (``.yaml``, ``.yml`` or ``.json``; other names are
    sniffed). Raises :class:`~txplan.errors.PlanError` listing every problem found."""
    return _plan(read_data_file(path))


def load_plan_bytes(raw: bytes, source: str, kind: str = "yaml") -> Plan:
    """Parse and check plan bytes; ``kind`` is ``"yaml"`` or ``"json"``."""
    return _plan(parse_data_bytes(raw, source, kind))


def load_plan_text(text: str, source: str, kind: str = "yaml") -> Plan:
    """Parse and check plan text; ``kind`` is ``"yaml"`` or ``"json"``."""
    return _plan(parse_data_text(text, source, kind))


def plan_from_data(data: Mapping[str, Any], source: str = "<mapping>", lines: dict[PathTuple, int] | None = None) -> Plan:
    """Check a plan an integrator built in memory (or data already parsed) and wrap it as a
    :class:`Plan`. Strings are normalised (CR/CRLF to LF); invalid characters, NaN and infinity
    and over-deep nesting are reported."""
    return _plan(check_data(data, source, lines))


def _plan(located: LocatedData) -> Plan:
    return Plan(located.data, located.source, located.path, located.lines)
