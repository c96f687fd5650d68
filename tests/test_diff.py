"""`txplan diff OLD NEW`: what changed between two versions of one client's plan, by field path,
in a clinician's words."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txplan.diff import plan_diff

REPO = Path(__file__).resolve().parent.parent
REVIEWED = REPO / "examples" / "reviewed-plan.yaml"
DISCHARGED = REPO / "examples" / "discharged-plan.yaml"


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


def test_diff_says_what_changed_in_clinical_words(example_path: Path, run: Callable[..., Any]) -> None:
    result = run("diff", example_path, REVIEWED)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    for expected in (
        "goals[0].objectives[0].status: objective G1.1 met on 2027-03-01 (was in progress)",
        "goals[1].objectives[0].target_date: objective G2.1: target date moved from 2027-01-15 to 2027-03-14",
        "goals[0].objectives[1].measure: objective G1.2 met (ECR-R Anxiety 4.17 on 2027-02-22), by its measure (was not yet met)",
        "assessments[10]: PHQ-9 given 2026-12-07",
        "revisions[1]: review of 2027-03-01 recorded",
    ):
        assert expected in lines, expected
    assert lines[-1].startswith("16 changes from ")
    discharge = run("diff", REVIEWED, DISCHARGED, "--json")
    assert json.loads(discharge.out) == [{"path": "discharge", "change": "added", "message": "discharged on 2027-03-12 (mutual agreement)"}]


def test_goals_added_and_removed_and_other_fields(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    new = edit(example_text, "  - id: G3\n", "  - id: G4\n")
    new = edit(new, "goals: [G1, G3]", "goals: [G1, G4]")
    new = edit(new, "goals: [G2, G3]", "goals: [G2, G4]")
    new = edit(new, "  level_of_care: Outpatient", "  level_of_care: Intensive outpatient")
    new = edit(new, "review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2026-12-07, 2027-02-15]")
    (tmp_path / "new.yaml").write_text(new, encoding="utf-8")
    changes = {c["message"] for c in json.loads(run("diff", tmp_path / "new.yaml", tmp_path / "new.yaml", "--json").out)}
    assert changes == set()
    (tmp_path / "old.yaml").write_text(example_text, encoding="utf-8")
    result = run("diff", tmp_path / "old.yaml", tmp_path / "new.yaml")
    assert "goals[2]: goal G4 added" in result.out and "goals[2]: goal G3 removed" in result.out
    assert "plan.level_of_care: plan.level_of_care changed" in result.out
    assert "review_dates[1]: review scheduled for 2027-02-15" in result.out and "review of 2027-03-01 no longer scheduled" in result.out
    assert "Intensive" not in result.out  # free text is named, not quoted


def test_diff_refuses_plans_of_different_clients_and_invalid_plans(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    (tmp_path / "a.yaml").write_text(example_text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(edit(example_text, "date_of_birth: 1991-04-17", "date_of_birth: 1990-01-01"), encoding="utf-8")
    result = run("diff", tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert result.code == 2 and "different clients (client.date_of_birth differs)" in result.err and "1990" not in result.err
    (tmp_path / "c.yaml").write_text(edit(example_text, "every: 4 weeks}", "every: soon}"), encoding="utf-8")
    result = run("diff", tmp_path / "a.yaml", tmp_path / "c.yaml")
    assert result.code == 2 and "c.yaml:" in result.err and "progress_monitoring.schedule[0].every" in result.err and result.out == ""


def test_plan_diff_is_empty_for_the_same_plan(example_path: Path) -> None:
    import txplan

    data = txplan.load_plan(example_path).data
    assert plan_diff(data, data) == []
