"""Property test: no valid plan ends in an internal error.

Plans are built from the sample plan with random assessments, measured objectives and dates,
signatures, revisions, risk assessments and medical-necessity statements,
each drawn from the effective schema's own shapes (the instrument fragments' properties, enums,
ranges, list lengths, patterns and conditions), and rendered with every built-in pack in every
format. A plan the validator refuses may only end in PlanError (exit 2); a plan it accepts must
render.

A focused generator rather than hypothesis-jsonschema: that library is not among the test
dependencies and targets Draft 7 by default, while the plan schema is Draft 2020-12 with one
``if``/``then``/``else`` branch per instrument; generating within each branch (and meeting its
conditions as a person would) keeps most generated plans valid, so rendering is what is tested.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema
from hypothesis import HealthCheck, Phase, event, find, given, settings
from hypothesis import strategies as st

from txplan.errors import PlanError
from txplan.pipeline import Engine
from txplan.testing import sample_plan

PACKS = ("default", "es", "harbour-group")
FORMATS = ("markdown", "docx")
FIRST_DAY, LAST_DAY = dt.date(2026, 6, 1), dt.date(2027, 12, 31)


@cache
def engine(pack: str) -> Engine:
    """One engine per pack (built-in plugins; third-party ones are switched off by conftest)."""
    return Engine(pack)


# -- values from a schema ------------------------------------------------------------------------


def dates(first: dt.date = FIRST_DAY) -> st.SearchStrategy[str]:
    """Dates around the sample plan's, so that administrations and target dates interleave."""
    return st.dates(first, LAST_DAY).map(dt.date.isoformat)


def numbers(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Numbers for a "number" field: small, fractional and huge ones."""
    low, high = schema.get("minimum"), schema.get("maximum")
    return st.one_of(
        st.integers(low if low is not None else -100, high if high is not None else 100),
        # Bounded where the schema is not: the loader refuses numbers of more than 15 digits.
        st.floats(low if low is not None else -1e12, high if high is not None else 1e12, allow_nan=False, allow_infinity=False),
    )


def values(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for values of ``schema`` (the subset of JSON Schema the plan schema uses)."""
    if "$ref" in schema:  # only local ones: "#/$defs/NAME"
        return values({**engine("default").schema["$defs"][schema["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}})
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) if schema["enum"] else st.nothing()
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            return dates()
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        low = schema.get("minLength", 0)
        return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=low, max_size=max(low, min(schema.get("maxLength", 40), 40)))
    if kind == "integer":
        return st.integers(schema.get("minimum", -100), schema.get("maximum", 100))
    if kind == "number":
        return numbers(schema)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(values(schema.get("items", {})), min_size=low, max_size=min(schema.get("maxItems", low + 3), low + 3))
    if kind == "object" or "properties" in schema:
        return objects(schema)
    return st.none()


@st.composite
def objects(draw: st.DrawFn, schema: Mapping[str, Any]) -> dict[str, Any]:
    """An object with the required properties and a random choice of the optional ones, then
    the schema's conditions (``allOf`` of ``if``/``then``/``else``) applied to it."""
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    optional = [name for name in properties if name not in required]
    chosen = required + draw(st.lists(st.sampled_from(optional), unique=True)) if optional else required
    value = {name: draw(values(properties[name])) for name in chosen}
    minimum = schema.get("minProperties", 0)
    while len(value) < minimum and len(value) < len(properties):
        name = next(n for n in properties if n not in value)
        value[name] = draw(values(properties[name]))
    for name, condition in schema.get("dependentSchemas", {}).items():
        if name in value:
            _apply(draw, value, condition, properties)
    for condition in schema.get("allOf", []):
        if "if" in condition:
            branch = condition.get("then") if jsonschema.Draft202012Validator(condition["if"]).is_valid(value) else condition.get("else")
            _apply(draw, value, branch or {}, properties)
    return value


def _apply(draw: st.DrawFn, value: dict[str, Any], branch: Mapping[str, Any], properties: Mapping[str, Any]) -> None:
    """Make ``value`` meet a condition's branch the way a person would: add what it requires,
    drop what it forbids (``not: {}``), keep no more entries than ``maxProperties`` allows."""
    for name in branch.get("required", []):
        if name not in value and name in properties:
            value[name] = draw(values(properties[name]))
    for name, sub in branch.get("properties", {}).items():
        if sub.get("not") == {}:
            value.pop(name, None)
        elif isinstance(value.get(name), dict) and "maxProperties" in sub:
            value[name] = dict(list(value[name].items())[: sub["maxProperties"]])


def assessment_branch(schema: Mapping[str, Any], instrument: str) -> Mapping[str, Any]:
    """The ``then`` schema of the assessment chain for ``instrument``, with the fields every
    assessment requires (``instrument``, ``date``)."""
    common = schema["$defs"]["assessment"]
    node: Mapping[str, Any] | None = common
    while node:
        if node["if"]["properties"]["instrument"]["const"] == instrument:
            return {**node["then"], "required": [*common["required"], *node["then"].get("required", [])]}
        node = node.get("else")
    raise LookupError(instrument)


# -- plans ---------------------------------------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A pack name and a plan: the sample plan with random assessments (a few instruments, often
    given more than once), measures on its objectives and target dates."""
    pack = draw(st.sampled_from(PACKS))
    schema = engine(pack).schema
    instruments = engine(pack).host.instruments
    plan = copy.deepcopy(sample_plan())
    ids = schema["$defs"]["assessment"]["properties"]["instrument"]["enum"]
    used = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    assessments = []
    for instrument in used:  # each given one to four times: progress tables need repeats
        for _ in range(draw(st.integers(1, 4))):
            assessment = draw(objects(assessment_branch(schema, instrument)))
            assessment["instrument"] = instrument
            assessments.append(assessment)
    plan["assessments"] = assessments
    # The parts of a plan that say who agreed to what and when: replaced, dropped or kept.
    for part in ("signatures", "revisions", "risk_assessment", "medical_necessity"):
        choice = draw(st.sampled_from(["keep", "drop", "draw"]))
        if choice == "drop":
            plan.pop(part, None)
        elif choice == "draw":
            plan[part] = draw(values(schema["properties"][part]))
    start = dt.date.fromisoformat(plan["plan"]["start_date"])
    scored = sorted(i for i in instruments if instruments[i].score_labels)
    for goal in plan["goals"]:
        for objective in goal["objectives"]:
            # Mostly after the plan's start, sometimes before it (refused): most plans are valid.
            objective["target_date"] = draw(st.one_of(dates(start), dates(start), dates(start), dates()))
            objective.pop("measure", None)
            if draw(st.booleans()):
                # Mostly an instrument the plan gives; sometimes one without scores (refused).
                named = draw(st.one_of(st.sampled_from([i for i in used if i in scored] or scored), st.sampled_from(sorted(instruments))))
                instrument = instruments[named]
                scores = sorted(instrument.score_labels) or ["total"]
                bound = draw(st.sampled_from(["at_most", "at_least"]))
                objective["measure"] = {"instrument": instrument.id, "score": draw(st.sampled_from(scores)), bound: draw(numbers({}))}
    return pack, plan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plans())
def test_no_valid_plan_ends_in_an_internal_error(case: tuple[str, dict[str, Any]]) -> None:
    """Every format renders a valid plan; an invalid one ends in PlanError, nothing else."""
    pack, data = case
    try:
        plan = engine(pack).load(data)
    except PlanError:  # refused while loading (a number too long to be a real value, say)
        event("refused at load")
        return
    valid = not [p for p in engine(pack).validate(plan) if p.severity == "error"]
    event("valid plan" if valid else "refused plan")
    if valid and _drops_an_ecr_rs_target(case):
        event("valid, and a later ECR-RS leaves out a relationship")
    for name in FORMATS:
        try:
            output = engine(pack).render(plan, name)
        except PlanError:
            assert not valid, "a plan the validator accepts was refused at render"
            return
        assert valid and output


def _drops_an_ecr_rs_target(case: tuple[str, dict[str, Any]]) -> bool:
    """A valid plan where a later ECR-RS leaves out a relationship an earlier one rated."""
    pack, data = case
    given_ = sorted((a for a in data["assessments"] if a["instrument"] == "ecr-rs"), key=lambda a: a["date"])
    targets = [set(a["responses"]) for a in given_]
    dropped = any(earlier - later for i, earlier in enumerate(targets) for later in targets[i + 1 :])
    if not dropped:
        return False
    try:
        plan = engine(pack).load(data)
    except PlanError:
        return False
    return not [p for p in engine(pack).validate(plan) if p.severity == "error"]


def test_the_generator_reaches_the_case_that_crashed() -> None:
    """The plans above include the ECR-RS case that once ended in exit 70, so the property test
    covers it (and others like it) rather than only plans that were always fine."""
    quick = settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate])
    pack, data = find(plans(), _drops_an_ecr_rs_target, settings=quick)
    assert _drops_an_ecr_rs_target((pack, data))
