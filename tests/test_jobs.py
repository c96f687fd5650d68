"""One plan's job (txplan.jobs.run_plan): the steps validate, check and render share, what
each result holds, and that `render --check` scores every assessment once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import txplan
from txplan.errors import PlanError
from txplan.jobs import run_plan
from txplan.readiness import checker_for

AS_OF = dt.date(2026, 11, 27)


def counting_scores(engine: txplan.Engine) -> Counter[str]:
    """Make every instrument of ``engine`` count its scorings, by instrument id."""
    calls: Counter[str] = Counter()

    def counted(instrument: Any) -> Callable[[Any], Any]:
        def score(data: Any) -> Any:
            calls[instrument.id] += 1
            return instrument.score(data)

        return score

    for ident, instrument in list(engine.host.instruments.items()):
        engine.host.instruments[ident] = dataclasses.replace(instrument, score=counted(instrument))
    return calls


def test_check_and_render_score_each_assessment_once(example_path: Path) -> None:
    """The check and the document share one scoring of each administration (they scored twice)."""
    engine = txplan.Engine(as_of=AS_OF)
    calls = counting_scores(engine)
    plan = engine.load(example_path)
    given = Counter(a["instrument"] for a in plan.data["assessments"] if a["instrument"] in engine.host.instruments)
    result = run_plan(engine, plan, checker=checker_for(engine, "accreditation", AS_OF), formats=[engine.output_format("md")])
    assert result.valid and result.findings is not None and list(result.outputs) == ["markdown"]
    assert calls == given and sum(given.values()) > 5


def test_the_result_says_how_far_a_plan_went(tmp_path: Path, example_path: Path, example_text: str) -> None:
    """Unreadable: its load problems, no plan. Invalid: its errors, no check, no output. Valid:
    its warnings and, with a checker, the findings; rendered unless the check found errors."""
    engine = txplan.Engine(as_of=AS_OF)
    md = engine.output_format("md")
    missing = run_plan(engine, tmp_path / "nowhere.yaml", formats=[md])
    assert missing.plan is None and not missing.valid and missing.outputs == {}
    assert [str(p) for p in missing.problems] == [f"{tmp_path / 'nowhere.yaml'}: does not exist"]

    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(re.sub(r"(?m)^(  start_date:) .*$", r"\1 someday", example_text, count=1), encoding="utf-8")
    result = run_plan(engine, invalid, checker=checker_for(engine, None, AS_OF), formats=[md])
    assert result.plan is not None and not result.valid and result.findings is None and result.outputs == {}
    assert [p.path for p in result.errors] == ["plan.start_date"]

    valid = run_plan(engine, example_path, checker=checker_for(engine, "medicare-outpatient", AS_OF), formats=[md])
    assert valid.valid and valid.findings is not None
    assert valid.check_failed == (valid.outputs == {})
    plain = run_plan(engine, example_path)
    assert plain.findings is None and plain.outputs == {} and plain.problems == valid.problems


def test_the_api_and_the_job_give_the_same_document(example_path: Path) -> None:
    """`txplan.render_plan` is run_plan with one format; an invalid mapping raises PlanError."""
    engine = txplan.Engine()
    via_job = run_plan(engine, example_path, formats=[engine.output_format("markdown")], as_of=AS_OF).outputs["markdown"]
    assert txplan.render_plan(txplan.load_plan(example_path), "md", as_of=AS_OF) == via_job
    try:
        txplan.render_plan({"client": {}}, "md")
    except PlanError as exc:
        assert exc.problems and all(p.severity == "error" for p in exc.problems)
    else:
        raise AssertionError("an invalid plan was rendered")


def test_an_unknown_payer_stops_a_parallel_render_before_any_worker(run: Callable[..., Any], example_text: str, tmp_path: Path, monkeypatch: Any) -> None:
    """`render --check --payer nosuch --jobs 2` is a usage error from the main process (exit 2,
    the profiles named), not a failure inside worker start-up; nothing is written."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(example_text, encoding="utf-8")
    result = run("render", "a.yaml", "b.yaml", "--check", "--payer", "nosuch", "--jobs", "2", "-f", "md", "-o", "out/")
    assert result.code == 2 and "unknown payer profile 'nosuch' (available: " in result.err
    assert "Traceback" not in result.err and not (tmp_path / "out").exists()
