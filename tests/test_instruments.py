"""The six built-in instruments: scoring checked against the published keys on hand-computed
cases (each test names its published source; docs/sources/instrument-scoring.md gathers them), band boundaries, flags, progress
and measured objectives, and the `txplan score` / `txplan instruments` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.plugins.instruments.aai import AAI
from txplan.plugins.instruments.ecr_r import ECR_R
from txplan.plugins.instruments.ecr_rs import ECR_RS
from txplan.plugins.instruments.gad7 import GAD7
from txplan.plugins.instruments.phq9 import PHQ9
from txplan.plugins.instruments.rq import RQ
from txplan.testing import assert_instrument_conforms

GROUPED_REVERSED = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}
INTERLEAVED_REVERSED = {2, 22, 3, 5, 11, 15, 17, 19, 25, 27, 29, 31, 33, 35}


def test_ecr_r_grouped_key() -> None:
    """ECR-R (docs/sources/instrument-scoring.md): grouped order: items 1-18 anxiety, 19-36 avoidance, reverse 9, 11, 20, 22, 26-31, 33-36.

    Every anxiety item answered 7 except the reversed ones answered 1 (which count as 7): anxiety
    7.0. Every avoidance item answered 1 except the reversed ones answered 7 (count as 1): 1.0.
    """
    answers = [(1 if i in GROUPED_REVERSED else 7) if i <= 18 else (7 if i in GROUPED_REVERSED else 1) for i in range(1, 37)]
    assert ECR_R.score({"responses": answers, "item_order": "grouped"}).scores == {"anxiety": 7.0, "avoidance": 1.0}


def test_ecr_r_reversal_changes_the_mean_by_hand() -> None:
    """ECR-R (docs/sources/instrument-scoring.md): grouped: all answers 4 but item 9 answered 1 (reversed to 7): anxiety (17*4 + 7)/18."""
    answers = [4] * 36
    answers[8] = 1
    result = ECR_R.score({"responses": answers, "item_order": "grouped"}).scores
    assert result["anxiety"] == pytest.approx((17 * 4 + 7) / 18)
    assert result["avoidance"] == 4.0


def test_ecr_r_interleaved_key() -> None:
    """ECR-R (docs/sources/instrument-scoring.md): interleaved order: odd items avoidance, even items anxiety; reverse 2, 22 (anxiety) and
    3, 5, 11, 15, 17, 19, 25, 27, 29, 31, 33, 35 (avoidance)."""
    answers = [(1 if i in INTERLEAVED_REVERSED else 7) if i % 2 == 0 else (7 if i in INTERLEAVED_REVERSED else 1) for i in range(1, 37)]
    assert ECR_R.score({"responses": answers, "item_order": "interleaved"}).scores == {"anxiety": 7.0, "avoidance": 1.0}
    # The same answers read in the other order mean something else: the order is never guessed.
    assert ECR_R.score({"responses": answers, "item_order": "grouped"}).scores != {"anxiety": 7.0, "avoidance": 1.0}


def test_ecr_rs_per_target_and_global() -> None:
    """ECR-RS (docs/sources/instrument-scoring.md): avoidance = mean of items 1-6 with 1-4 reversed; anxiety = mean of 7-9; global = mean over targets.

    Mother [1,1,1,1,7,7,4,5,6]: avoidance (7+7+7+7+7+7)/6 = 7, anxiety (4+5+6)/3 = 5.
    Father [7,7,7,7,1,1,1,1,1]: avoidance 1, anxiety 1. Global: avoidance 4, anxiety 3.
    """
    result = ECR_RS.score({"responses": {"mother": [1, 1, 1, 1, 7, 7, 4, 5, 6], "father": [7, 7, 7, 7, 1, 1, 1, 1, 1]}}).scores
    assert result == {"avoidance": 4.0, "anxiety": 3.0, "mother.avoidance": 7.0, "mother.anxiety": 5.0, "father.avoidance": 1.0, "father.anxiety": 1.0}
    assert ECR_RS.score({"responses": {"global": [4, 4, 4, 4, 4, 4, 1, 2, 3]}}).scores == {"avoidance": 4.0, "anxiety": 2.0}


def test_rq_dimensions_are_keyed_by_name() -> None:
    """RQ (docs/sources/instrument-scoring.md; Griffin & Bartholomew 1994): self = (secure + dismissing) - (fearful + preoccupied);
    other = (secure + preoccupied) - (fearful + dismissing). 7,1,2,3 -> self 7, other 5."""
    scores = RQ.score({"responses": {"dismissing": 3, "preoccupied": 2, "fearful": 1, "secure": 7}}).scores
    assert scores == {"model_of_self": 7, "model_of_other": 5}
    assert "not validated for individual assessment" in RQ.interpretation


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "none to minimal"), (4, "none to minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")],
)
def test_phq9_bands_at_every_boundary(total: int, band: str) -> None:
    """PHQ-9 (docs/sources/instrument-scoring.md), LOINC LL382-3: 0-4, 5-9, 10-14, 15-19, 20-27."""
    answers = [min(3, max(0, total - 3 * i)) for i in range(9)]  # fill items in order, 3 at most each
    assert sum(answers) == total
    result = PHQ9.score({"responses": answers})
    assert (result.scores["total"], result.severity) == (total, band)


def test_phq9_item9_flag_whatever_the_total() -> None:
    """PHQ-9 (docs/sources/instrument-scoring.md): any item-9 answer above 0 needs follow-up regardless of the total (here total 1)."""
    assert PHQ9.score({"responses": [0] * 8 + [1]}).flags == ("item9_positive",)
    assert PHQ9.score({"responses": [3] * 8 + [0]}).flags == ()
    assert PHQ9.codes["total"] == "LOINC 44261-6"  # the total, not the panel code 44249-1 (docs/sources/instrument-scoring.md)


@pytest.mark.parametrize(("total", "band"), [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"), (15, "severe"), (21, "severe")])
def test_gad7_bands_at_every_boundary(total: int, band: str) -> None:
    """GAD-7 (docs/sources/instrument-scoring.md): cut-points 5, 10, 15; maximum 21."""
    answers = [min(3, max(0, total - 3 * i)) for i in range(7)]
    result = GAD7.score({"responses": answers})
    assert (result.scores["total"], result.severity) == (total, band)
    assert GAD7.codes["total"] == "LOINC 70274-6"  # not the panel code 69737-5 (docs/sources/instrument-scoring.md)


def test_aai_is_never_derived() -> None:
    """AAI (docs/sources/instrument-scoring.md): the coder's class, with the alternate U and CC always carry; no scores."""
    result = AAI.score({"classification": {"primary": "CC", "alternate": "Ds", "system": "main-goldwyn", "coder": "Coder A"}})
    assert result.scores == {} and result.summary == "Classified cannot classify (CC), alternate dismissing (Ds); Main & Goldwyn system, coded by Coder A."


@pytest.mark.parametrize(
    ("instrument", "valid", "invalid"),
    [
        (ECR_R, [{"responses": [4] * 36, "item_order": "grouped"}], [{"responses": [4] * 35, "item_order": "grouped"}, {"responses": [8] + [4] * 35, "item_order": "grouped"}, {"responses": [4] * 36}]),
        (ECR_RS, [{"responses": {"partner": [1] * 9}}], [{"responses": {}}, {"responses": {"global": [1] * 9, "mother": [1] * 9}}, {"responses": {"sibling": [1] * 9}}]),
        (RQ, [{"responses": {"secure": 1, "fearful": 2, "preoccupied": 3, "dismissing": 4}, "best_fit": "secure"}], [{"responses": {"secure": 1}}, {"responses": {"secure": 0, "fearful": 2, "preoccupied": 3, "dismissing": 4}}]),
        (AAI, [{"classification": {"primary": "F", "system": "main-goldwyn", "coder": "A", "reliability_certified": False}}], [{"classification": {"primary": "U", "system": "main-goldwyn", "coder": "A"}}, {"classification": {"primary": "X", "system": "main-goldwyn", "coder": "A"}}, {"classification": {"primary": "F", "system": "dmm", "coder": "A"}}]),
        (PHQ9, [{"responses": [0] * 9, "difficulty": 2}], [{"responses": [0] * 8}, {"responses": [0] * 8 + [4]}, {"responses": [None] * 9}]),
        (GAD7, [{"responses": [3] * 7}], [{"responses": [3] * 8}, {"responses": [-1] * 7}]),
    ],
    ids=lambda value: getattr(value, "id", ""),
)
def test_every_instrument_passes_the_conformance_kit(instrument: Any, valid: list[Any], invalid: list[Any]) -> None:
    """txplan.testing.assert_instrument_conforms passes for each built-in instrument."""
    assert_instrument_conforms(instrument, valid, invalid)


def test_conformance_kit_catches_a_broken_instrument() -> None:
    """The kit reports impure scoring, undeclared flags and an accepted bad answer."""
    from txplan.contracts import Instrument, ScoreResult

    calls = []

    def sloppy(data: Any) -> ScoreResult:
        calls.append(1)
        data["responses"].append(0)  # mutates its input
        return ScoreResult({"total": len(calls)}, flags=("mystery",))

    broken = Instrument("broken", "Broken", "None.", "None.", {"type": "object", "properties": {"responses": {"type": "array"}}}, sloppy)
    with pytest.raises(AssertionError) as info:
        assert_instrument_conforms(broken, valid=[{"responses": [1]}], invalid=[{"responses": [99]}])
    report = str(info.value)
    for expected in ("score() changed its input", "different results", "score 'total' has no entry in score_labels", "flag 'mystery' has no message", "invalid[0] is accepted"):
        assert expected in report, expected


# -- in documents ------------------------------------------------------------------------------


def plan_with(example_text: str, tmp_path: Path, extra: str) -> Path:
    """The example plan with ``extra`` assessments added at the top of its list."""
    path = tmp_path / "plan.yaml"
    path.write_text(example_text.replace("assessments:\n", "assessments:\n" + extra, 1), encoding="utf-8")
    return path


ITEM9 = "  - instrument: phq-9\n    date: 2026-11-20\n    responses: [1, 1, 1, 1, 0, 1, 1, 0, 1]\n"


def test_item9_flag_is_shown_in_markdown_and_word(example_text: str, tmp_path: Path) -> None:
    """A PHQ-9 with item 9 = 1 puts a safety alert near the top of both documents."""
    plan = plan_with(example_text, tmp_path, ITEM9)
    markdown = txplan.render_plan(plan, "markdown").decode()
    alert = "**Alert (PHQ-9, 2026-11-20):** PHQ-9 item 9 (thoughts of being better off dead or of self-harm) was answered above 'not at all'"
    assert alert in markdown
    assert markdown.index(alert) < markdown.index("## Presenting issues")
    import io

    import docx

    document = docx.Document(io.BytesIO(txplan.render_plan(plan, "docx")))
    alerts = [p.text for p in document.paragraphs if p.style.name == "Alert"]
    assert alerts and alerts[0].startswith("Alert (PHQ-9, 2026-11-20): PHQ-9 item 9")


def test_alerts_show_even_when_a_pack_leaves_them_out(example_text: str, tmp_path: Path) -> None:
    """A practice pack whose section list has no 'alerts' still shows safety flags."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: lean\nversion: '1'\nsections: [client_profile, goals]\n", encoding="utf-8")
    plan = plan_with(example_text, tmp_path, ITEM9)
    text = txplan.render_plan(plan, "md", pack=str(pack)).decode()
    assert "Alert (PHQ-9, 2026-11-20)" in text


def test_progress_table_marks_published_thresholds(example_path: Path) -> None:
    """The example's PHQ-9 falls 12 -> 6 (5 points, Löwe et al. 2004) and GAD-7 13 -> 8 (4 only)."""
    text = txplan.render_plan(example_path, "md").decode()
    assert "| 2026-11-09 | 6 | \u22126 | mild | clinically meaningful change (\u2265 5 points) |" in text
    assert "| 2026-11-09 | 8 | \u22125 | mild | clinically meaningful change (\u2265 4 points) |" in text
    assert "Löwe, B., Unützer, J." in text and "Medical Care, 42(12), 1194-1201" in text and "LOINC 44261-6" in text


def test_measured_objective_status(example_text: str, tmp_path: Path) -> None:
    """An objective tied to a score is met, not yet met, or without data since baseline."""
    text = txplan.render_plan(txplan.load_plan(plan_with(example_text, tmp_path, "")), "md").decode()
    assert "Met: GAD-7 total 8 on 2026-11-09 (target \u2264 9)" in text
    not_met = example_text.replace("measure: {instrument: gad-7, score: total, at_most: 9}", "measure: {instrument: gad-7, score: total, at_most: 7}")
    assert "Not yet met: GAD-7 total 8 on 2026-11-09 (target \u2264 7)" in txplan.render_plan(plan_with(not_met, tmp_path, ""), "md").decode()
    met = example_text.replace("measure: {instrument: gad-7, score: total, at_most: 9}", "measure: {instrument: gad-7, score: total, at_most: 8}")
    assert "| Met: GAD-7 total 8 on 2026-11-09 (target \u2264 8) |" in txplan.render_plan(plan_with(met, tmp_path, ""), "md").decode()
    once = example_text.replace("measure: {instrument: gad-7, score: total, at_most: 9}", "measure: {instrument: rq, score: model_of_self, at_least: 0}")
    assert "| No data since baseline (target \u2265 0) |" in txplan.render_plan(plan_with(once, tmp_path, ""), "md").decode()


def test_measure_must_name_a_real_score(example_text: str, tmp_path: Path) -> None:
    """A measure naming a score the instrument does not give is an error at its line."""
    bad = example_text.replace("measure: {instrument: gad-7, score: total, at_most: 9}", "measure: {instrument: gad-7, score: totl, at_most: 9}")
    problems = txplan.validate_plan(plan_with(bad, tmp_path, ""))
    assert [(p.path, p.message) for p in problems] == [("goals[2].objectives[2].measure.score", "gad-7 has no such score (its scores: total)")]


# -- commands --------------------------------------------------------------------------------


def test_score_command(run: Callable[..., Any], tmp_path: Path) -> None:
    """`txplan score` reads bare answers or a whole entry, prints scores, or JSON with --json."""
    bare = tmp_path / "phq.json"
    bare.write_text("[1, 2, 3, 1, 2, 3, 1, 2, 1]", encoding="utf-8")
    result = run("score", "phq-9", bare, "--json")
    assert result.code == 0
    assert json.loads(result.out) == {"instrument": "phq-9", "scores": {"total": 16}, "severity": "moderately severe", "flags": ["item9_positive"]}
    entry = tmp_path / "ecr.yaml"
    entry.write_text("instrument: ecr-rs\ndate: 2026-01-01\nresponses:\n  mother: [1, 1, 1, 1, 7, 7, 4, 5, 6]\n", encoding="utf-8")
    assert json.loads(run("score", "ecr-rs", entry, "--json").out)["scores"] == {"avoidance": 7.0, "anxiety": 5.0, "mother.avoidance": 7.0, "mother.anxiety": 5.0}
    text = run("score", "rq", _write(tmp_path / "rq.yaml", "responses: {secure: 7, fearful: 1, preoccupied: 2, dismissing: 3}\n"))
    assert text.code == 0 and "Model of self: 7" in text.out


def test_score_command_names_bad_items(run: Callable[..., Any], tmp_path: Path) -> None:
    """Out-of-range and missing answers exit 2 with a message naming the item."""
    result = run("score", "gad-7", _write(tmp_path / "g.yaml", "- 1\n- 2\n- 9\n- 1\n- 1\n- 1\n- 1\n"))
    assert (result.code, result.err) == (2, f"{tmp_path / 'g.yaml'}:3: responses[2]: must be at most 3 (item 3)\n")
    result = run("score", "phq-9", _write(tmp_path / "p.yaml", "responses: [1, 2, 3, 1, 2, 3, 1]\n"))
    assert result.code == 2 and "has 7 answers; items 8-9 are missing" in result.err
    result = run("score", "ecr-r", _write(tmp_path / "e.yaml", "responses: [" + ", ".join(["4"] * 36) + "]\n"))
    assert result.code == 2 and "item_order: required field is missing" in result.err
    assert run("score", "nope", tmp_path / "p.yaml").code == 2


def test_instruments_command(run: Callable[..., Any]) -> None:
    """`txplan instruments --json` lists each instrument with its citation and licence note."""
    result = run("instruments", "--json")
    listed = {i["id"]: i for i in json.loads(result.out)}
    assert set(listed) == {"ecr-r", "ecr-rs", "rq", "aai", "phq-9", "gad-7"}
    assert listed["phq-9"]["codes"] == {"total": "LOINC 44261-6", "item 9": "LOINC 44260-8"}
    assert "Fraley" in listed["ecr-r"]["citation"] and "does not ship" in listed["ecr-r"]["licence"]
    assert "ecr-r: Experiences in Close Relationships - Revised (ECR-R)" in run("instruments").out


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
