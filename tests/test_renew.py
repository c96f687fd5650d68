"""`txplan renew PLAN -o NEXT`: the next period carried forward, met objectives closed into the
history, dates proposed, signatures cleared; the new file validates and `check` lists what is
left to decide; an existing file is never replaced."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import txplan

REPO = Path(__file__).resolve().parent.parent
REVIEWED = REPO / "examples" / "reviewed-plan.yaml"
DISCHARGED = REPO / "examples" / "discharged-plan.yaml"


def test_renew_carries_closes_and_proposes(run: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "next.yaml"
    result = run("renew", REVIEWED, "-o", target)
    assert result.code == 0, result.err
    assert target.stat().st_mode & 0o777 == 0o600
    assert run("validate", target).code == 0
    old, new = txplan.load_plan(REVIEWED).data, txplan.load_plan(target).data
    for key in ("client", "clinician", "practice", "diagnoses", "strengths"):
        assert new[key] == old[key], key
    assert new["plan"]["start_date"] == "2027-03-14" and new["plan"]["end_date"] == "2027-09-14"  # six months, as before
    for absent in ("signatures", "revisions", "session_dates", "medical_necessity"):
        assert absent not in new, absent
    closed = {(c["objective"], c["status"]) for c in new["renewal"]["closed"]}
    assert closed == {("G1.1", "met"), ("G1.2", "met"), ("G2.2", "met"), ("G3.1", "met"), ("G3.3", "met")}
    carried = {o["id"]: o for g in new["goals"] for o in g["objectives"]}
    assert set(carried) == {"G2.1", "G3.2"} and [g["id"] for g in new["goals"]] == ["G2", "G3"]
    assert carried["G3.2"]["status"] == "in_progress" and carried["G3.2"]["target_date"] == "2027-09-14"
    # Interventions keep only the goals still open; one serving only closed goals is dropped.
    assert all(set(i["goals"]) <= {"G2", "G3"} for i in new["interventions"])
    assert "I2" not in {i["id"] for i in new["interventions"]}
    # The latest administration of each instrument is the new baseline.
    assert sorted((a["instrument"], a["date"]) for a in new["assessments"] if a["instrument"] in ("phq-9", "ecr-r")) == [("ecr-r", "2027-02-22"), ("phq-9", "2027-03-01")]
    assert new["review_dates"] == ["2027-06-06", "2027-08-29"]
    # check lists what is still to decide, each at its field.
    assert "goals[1].objectives[0].target_date: to decide after renewal: the target date had passed" in result.out
    assert "renewal-to-decide: medical_necessity: to decide after renewal" in result.out
    assert "error: clinician-signature" in result.out


def test_renew_updates_measured_baselines_from_the_latest_administration(example_text: str, run: Callable[..., Any], tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(example_text, encoding="utf-8")
    assert run("renew", plan, "-o", tmp_path / "next.yaml").code == 0
    new = txplan.load_plan(tmp_path / "next.yaml").data
    carried = {o["id"]: o for g in new["goals"] for o in g["objectives"]}
    assert carried["G1.2"]["baseline"] == "ECR-R Anxiety 4.78 on 2026-11-30 (latest administration)."
    assert "G3.3" not in carried  # met by its measure (GAD-7 8 on 2026-11-09)


def test_renew_never_replaces_a_file_and_refuses_bad_input(example_text: str, run: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "next.yaml"
    target.write_text("mine", encoding="utf-8")
    result = run("renew", REVIEWED, "-o", target)
    assert result.code == 4 and "already exists" in result.err and target.read_text(encoding="utf-8") == "mine"
    bad = tmp_path / "bad.yaml"
    bad.write_text(example_text.replace("every: 4 weeks}", "every: often}", 1), encoding="utf-8")
    result = run("renew", bad, "-o", tmp_path / "n2.yaml")
    assert result.code == 2 and "progress_monitoring.schedule[0].every" in result.err and not (tmp_path / "n2.yaml").exists()
    result = run("renew", DISCHARGED, "-o", tmp_path / "n3.yaml")
    assert result.code == 2 and "discharged" in result.err and not (tmp_path / "n3.yaml").exists()


def test_a_decision_taken_is_no_longer_reported(run: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "next.yaml"
    assert run("renew", REVIEWED, "-o", target).code == 0
    text = target.read_text(encoding="utf-8")
    decided = text.replace("  - path: review_dates\n    what: 'review dates are proposed at the last period''s interval: confirm them'\n", "")
    assert decided != text
    target.write_text(decided, encoding="utf-8")
    result = run("check", target, "--as-of", "2027-03-14")
    assert "renewal-to-decide: review_dates" not in result.out and "renewal-to-decide: plan.end_date" in result.out
