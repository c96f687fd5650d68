"""Score one administration outside a plan (``txplan score``): read a response file, check it
against the instrument's schema fragment with the same item-level messages as plan validation,
and return the instrument's result."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .contracts import Instrument, ScoreResult
from .datafile import LocatedData, read_data_file
from .errors import PlanError
from .schema import compose_schema
from .validation import PlanValidator


def load_administration(instrument: Instrument, path: str | Path) -> LocatedData:
    """The administration in ``path``: a whole assessment entry, or the instrument's data value
    alone (the list of answers, say), which is wrapped under its ``data_key``."""
    loaded = read_data_file(path, mapping=False)
    data = loaded.data
    is_entry = isinstance(data, dict) and ("instrument" in data or instrument.data_key in data)
    if not is_entry:
        loaded.data = {instrument.data_key: data}
        loaded.lines = {(instrument.data_key, *key): line for key, line in loaded.lines.items()}
    elif data.get("instrument", instrument.id) != instrument.id:
        raise PlanError(problems=[loaded.problem(("instrument",), f"is '{data['instrument']}', not '{instrument.id}'")])
    loaded.data.setdefault("instrument", instrument.id)
    return loaded


def administration_validator(instrument: Instrument) -> PlanValidator:
    """A validator for one administration of ``instrument``: the plan's assessment schema with
    only this instrument, and no date required."""
    schema = compose_schema(instruments=[instrument])
    assessment = copy.deepcopy(schema["$defs"]["assessment"])
    assessment["required"] = [r for r in assessment["required"] if r != "date"]
    return PlanValidator({"$schema": schema["$schema"], "$id": schema["$id"], "$defs": schema["$defs"], **assessment}, {instrument.id: instrument})


def score_file(instrument: Instrument, path: str | Path) -> ScoreResult:
    """Score the administration in ``path``; :class:`PlanError` naming each bad item."""
    administration = load_administration(instrument, path)
    errors = [p for p in administration_validator(instrument).validate(administration) if p.severity == "error"]
    if errors:
        raise PlanError(problems=errors)
    return instrument.score(administration.data)


def result_json(instrument: Instrument, result: ScoreResult) -> dict[str, Any]:
    """The result as ``txplan score --json`` prints it: scores at full precision (an ``int``
    stays an ``int``), and what any summarising score was computed from."""
    out: dict[str, Any] = {"instrument": instrument.id, "scores": dict(result.scores)}
    if result.computed_from:
        out["computed_from"] = dict(result.computed_from)
    if result.severity is not None:
        out["severity"] = result.severity
    out["flags"] = list(result.flags)
    if result.summary:
        out["summary"] = result.summary
    return out

