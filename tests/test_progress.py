"""Progress across administrations: scores that come and go between administrations (ECR-RS
relationship targets), like-with-like comparison, deterioration wording and displayed rounding."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
import txplan.testing


def plan_with(example_text: str, tmp_path: Path, extra: str) -> Path:
    """The example plan with ``extra`` assessments added at the top of its list."""
    path = tmp_path / "plan.yaml"
    path.write_text(example_text.replace("assessments:\n", "assessments:\n" + extra, 1), encoding="utf-8")
    return path


def ecr_rs(date: str, **targets: list[int]) -> str:
    """One ECR-RS administration as plan YAML, with the given targets' nine answers."""
    lines = [f"  - instrument: ecr-rs\n    date: {date}\n    responses:\n"]
    lines += [f"      {target}: {answers}\n" for target, answers in targets.items()]
    return "".join(lines)


#: Avoidance 2, anxiety 6; and avoidance 6, anxiety 1 (items 1-4 reversed, 8 - rating).
PARTNER = [6, 6, 6, 6, 2, 2, 6, 6, 6]
MOTHER = [2, 2, 2, 2, 6, 6, 1, 1, 1]


def test_a_target_left_out_later_renders(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """A later ECR-RS without the mother an earlier one had renders (it crashed with exit 70)."""
    plan = plan_with(example_text, tmp_path, ecr_rs("2026-09-01", partner=PARTNER, mother=MOTHER) + ecr_rs("2026-11-01", partner=PARTNER))
    result = run("render", plan, "-f", "markdown", "-o", f"{tmp_path}/out/")
    assert result.code == 0, result.err
    markdown = (tmp_path / "out" / "plan.md").read_text(encoding="utf-8")
    table = _table(markdown, "ECR-RS")
    assert table[0].startswith("| Date | Avoidance | Change | Anxiety | Change | Mother: avoidance | Change | Mother: anxiety | Change | Partner: avoidance |")
    # Partner rated both times, unchanged: 0. Mother not rated the second time: empty cells. The
    # means cover mother+partner, then partner alone: not comparable, and said so.
    assert table[3] == (
        "| 2026-11-01 | 2 | not comparable: different relationships rated | 6 | not comparable: different relationships rated"
        " |  |  |  |  | 2 | 0 | 6 | 0 |  |"
    )


def _table(markdown: str, short_name: str) -> list[str]:
    """The lines of the progress table for ``short_name`` (header, rule, rows)."""
    heading = re.search(rf"^### [^\n]*: {re.escape(short_name)}\n\n", markdown, re.MULTILINE)
    assert heading, f"no progress table for {short_name}"
    lines = markdown[heading.end() :].splitlines()
    return lines[: lines.index("")]


def _render(path: Path, pack: str | None = None) -> str:
    return txplan.render_plan(path, "md", pack=pack).decode()


def test_global_is_compared_only_with_global(example_text: str, tmp_path: Path) -> None:
    """A 'global' administration and a mother + father one share score names, not meaning."""
    extra = ecr_rs("2026-09-01", **{"global": [4, 4, 4, 4, 4, 4, 4, 4, 4]}) + ecr_rs("2026-10-01", mother=MOTHER, father=MOTHER)
    extra += ecr_rs("2026-11-01", **{"global": [4, 4, 4, 4, 4, 4, 5, 5, 5]})
    table = _table(_render(plan_with(example_text, tmp_path, extra)), "ECR-RS")
    assert table[3].startswith("| 2026-10-01 | 6 | not comparable: different relationships rated | 1 | not comparable: different relationships rated |")
    # Global against the earlier global (the table's first row): a plain change.
    assert table[4].startswith("| 2026-11-01 | 4 | 0 | 5 | \\+1 |")  # "+" escaped for Markdown


def test_overall_change_only_between_the_same_relationships(example_text: str, tmp_path: Path) -> None:
    """Partner alone, then partner + mother twice: the overall change is between the two
    partner + mother administrations (and says since when); partner's own change is from the
    first."""
    calmer = [6, 6, 6, 6, 2, 2, 4, 4, 4]
    extra = ecr_rs("2026-09-01", partner=PARTNER) + ecr_rs("2026-10-01", mother=MOTHER, partner=PARTNER)
    extra += ecr_rs("2026-11-01", mother=MOTHER, partner=calmer)
    table = _table(_render(plan_with(example_text, tmp_path, extra)), "ECR-RS")
    assert table[3] == (
        "| 2026-10-01 | 4 | not comparable: different relationships rated | 3.5 | not comparable: different relationships rated"
        " | 6 |  | 1 |  | 2 | 0 | 6 | 0 |  |"
    )
    assert table[4] == (
        "| 2026-11-01 | 4 | 0 (since 2026-10-01) | 2.5 | \u22121 (since 2026-10-01)"
        " | 6 | 0 (since 2026-10-01) | 1 | 0 (since 2026-10-01) | 2 | 0 | 4 | \u22122 |  |"
    )


def test_not_comparable_is_translated(example_text: str, tmp_path: Path) -> None:
    """The Spanish pack words 'not comparable' and the change thresholds itself."""
    extra = ecr_rs("2026-09-01", partner=PARTNER, mother=MOTHER) + ecr_rs("2026-11-01", partner=PARTNER)
    text = _render(plan_with(example_text, tmp_path, extra), pack="es")
    assert "no comparable: se valoraron relaciones distintas" in text and "not comparable" not in text
    assert "cambio clínicamente significativo (\u2265 4 puntos)" in text


def test_score_names_that_differ_between_administrations(engine_with: Callable[..., Any], toy_instrument: Any) -> None:
    """Any instrument whose scores come and go renders: empty cells, changes from the first
    administration that gave the score."""
    from dataclasses import replace

    from txplan import hookimpl
    from txplan.contracts import ScoreResult

    def score(data: Any) -> ScoreResult:
        answers = data["responses"]
        scores = {"total": sum(answers)} if answers[0] else {"first_zero": answers[1]}
        return ScoreResult(scores)

    varying = replace(toy_instrument, score=score, score_labels={"total": "Total", "first_zero": "Second item"})

    class Plugin:
        @hookimpl
        def register_instruments(self, register: Any) -> None:
            register(varying)

    plan = txplan.testing.sample_plan()
    plan["assessments"] = [
        {"instrument": "toy-3", "date": "2026-09-01", "responses": [1, 1, 1]},
        {"instrument": "toy-3", "date": "2026-10-01", "responses": [0, 2, 2]},
        {"instrument": "toy-3", "date": "2026-11-01", "responses": [3, 3, 3]},
        {"instrument": "toy-3", "date": "2026-12-01", "responses": [0, 3, 0]},
    ]
    for goal in plan["goals"]:
        for objective in goal["objectives"]:
            objective.pop("measure", None)
    engine = engine_with(Plugin())
    table = _table(engine.render(engine.load(plan), "markdown").decode(), "TOY-3")
    assert table[2:] == [
        "| 2026-09-01 (baseline) | 3 |  |  |  |  |",
        "| 2026-10-01 |  |  | 2 |  |  |",
        "| 2026-11-01 | 9 | \\+6 |  |  |  |",
        "| 2026-12-01 |  |  | 3 | \\+1 (since 2026-10-01) |  |",
    ]


# -- deterioration and threshold wording ----------------------------------------------------------


def plan_file(tmp_path: Path, assessments: list[dict[str, Any]]) -> Path:
    """The sample plan with only ``assessments``, written as JSON."""
    plan = txplan.testing.sample_plan()
    plan["assessments"] = assessments
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_deterioration_is_named_once_by_its_largest_threshold(tmp_path: Path) -> None:
    """A GAD-7 rise of 6 meets the 4- and 6-point thresholds: it is "reliable deterioration
    (>= 6 points)", once (it printed "worse by (>= 4 points); worse by (>= 6 points)"); a rise
    of 4 meets only the 4-point one."""
    answers = [[0] * 7, [1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 0]]
    dates = ["2026-09-01", "2026-09-15", "2026-09-29"]
    text = _render(plan_file(tmp_path, [{"instrument": "gad-7", "date": d, "responses": a} for d, a in zip(dates, answers, strict=True)]))
    table = _table(text, "GAD-7")
    assert table[3] == "| 2026-09-15 | 4 | \\+4 | minimal | clinically meaningful deterioration (\u2265 4 points) |"
    assert table[4] == "| 2026-09-29 | 6 | \\+6 | mild | reliable deterioration (\u2265 6 points) |"
    assert "worse by" not in text


def test_improvement_is_named_once_by_its_largest_threshold(tmp_path: Path) -> None:
    """GAD-7 down 6 meets 4 and 6 points: "reliable change (>= 6 points)" alone; in Spanish too."""
    answers = [[1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1]]
    path = plan_file(tmp_path, [{"instrument": "gad-7", "date": d, "responses": a} for d, a in zip(["2026-09-01", "2026-10-01"], answers, strict=True)])
    assert _table(_render(path), "GAD-7")[3] == "| 2026-10-01 | 1 | \u22126 | minimal | reliable change (\u2265 6 points) |"
    assert _table(_render(path, pack="es"), "GAD-7")[3] == "| 2026-10-01 | 1 | \u22126 | minimal | cambio fiable (\u2265 6 puntos) |"


def test_threshold_wording_for_the_worse_direction() -> None:
    """worse_label is derived from the label unless given."""
    from txplan.contracts import ChangeThreshold

    assert ChangeThreshold("total", 6, "reliable improvement", "x").worse_label == "reliable deterioration"
    assert ChangeThreshold("total", 4, "clinically meaningful change", "x").worse_label == "clinically meaningful deterioration"
    assert ChangeThreshold("total", 4, "MCID", "x").worse_label == "deterioration: MCID"
    assert ChangeThreshold("total", 4, "reliable change", "x", worse_label="reliable worsening").worse_label == "reliable worsening"


# -- displayed rounding ---------------------------------------------------------------------------


def test_numbers_are_shown_rounded_half_up() -> None:
    """4.125 -> 4.13 (not the 4.12 of round-half-even on a binary float), 2.675 -> 2.68 (the
    float is 2.67499...), whole numbers plainly, a true minus sign, no minus zero."""
    from decimal import Decimal
    from fractions import Fraction

    from txplan.measures import number, signed

    assert [number(v) for v in (4.125, 2.675, 0.005, 12, 12.0, 5.5, -0.125)] == ["4.13", "2.68", "0.01", "12", "12", "5.5", "\u22120.13"]
    assert [signed(v) for v in (Decimal("0.125"), Decimal("-1.005"), Decimal("0.004"), Decimal("-0.004"), 0)] == ["+0.13", "\u22121.01", "0", "0", "0"]
    assert number(1e300).startswith("1000") and number(1e-300) == "0"
    assert number(Fraction(33, 8)) == "4.13"


def test_a_mean_of_four_and_an_eighth_shows_as_4_13(run: Callable[..., Any], tmp_path: Path) -> None:
    """ECR-RS avoidance over four relationships summing to 99/24 = 4.125 exactly: shown 4.13,
    kept exact in JSON."""
    path = tmp_path / "ecr.yaml"
    path.write_text(
        "responses:\n  mother: [4, 4, 4, 4, 4, 4, 4, 4, 4]\n  father: [4, 4, 4, 4, 5, 4, 4, 4, 4]\n"
        "  partner: [4, 4, 4, 4, 5, 4, 4, 4, 4]\n  friend: [4, 4, 4, 4, 5, 4, 4, 4, 4]\n",
        encoding="utf-8",
    )
    assert "    Avoidance: 4.13\n" in run("score", "ecr-rs", path).out
    printed = json.loads(run("score", "ecr-rs", path, "--json").out)
    assert printed["scores"]["avoidance"] == 4.125
    assert printed["computed_from"] == {"avoidance": "mother+father+partner+friend", "anxiety": "mother+father+partner+friend"}


def test_whole_number_scores_are_integers_in_json(run: Callable[..., Any], tmp_path: Path) -> None:
    """A total is 2, never 2.0."""
    path = tmp_path / "gad.json"
    path.write_text("[1, 1, 0, 0, 0, 0, 0]", encoding="utf-8")
    result = run("score", "gad-7", path, "--json")
    assert '"total": 2\n' in result.out or '"total": 2,' in result.out
    assert type(json.loads(result.out)["scores"]["total"]) is int


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [("answers.yaml", "responses: [1, 1.0, 0, 0, 0, 0, 0]\n", 1), ("answers.json", '{\n  "responses": [\n    1,\n    1.0,\n    0, 0, 0, 0, 0]\n}', 4)],
)
def test_a_rating_written_with_a_decimal_point_is_refused(run: Callable[..., Any], tmp_path: Path, name: str, text: str, line: int) -> None:
    """`1.0` for a whole-number item: exit 2, file, line, field and item named (it scored as 2.0)."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run("score", "gad-7", path)
    assert (result.code, result.err) == (2, f"{path}:{line}: responses[1]: must be a whole number without a decimal point: write 1, not 1.0 (item 2)\n")


def test_a_plan_rating_written_with_a_decimal_point_is_refused(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """The same in a plan, for `validate` and `render` alike."""
    plan = plan_with(example_text, tmp_path, "  - instrument: gad-7\n    date: 2026-09-01\n    responses: [1, 1, 0, 0, 0, 0, 3.0]\n")
    for command in (("validate", plan), ("render", plan, "-o", tmp_path / "out")):
        result = run(*command)
        assert result.code == 2
        assert "assessments[0].responses[6]: must be a whole number without a decimal point: write 3, not 3.0 (item 7)" in result.err
    assert not (tmp_path / "out").exists()


def test_any_instrument_can_declare_what_a_score_was_computed_from(engine_with: Callable[..., Any], toy_instrument: Any) -> None:
    """A plugin's own parts (here 'items answered') get the pack's general wording; a kind that
    is not an id is refused at registration."""
    from dataclasses import replace

    from txplan import hookimpl
    from txplan.contracts import ScoreResult

    def score(data: Any) -> ScoreResult:
        answered = [a for a in data["responses"] if a]
        return ScoreResult({"total": sum(answered)}, computed_from={"total": str(len(answered))})

    partial = replace(toy_instrument, score=score, computed_from_kind="items-answered")
    assert replace(toy_instrument, computed_from_kind="Items answered").problems() == [
        "computed_from_kind 'Items answered' must be lower case letters, digits and hyphens"
    ]

    class Plugin:
        @hookimpl
        def register_instruments(self, register: Any) -> None:
            register(partial)

    plan = txplan.testing.sample_plan()
    plan["assessments"] = [
        {"instrument": "toy-3", "date": "2026-09-01", "responses": [1, 1, 0]},
        {"instrument": "toy-3", "date": "2026-10-01", "responses": [1, 1, 1]},
        {"instrument": "toy-3", "date": "2026-11-01", "responses": [2, 2, 0]},
    ]
    engine = engine_with(Plugin())
    table = _table(engine.render(engine.load(plan), "markdown").decode(), "TOY-3")
    assert table[3:] == ["| 2026-10-01 | 3 | not comparable: computed from different parts |  |", "| 2026-11-01 | 4 | \\+2 |  |"]
