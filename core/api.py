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
from .errors import PlanError, Problem, UsageError
from .jobs import PlanSource, run_plan
from .loader import Plan
from .pipeline import Engine

_ENGINES: dict[str | None, Engine] = {}


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
    (see each problem's ``severity``), in line order. An empty list means valid.

    Raises :class:`txplan.PlanError` if a file or mapping cannot be loaded at all."""
    engine = engine_for(pack)
    return run_plan(engine, _as_plan(engine, plan)).problems


def render_plan(
    plan: PlanSource,
    format: str | None = None,
    *,
    pack: str | None = None,
    as_of: dt.date | None = None,
    deidentify: bool | Deidentify = False,
) -> bytes:
    """Render ``plan`` with ``pack`` to the bytes of output format ``format`` (default: the
    Markdown the templates produce, from the format registered for ``text/markdown``), stating
    objectives' status as of ``as_of`` (default: today). ``deidentify=True`` renders it
    de-identified for supervision with dates reduced to the year; pass one
    ``Deidentify.shifted()`` to every call of a run to move dates by one secret offset instead
    (see :mod:`txplan.deidentify`).

    Raises :class:`txplan.PlanError` if the plan has errors, :class:`txplan.UsageError` for an
    unknown format, :class:`txplan.PackError` for a broken pack.
    """
    engine = engine_for(pack)
    output_format = engine.output_format(format or markdown_format(engine))
    # The date goes with this call, not on the shared cached engine: other threads may render too.
    options = Deidentify() if deidentify is True else deidentify or None
    result = run_plan(engine, _as_plan(engine, plan), formats=[output_format], as_of=as_of, deidentify=options)
    if not result.valid:
        raise PlanError(problems=result.errors)
    return result.outputs[output_format.name]


def markdown_format(engine: Engine) -> str:
    """The name of the output format that writes the document as Markdown text (media type
    ``text/markdown``): what the Python API renders when no format is named."""
    for output_format in engine.host.output_formats.values():
        if output_format.media_type.split(";")[0].strip() == "text/markdown":
            return output_format.name
    raise UsageError("no output format for text/markdown is installed; name a format")


def _as_plan(engine: Engine, plan: PlanSource) -> Plan:
    return plan if isinstance(plan, Plan) else engine.load(plan)
