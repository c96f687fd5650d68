"""A discharge: its dates are checked with the plan's, its checks ask for each goal's outcome, a
final measure and aftercare, and `due` stops listing the plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DISCHARGED = REPO / "examples" / "discharged-plan.yaml"


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def discharged_text() -> str:
    return DISCHARGED.read_text(encoding="utf-8")


def test_the_example_discharge_is_valid_and_passes_its_checks(run: Callable[..., Any]) -> None:
    assert run("validate", DISCHARGED).code == 0
    result = run("check", DISCHARGED, "--payer", "accreditation", "--as-of", "2027-06-01")
    assert result.code == 0, result.out
    # Judged as of the discharge date: no review falls overdue after treatment ended.
    assert "overdue" not in result.out


def test_a_discharge_before_the_plan_started_is_refused(discharged_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    text = edit(discharged_text, "discharge:\n  date: 2027-03-12", "discharge:\n  date: 2026-09-01")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", path)
    assert result.code == 2
    assert f"p.yaml:{line_of(text, 'date: 2026-09-01')}: discharge.date: the discharge date is before the plan's start date" in result.err


def test_a_revision_before_the_plan_started_is_refused(discharged_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    text = edit(discharged_text, "  - date: 2026-11-30\n    summary", "  - date: 2026-09-01\n    summary")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", path)
    assert result.code == 2 and "revisions[0].date: the revision date is before the plan's start date" in result.err


def test_discharge_checks_find_what_is_missing(discharged_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    text = edit(discharged_text, "    - goal: G3\n      outcome: met\n", "")
    text = edit(text, "  aftercare: >-\n    Continue the daily grounding practice and the phone-checking log for two months; return to the\n"
                "    practice if outbursts or constant checking come back. A check-in session is offered in June 2027.\n", "")
    text = edit(text, "reason: mutual_agreement", "reason: referred")
    text = edit(text, "  referrals:\n    - to: Community running club\n      reason: Keeps the exercise and social contact she uses to settle herself.\n", "")
    # No administration in the 30 days before the discharge.
    text = text.replace("date: 2027-03-01\n    responses", "date: 2027-01-20\n    responses")
    text = edit(text, "date: 2027-02-22\n    item_order", "date: 2027-01-21\n    item_order")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("check", path, "--payer", "accreditation", "--as-of", "2027-03-20")
    assert result.code == 1
    rules = {line.split(": ")[2] for line in result.out.splitlines() if ": error: " in line}
    assert {"discharge-goal-outcomes", "discharge-final-measure", "discharge-aftercare"} <= rules
    assert "no outcome for goal 3 (goals[2])" in result.out
    assert "no referral is recorded" in result.out and "no aftercare plan" in result.out


def test_a_discharge_outcome_for_an_unknown_or_repeated_goal(discharged_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    text = edit(discharged_text, "    - goal: G3\n      outcome: met\n", "    - goal: G9\n      outcome: met\n    - goal: G1\n      outcome: met\n")
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", path)
    assert result.code == 2
    assert "discharge.goals[2].goal: names no goal defined in this plan" in result.err
    assert "discharge.goals[3].goal: this goal's outcome is given twice" in result.err


def test_no_checks_fire_without_a_discharge(example_path: Path) -> None:
    import txplan
    from txplan.readiness import run_checks, select_profile

    engine = txplan.Engine()
    profile, params = select_profile(engine, "accreditation")
    findings = run_checks(engine, engine.load(example_path), profile, params, dt.date(2026, 12, 5))
    assert not [f for f in findings if f.rule.startswith("discharge-")]
