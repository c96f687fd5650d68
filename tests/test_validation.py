"""Validation: every problem reported at once, in line order, at the right line, in words a
clinician can act on, without echoing free plan text."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import txplan
from txplan.loader import load_plan_text
from txplan.validation import PlanValidator


@pytest.fixture(scope="module")
def validator() -> PlanValidator:
    """The validator of the effective schema (core and built-in plugins), reused as the CLI reuses it."""
    return txplan.Engine().validator


def problems_in(validator: PlanValidator, text: str) -> list[str]:
    """The printed problems for plan ``text``."""
    return [str(p) for p in validator.validate(load_plan_text(text, "plan.yaml"))]


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be present) by ``new``."""
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which ``needle`` first appears."""
    return text[: text.index(needle)].count("\n") + 1


def test_example_plan_is_valid(validator: PlanValidator, example_text: str) -> None:
    """The bundled example has no errors and no warnings."""
    assert problems_in(validator, example_text) == []


def test_example_plan_validates_with_a_standard_validator(example_text: str) -> None:
    """The effective schema (what `txplan schema` prints) is Draft 2020-12 that any standard validator can use."""
    schema = txplan.Engine().schema
    jsonschema.Draft202012Validator.check_schema(schema)
    data = load_plan_text(example_text, "p.yaml").data
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(json.loads(json.dumps(data)))


def test_several_problems_are_all_reported_in_line_order(validator: PlanValidator, example_text: str) -> None:
    """A wrong date, a misspelled field, a bad enum, a bad code and a wrong type: all five, sorted."""
    text = example_text
    text = edit(text, "  start_date: 2026-09-14", "  start_date: 2026-02-31")
    text = edit(text, "  preferred_name: Amélie", "  prefered_name: Amélie")
    text = edit(text, "        status: in_progress", "        status: in progres")
    text = edit(text, "code: F43.23", "code: F4323")
    text = edit(text, "session_length_minutes: 53", "session_length_minutes: fifty")
    found = problems_in(validator, text)
    assert found == [
        f"plan.yaml:{line_of(text, 'prefered_name')}: client.prefered_name: unknown field 'prefered_name' (did you mean 'preferred_name'?)",
        f"plan.yaml:{line_of(text, '2026-02-31')}: plan.start_date: is not a valid date (expected YYYY-MM-DD)",
        f"plan.yaml:{line_of(text, 'F4323')}: diagnoses[0].code: does not have the expected form: ICD-10-CM code with its dot, e.g. 'F43.23'.",
        f"plan.yaml:{line_of(text, 'in progres')}: goals[0].objectives[0].status: is not one of: not_started, in_progress, met, partially_met, not_met, discontinued (did you mean 'in_progress'?)",
        f"plan.yaml:{line_of(text, 'fifty')}: therapy.session_length_minutes: must be a whole number, not text",
    ]


def test_missing_required_field_points_at_its_parent(validator: PlanValidator, example_text: str) -> None:
    """A missing field is reported at the block that should hold it."""
    text = edit(example_text, "  date_of_birth: 1991-04-17\n", "")
    assert problems_in(validator, text) == [f"plan.yaml:{line_of(text, 'client:')}: client.date_of_birth: required field is missing"]


def test_number_where_text_is_expected_suggests_quotes(validator: PlanValidator, example_text: str) -> None:
    """An identifier YAML read as a number gets the hint to quote it."""
    text = edit(example_text, "identifier: HV-20417", "identifier: 20417")
    assert problems_in(validator, text) == [
        f"plan.yaml:{line_of(text, 'identifier')}: client.identifier: must be text, not a number (put it in quotes to keep it as text)"
    ]


def test_custom_assessment_fields_are_checked(validator: PlanValidator, example_text: str) -> None:
    """An unknown field in a custom assessment is refused at its own line; a missing result is named."""
    custom = (
        "assessments:\n  - instrument: custom\n    name: Intake interview\n    date: 2026-08-31\n    resultt: Calm and engaged.\n"
        "  - instrument: custom\n    name: Collateral call\n    date: 2026-09-01\n    result: Sister confirms history.\n    scored_by: x\n"
    )
    text = edit(example_text, "assessments:\n", custom)
    found = problems_in(validator, text)
    assert f"plan.yaml:{line_of(text, 'resultt')}: assessments[0].resultt: unknown field 'resultt' (did you mean 'result'?)" in found
    assert any(p.endswith("assessments[0].result: required field is missing") for p in found)
    assert f"plan.yaml:{line_of(text, 'scored_by')}: assessments[1].scored_by: unknown field 'scored_by'" in found


def test_cross_field_rules(validator: PlanValidator, example_text: str) -> None:
    """Undefined goal ids, duplicate ids, dates before the plan starts, two primary diagnoses."""
    text = edit(example_text, "    goals: [G1]\n", "    goals: [G9]\n")
    text = edit(text, "  - id: G2\n", "  - id: G1\n")
    text = edit(text, "        target_date: 2027-01-15       # moved", "        target_date: 2026-01-30       # moved")
    text = edit(text, "review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2026-08-07, 2027-03-01]")
    text = edit(text, "    primary: true\n", "    primary: true\n  - code: Z63.0\n    description: Relationship distress\n    primary: true\n")
    found = problems_in(validator, text)
    expected = [
        f"plan.yaml:{line_of(text, 'code: Z63.0') + 2}: diagnoses[1].primary: only one diagnosis can be primary",
        f"plan.yaml:{line_of(text, '2026-01-30')}: goals[0].objectives[0].target_date: the target date is before the plan's start date (plan.start_date, line {line_of(text, 'start_date')})",
    ]
    assert expected[0] in found and expected[1] in found
    first_g1 = text.index("\n  - id: G1\n") + 1
    second_g1 = text.index("\n  - id: G1\n", first_g1) + 1
    assert f"plan.yaml:{text[:second_g1].count(chr(10)) + 1}: goals[1].id: this goal id is used twice (first on line {text[:first_g1].count(chr(10)) + 1})" in found
    assert f"plan.yaml:{line_of(text, '[G9]')}: interventions[1].goals[0]: names no goal defined in this plan (no goal has this id)" in found
    assert f"plan.yaml:{line_of(text, 'review_dates')}: review_dates[0]: the review date is before the plan's start date (plan.start_date, line {line_of(text, 'start_date')})" in found


def test_goal_without_intervention_is_a_warning(validator: PlanValidator, example_text: str) -> None:
    """A goal no intervention serves is a warning, not an error."""
    text = example_text.replace("goals: [G2, G3]", "goals: [G3]").replace("goals: [G1, G2]", "goals: [G1]").replace("goals: [G2]\n", "goals: [G3]\n")
    problems = validator.validate(load_plan_text(text, "plan.yaml"))
    assert [(p.severity, p.path) for p in problems] == [("warning", "goals[1].id")]
    assert str(problems[0]).startswith(f"plan.yaml:{line_of(text, '  - id: G2')}: warning: goals[1].id: this goal is not served")


def test_messages_never_quote_free_text(validator: PlanValidator, example_text: str) -> None:
    """Long free text that breaks a rule is described, not echoed (it is health information)."""
    canary = "ZZCANARY " * 300  # YAML drops the trailing space: 2,699 characters
    text = edit(example_text, "  preferred_name: Amélie", f"  preferred_name: {canary}")
    text = edit(text, "    summary: Fear of abandonment", "    summary: [ZZCANARY]")
    found = "\n".join(problems_in(validator, text))
    assert "ZZCANARY" not in found
    assert "client.preferred_name: is 2,699 characters long; at most 200 are allowed" in found
    assert "presenting_issues[0].summary: must be text, not a list" in found


def test_validate_plan_accepts_a_mapping(example_text: str) -> None:
    """Integrators can validate data built in memory; problems then have no line."""
    data = load_plan_text(example_text, "p.yaml").data
    del data["goals"]
    problems = txplan.validate_plan(data)
    assert [(p.file, p.line, p.path, p.message) for p in problems] == [("<mapping>", None, "goals", "required field is missing")]


# -- no plan value in any message ----------------------------------------------------------------

CANARY = "Zqx7Canary"


def canary_plan(example_text: str) -> str:
    """The example plan with the canary written into fields that break every kind of rule: a
    pattern, a date format, an enumeration, a type, a length, an id that is used twice, a
    reference to no id, and a score an instrument does not have."""
    text = edit(example_text, "  date_of_birth: 1991-04-17", f"  date_of_birth: {CANARY}")  # format
    text = edit(text, '  npi: "1234567893"', f"  npi: {CANARY}")  # pattern
    text = edit(text, "  identifier: HV-20417", f"  identifier: [{CANARY}]")  # type
    text = edit(text, "  pronouns: she/her", f"  pronouns: {CANARY * 7}")  # maxLength
    text = edit(text, "        status: in_progress", f"        status: {CANARY}")  # enum
    text = edit(text, "      - id: G1.2", f"      - id: {CANARY}")  # used twice ...
    text = edit(text, "      - id: G1.1", f"      - id: {CANARY}")  # ... with this one
    text = edit(text, "    goals: [G1, G2]", f"    goals: [G1, {CANARY}]")  # no such goal
    text = edit(text, "score: total, at_most: 9", f"score: {CANARY}, at_most: 9")  # no such score
    return edit(text, "        target_date: 2027-01-31", "        target_date: 2026-01-31")  # before start


def test_no_plan_value_is_quoted_in_any_kind_of_message(validator: PlanValidator, example_text: str) -> None:
    """Names, dates of birth and identifiers are health information: whatever rule a value
    breaks, the message names the field and what was expected, never the value (nor a date)."""
    schema = copy.deepcopy(validator.schema)
    client = schema["properties"]["client"]["properties"]
    client["name"]["pattern"] = "^[A-Z]+$"  # a pack's `requires` may add such a pattern
    client["preferred_name"]["enum"] = ["A", "B"]
    strict = PlanValidator(schema, validator.instruments, validator.libraries)
    found = problems_in(strict, canary_plan(example_text))
    printed = "\n".join(found)
    assert CANARY not in printed and "Amélie" not in printed and "2026-01-31" not in printed
    for expected in [
        "client.name: does not have the expected form: The client's full name as it appears on insurance records.",
        "client.preferred_name: is not one of: A, B",
        "client.date_of_birth: is not a valid date (expected YYYY-MM-DD)",
        "clinician.npi: does not have the expected form:",
        "client.identifier: must be text, not a list",
        "client.pronouns: is 70 characters long; at most 60 are allowed",
        "goals[0].objectives[0].status: is not one of:",
        "goals[0].objectives[1].id: this objective id is used twice (first on line",
        "interventions[0].goals[1]: names no goal defined in this plan (no goal has this id)",
        "goals[2].objectives[2].measure.score: gad-7 has no such score (its scores: total)",
        "goals[2].objectives[2].target_date: the target date is before the plan's start date (plan.start_date, line 33)",
    ]:
        assert any(expected in line for line in found), expected


def test_a_date_of_birth_after_the_start_is_not_quoted(validator: PlanValidator, example_text: str) -> None:
    """The date of birth itself never appears, even when it is a valid date in the wrong place."""
    text = edit(example_text, "  date_of_birth: 1991-04-17", "  date_of_birth: 2027-01-02")
    found = problems_in(validator, text)
    assert "plan.yaml:9: client.date_of_birth: the date of birth is after the plan's start date (plan.start_date, line 33)" in found
    assert "2027-01-02" not in "\n".join(found)


@pytest.mark.parametrize("command", [["validate"], ["render", "-f", "md"], ["check"], ["render", "--check", "-f", "md"]])
def test_the_cli_never_prints_plan_values(run: Any, tmp_path: Path, example_text: str, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """Through the command line too: exit 2, every problem reported, no value, nothing written."""
    monkeypatch.chdir(tmp_path)
    plan = tmp_path / "plan.yaml"
    plan.write_text(canary_plan(example_text), encoding="utf-8")
    result = run(*command, plan)
    assert result.code == 2
    assert "client.date_of_birth: is not a valid date (expected YYYY-MM-DD)" in result.err
    assert CANARY not in result.err + result.out and "2026-01-31" not in result.err
    assert [p.name for p in tmp_path.iterdir()] == ["plan.yaml"]


def test_icd10cm_u_codes_are_well_formed(example_text: str, tmp_path: Path) -> None:
    """ICD-10-CM has U codes (U07.1, U09.9): the schema's code pattern takes them like any letter;
    whether a code exists is the code-set check's job, not the pattern's."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("code: F43.23", "code: U09.9", 1), encoding="utf-8")
    problems = txplan.validate_plan(plan)
    assert not [p for p in problems if p.path.startswith("diagnoses")]
