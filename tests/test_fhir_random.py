"""Property test: for any PHQ-9 and GAD-7 answers, dates and measured-objective bounds, the
exported bundle loads in the R4 models, passes txplan's US Core checks, and importing it gives
back exactly the administrations that went in (the same administration twice on one day
included)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from typing import Any

from fhirclient.models.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txplan.fhir.export import build_bundle
from txplan.fhir.importer import administrations
from txplan.fhir.uscore import bundle_problems
from txplan.pipeline import Engine
from txplan.testing import sample_plan

ITEMS = {"phq-9": 9, "gad-7": 7}


@cache
def engine() -> Engine:
    """Built-in plugins only."""
    return Engine()


@st.composite
def administration(draw: st.DrawFn) -> dict[str, Any]:
    instrument = draw(st.sampled_from(sorted(ITEMS)))
    entry: dict[str, Any] = {
        "instrument": instrument,
        "date": draw(st.dates(dt.date(2026, 9, 1), dt.date(2027, 3, 1))).isoformat(),
        "responses": draw(st.lists(st.integers(0, 3), min_size=ITEMS[instrument], max_size=ITEMS[instrument])),
    }
    if draw(st.booleans()):
        entry["difficulty"] = draw(st.integers(0, 3))
    return entry


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(administration(), min_size=1, max_size=6), st.floats(0, 27, allow_nan=False), st.booleans())
def test_any_answers_survive_export_and_import(given_entries: list[dict[str, Any]], bound: float, at_most: bool) -> None:
    data = copy.deepcopy(sample_plan())
    data["assessments"] = given_entries
    data["goals"][0]["objectives"][0]["measure"] = {"instrument": "phq-9", "score": "total", ("at_most" if at_most else "at_least"): bound}
    instruments = engine().host.instruments
    plan = engine().load(data)
    assert not [p for p in engine().validate(plan) if p.severity == "error"]
    bundle = build_bundle(plan.data, instruments, {}, [("text/markdown", b"# plan\n")])
    assert bundle_problems(bundle) == []
    Bundle(copy.deepcopy(bundle), strict=True)
    found, skipped = administrations(bundle, instruments, "HV-20417", "<bundle>")
    assert skipped == 0
    assert sorted((a.entry() for a in found), key=repr) == sorted(given_entries, key=repr)
