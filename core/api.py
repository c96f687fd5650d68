"""The Python API: the same functions the command line uses.

>>> import txplan
>>> plan = txplan.load_plan("examples/attachment-plan.yaml")
>>> [str(p) for p in txplan.validate_plan(plan)]
[]
>>> markdown = txplan.render_plan(plan, "markdown")

Engines are cached per pack, so calling these in a loop reuses the validator and compiled
templates. For full control (a plugin host of your own, one engine per pack), use
:class:`Engine` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .deidentify import Deidentify
from .errors import Problem
from .loader import Plan
from .pipeline import Engine

_ENGINES: dict[str | None, Engine] = {}

PlanSource = str | Path | Mapping[str, Any] | Plan


def engine_for(pack: str | None = None) -> Engine:
    """The cached :class:`Engine` for ``pack`` (a pack name or folder; ``None`` for default)."""
    if pack not in _ENGINES:
        _ENGINES[pack] = Engine(pack)
    return _ENGINES[pack]


def load_plan(source: str | Path | Mapping[str, Any]) -> Plan:
    """Load a plan from a YAML/JSON file path, or check a mapping built in memory.

    Raises :class:`txplan.PlanError` (with ``.problems``) if it cannot be read or parsed.
    """
    return engine_for(None).load(source)


def validate_plan(plan: PlanSource, *, pack: str | None = None) -> list[Problem]:
    """Every problem in ``plan`` against the effective schema for ``pack``: errors and warnings
    (see each problem's ``severity``), in line order. An empty list means valid."""
    engine = engine_for(pack)
    return engine.validate(_as_plan(engine, plan))


def render_plan(
    plan: PlanSource, format: str = "markdown", *, pack: str | None = None, as_of: dt.date | None = None, deidentify: bool | Deidentify = False
) -> bytes:
    """Render ``plan`` with ``pack`` to the bytes of output format ``format``, stating objectives'
    status as of ``as_of`` (default: today). ``deidentify=True`` renders it de-identified for
    supervision with dates reduced to the year; pass one ``Deidentify.shifted()`` to every call
    of a run to move dates by one secret offset instead (see :mod:`txplan.deidentify`).

    Raises :class:`txplan.PlanError` if the plan has errors, :class:`txplan.UsageError` for an
    unknown format, :class:`txplan.PackError` for a broken pack.
    """
    engine = engine_for(pack)
    options = Deidentify() if deidentify is True else deidentify or None
    # The date goes with this call, not on the shared cached engine: other threads may render too.
    return engine.render(_as_plan(engine, plan), format, as_of=as_of, deidentify=options)


def _as_plan(engine: Engine, plan: PlanSource) -> Plan:
    return plan if isinstance(plan, Plan) else engine.load(plan)
