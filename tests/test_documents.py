"""Document kinds: the Treatment Plan Review of the latest revision and the discharge summary,
from pack sections of their own, saying only what the data supports; `pack check` covers them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
REVIEWED = REPO / "examples" / "reviewed-plan.yaml"
DISCHARGED = REPO / "examples" / "discharged-plan.yaml"


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def render(run: Callable[..., Any], kind: str, plan: Path, out: Path, *more: str) -> str:
    result = run("render", "--document", kind, plan, "-f", "md", "-o", out, *more)
    assert result.code == 0, result.err
    return out.read_text(encoding="utf-8")


def test_review_states_each_objective_then_and_now(run: Callable[..., Any], tmp_path: Path) -> None:
    document = render(run, "review", REVIEWED, tmp_path / "r.md")
    assert document.startswith("**Harbour & Vine Counselling**") and "# Treatment Plan Review\n" in document
    assert "**Date of this review:** 2027-03-01\\\n**Previous review:** 2026-11-30" in document
    # Recorded at the first review (met), computed from measures at each date, or not recorded.
    assert "| **G3.1** Amélie will identify her early signs of escalation and the situations that trigger them. | Met | Met |" in document
    assert "| Not yet met (ECR-R Anxiety 4.78 on 2026-11-30; target ≤ 4.5) | Met (ECR-R Anxiety 4.17 on 2027-02-22; target ≤ 4.5) |" in document
    assert "| **G1.1** Amélie will notice and name the urge to check her phone and use a settling skill before acting on it. | not recorded | Met |" in document
    assert "- **Revised:** Objective G2.1 (target date moved from 2027-01-15 to 2027-03-14)\n- **Met:** Objective G1.1; Objective G2.2\n" in document
    assert "**Next review:** no further review is scheduled in this plan" in document
    assert "The client took part in this review and agreed to the plan as revised by signing it." in document


def test_review_scores_since_the_previous_review_with_thresholds(run: Callable[..., Any], tmp_path: Path) -> None:
    document = render(run, "review", REVIEWED, tmp_path / "r.md")
    scores = document[document.index("## Scores since the previous review"): document.index("## Changes to the plan")]
    assert "| 2026-11-09 (last before the previous review) | 6 |  | mild |  |" in scores
    assert "| 2027-03-01 | 1 | −5 | none to minimal | clinically meaningful change (≥ 5 points) |" in scores
    assert "2026-08-31" not in scores  # administrations before the previous review's reference are not shown
    assert "Löwe" in scores


def test_first_review_compares_with_the_plan_start(example_path: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    document = render(run, "review", example_path, tmp_path / "r.md")
    assert "**Previous review:** none, this is the first review (plan established 2026-09-14)" in document
    assert "| Objective | At the plan's start | At this review |" in document
    # No status recorded at the start; an omitted status reads as not started (the schema's rule).
    assert "stay in the conversation. | not recorded | Not started |" in document
    assert "| No data since baseline | Not yet met (ECR-R Anxiety 4.78 on 2026-11-30; target ≤ 4.5) |" in document
    assert "## Scores since the plan's start" in document and "| 2026-08-31 (baseline) | 12 |" in document


def test_a_review_without_changes_is_refused_and_nothing_written(run: Callable[..., Any], tmp_path: Path) -> None:
    text = REVIEWED.read_text(encoding="utf-8")
    start = text.index("    changes:\n      - {objective: G1.1, change: met}")
    end = text.index("    signatures:", start)
    text = text[:start] + text[end:]
    plan = tmp_path / "p.yaml"
    plan.write_text(text, encoding="utf-8")
    result = run("render", "--document", "review", plan, "-f", "md", "-o", tmp_path / "out/")
    assert result.code == 2
    line = line_of(text, "  - date: 2027-03-01\n    summary") + 1
    assert f"p.yaml:{line}: revisions[1].summary: this review records no changes" in result.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert "warning: revisions[1].summary: this review records no changes" in run("validate", plan).err


def test_a_review_of_a_plan_without_revisions_is_refused(example_text: str, run: Callable[..., Any], tmp_path: Path) -> None:
    plan = tmp_path / "p.yaml"
    plan.write_text(example_text[: example_text.index("# Reviews and updates after")], encoding="utf-8")
    result = run("render", "--document", "review", plan, "-f", "md", "-o", tmp_path / "r.md")
    assert result.code == 2 and "the plan has no revision to review" in result.err and not (tmp_path / "r.md").exists()


def test_discharge_summary_computes_final_scores_against_baseline(run: Callable[..., Any], tmp_path: Path) -> None:
    document = render(run, "discharge", DISCHARGED, tmp_path / "d.md")
    assert "# Discharge Summary\n" in document
    assert "**Date of discharge:** 2027-03-12\\\n**Reason for discharge:** By mutual agreement." in document
    assert "| 2026-08-31 (baseline) | 12 |  | moderate |  |\n| 2027-03-01 | 1 | −11 | none to minimal | clinically meaningful change (≥ 5 points) |" in document
    assert "*Given once only, so without a final score:* Relationship Questionnaire (RQ)." in document
    assert "| **G2** I'd like to let a couple of people get close without running away. | Partially met: " in document
    assert "- Her primary care physician, by letter, 2027-03-15" in document
    assert "The client signed this discharge summary. Signed by the clinician." in document


def test_a_goal_without_an_outcome_says_so(run: Callable[..., Any], tmp_path: Path) -> None:
    text = edit(DISCHARGED.read_text(encoding="utf-8"), "    - goal: G3\n      outcome: met\n", "")
    plan = tmp_path / "p.yaml"
    plan.write_text(text, encoding="utf-8")
    document = render(run, "discharge", plan, tmp_path / "d.md")
    assert "calm down before I say things I regret. | not recorded |" in document


def test_discharge_document_of_a_plan_not_discharged_is_refused(example_path: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    result = run("render", "--document", "discharge", example_path, "-f", "md", "-o", tmp_path / "d.md")
    assert result.code == 2 and "the plan has no discharge section" in result.err and not (tmp_path / "d.md").exists()


def test_default_names_never_replace_the_plan_document(run: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("render", REVIEWED, "-f", "md,docx").code == 0
    assert run("render", "--document", "review", REVIEWED, "-f", "md,docx").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviewed-plan-review.docx", "reviewed-plan-review.md", "reviewed-plan.docx", "reviewed-plan.md"]


def test_spanish_pack_translates_the_review_and_the_discharge(run: Callable[..., Any], tmp_path: Path) -> None:
    review = render(run, "review", REVIEWED, tmp_path / "r.md", "--pack", "es")
    discharge = render(run, "discharge", DISCHARGED, tmp_path / "d.md", "--pack", "es")
    assert "# Revisión del plan de tratamiento" in review and "| Objetivo | En la revisión anterior | En esta revisión |" in review
    assert "# Informe de alta" in discharge and "## Puntuaciones finales frente a la línea base" in discharge
    for english in ("Treatment Plan Review", "Next review", "Discharge Summary", "Aftercare", "not recorded", "Changes to the plan"):
        assert english not in review + discharge, english


def _pack(root: Path, manifest: str, templates: dict[str, str]) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "pack.yaml").write_text("name: p\nversion: '1'\n" + manifest, encoding="utf-8")
    for name, text in templates.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


def test_pack_check_covers_review_and_discharge(run: Callable[..., Any], tmp_path: Path) -> None:
    pack = _pack(
        tmp_path / "p",
        "documents:\n  review:\n    sections: [review_overview, our_review_extra]\n",
        {"discharge_outcomes.md.j2": "{{ discharge.no_such_field }}\n"},
    )
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "lists section 'our_review_extra' but has no templates/our_review_extra.md.j2" in result.err + result.out
    assert "discharge_outcomes.md.j2" in result.err + result.out


def test_a_pack_overrides_a_review_section_and_inherits_the_rest(run: Callable[..., Any], tmp_path: Path) -> None:
    pack = _pack(tmp_path / "p", "", {"review_changes.md.j2": "## What we changed\n\n{{ review.changes | length }} kinds\n"})
    assert run("pack", "check", pack).code == 0
    document = render(run, "review", REVIEWED, tmp_path / "r.md", "--pack", pack)
    assert "## What we changed\n\n4 kinds" in document and "## Objectives" in document


def test_several_plans_the_valid_ones_are_written(example_path: Path, run: Callable[..., Any], tmp_path: Path) -> None:
    result = run("render", "--document", "discharge", DISCHARGED, example_path, "-f", "md", "-o", tmp_path / "out/")
    assert result.code == 2 and "1 of 2 plans could not be rendered" in result.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["discharged-plan-discharge.md"]


def test_an_output_that_is_the_plan_is_refused(run: Callable[..., Any], tmp_path: Path) -> None:
    plan = tmp_path / "p.md"
    plan.write_text(DISCHARGED.read_text(encoding="utf-8"), encoding="utf-8")
    before = plan.read_bytes()
    result = run("render", "--document", "discharge", plan, "-f", "md", "-o", plan)
    assert result.code == 2 and "never overwrites a plan" in result.err and plan.read_bytes() == before
