"""The plan schema: documented field by field, and composed from what plugins and packs add."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema

from txplan.contracts import Instrument, InterventionEntry, InterventionLibrary
from txplan.schema import compose_schema, core_schema


def walk_properties(schema: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, subschema) declared under a ``properties`` keyword, recursively."""
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, value in schema.items():
            yield from walk_properties(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from walk_properties(item, f"{path}[{index}]")


def test_every_property_has_a_description() -> None:
    """Editors and integrators see a description for every field of the core schema."""
    undocumented = [
        path
        for path, sub in walk_properties(core_schema())
        if not sub.get("description") and "$ref" not in sub and "/if" not in path  # conditions are not fields
    ]
    assert undocumented == []


def test_core_schema_is_valid_draft_2020_12() -> None:
    """The shipped schema passes the Draft 2020-12 meta-schema."""
    schema = core_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_seed_plan_sections_and_payer_fields_are_in_the_schema() -> None:
    """The seed structure and the fields payers ask for (docs/checks.md) all have a place."""
    props = core_schema()["properties"]
    for field in ("client", "clinician", "practice", "plan", "session_dates", "presenting_issues", "assessments", "goals",
                  "interventions", "progress_monitoring", "review_dates", "diagnoses", "therapy", "signatures"):
        assert field in props, field
    objective = props["goals"]["items"]["properties"]["objectives"]["items"]
    assert {"criterion", "target_date", "baseline", "status"} <= set(objective["properties"])
    assert {"type", "session_length_minutes", "frequency", "duration"} <= set(props["therapy"]["properties"])


def test_instrument_fragment_becomes_part_of_the_schema(toy_instrument: Instrument) -> None:
    """An instrument's fragment applies to its assessments only, and its id becomes allowed."""
    validator = jsonschema.Draft202012Validator(compose_schema(instruments=[toy_instrument]))
    assessment = compose_schema(instruments=[toy_instrument])["$defs"]["assessment"]
    sub = jsonschema.Draft202012Validator({**assessment, "$defs": compose_schema(instruments=[toy_instrument])["$defs"]})
    assert sub.is_valid({"instrument": "toy-3", "date": "2026-01-01", "responses": [0, 1, 2]})
    assert not sub.is_valid({"instrument": "toy-3", "date": "2026-01-01", "responses": [0, 1, 4]})
    assert not sub.is_valid({"instrument": "toy-3", "date": "2026-01-01", "responses": [0, 1, 2], "extra": 1})
    assert not sub.is_valid({"instrument": "custom", "date": "2026-01-01", "name": "x", "result": "y", "responses": [1, 1, 1]})
    assert validator.schema["$defs"]["assessment"]["properties"]["instrument"]["enum"] == ["custom", "toy-3"]


def test_library_ids_and_pack_requirements_are_composed() -> None:
    """Library entry ids become the allowed `library` values; a pack overlay joins with allOf."""
    library = InterventionLibrary("toy", "Toy library", [InterventionEntry("breathing", "Breathing", "Slow breathing.")])
    overlay = {"properties": {"clinician": {"required": ["npi"]}}}
    schema = compose_schema(libraries=[library], pack_requires=overlay)
    assert schema["$defs"]["intervention"]["properties"]["library"]["enum"] == ["toy.breathing"]
    assert schema["allOf"] == [overlay]
    assert "allOf" not in core_schema()  # composition never changes the shipped schema
