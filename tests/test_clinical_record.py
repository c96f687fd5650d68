"""What a document may say follows the data: signatures and their attestation, revisions and
content dated after the latest signature, objectives whose target date has passed, answers
recorded but not scored, AAI coding, the medical-necessity statement and the risk assessment,
and `check` on a plan it cannot check."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.readiness import run_checks, select_profile

AS_OF = dt.date(2026, 12, 5)
AGREED = {"default": "agreed to it by signing it", "es": "lo aceptó al firmarlo"}
DECLINED = {"default": "The client did not sign this plan", "es": "El cliente no firmó este plan"}
TO_SIGN = {"default": "Not yet signed by the client", "es": "Pendiente de la firma del cliente"}


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


def render(text: str, tmp_path: Path, pack: str | None = None, fmt: str = "markdown", as_of: dt.date = AS_OF) -> str:
    """The plan ``text`` rendered to Markdown (or the text of every paragraph of its DOCX)."""
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    content = txplan.render_plan(path, fmt, pack=pack, as_of=as_of)
    if fmt == "markdown":
        return content.decode("utf-8")
    import io

    import docx

    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def findings(text: str, tmp_path: Path, profile: str = "medicare-outpatient") -> list[tuple[str, str, str]]:
    """(rule, severity, path) of every check finding for plan ``text``."""
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    engine = txplan.Engine()
    plan = engine.load(path)
    assert [str(p) for p in engine.validate(plan) if p.severity == "error"] == []
    chosen, params = select_profile(engine, profile)
    return [(f.rule, f.severity, f.path) for f in run_checks(engine, plan, chosen, params, AS_OF)]


SIGNED = "signatures:\n  client:\n    date: 2026-09-14\n  clinician:\n    date: 2026-09-14\n"


# -- 1. the attestation follows the signatures ----------------------------------------------------


@pytest.mark.parametrize("pack", ["default", "es"])
@pytest.mark.parametrize("fmt", ["markdown", "docx"])
def test_declined_signature_never_says_the_client_agreed(pack: str, fmt: str, example_text: str, tmp_path: Path) -> None:
    """A client who declined is shown as declining, with the reason, and never as agreeing."""
    text = edit(example_text, SIGNED, "signatures:\n  client:\n    declined_reason: Wanted time to read it at home.\n  clinician:\n    date: 2026-09-14\n")
    document = render(text, tmp_path, pack, fmt)
    assert DECLINED[pack] in document and "Wanted time to read it at home." in document
    assert AGREED[pack] not in document and TO_SIGN[pack] not in document


@pytest.mark.parametrize("pack", ["default", "es"])
def test_unsigned_and_signed_plans_say_so(pack: str, example_text: str, tmp_path: Path) -> None:
    """Not yet signed: what signing will mean, no claim of agreement; signed: the agreement."""
    unsigned = render(edit(example_text, SIGNED, "signatures:\n  clinician:\n    date: 2026-09-14\n"), tmp_path, pack)
    assert TO_SIGN[pack] in unsigned and AGREED[pack] not in unsigned and DECLINED[pack] not in unsigned
    signed = render(example_text, tmp_path, pack)
    assert AGREED[pack] in signed and TO_SIGN[pack] not in signed


def test_a_client_cannot_both_sign_and_decline(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """A signature date and a reason for not signing contradict each other: the plan is refused."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(edit(example_text, SIGNED, SIGNED.replace("    date: 2026-09-14\n  clinician", "    date: 2026-09-14\n    declined_reason: No.\n  clinician")), encoding="utf-8")
    result = run("validate", plan)
    assert result.code == 2 and "signatures.client.declined_reason" in result.err


# -- 3. revisions, content after the signatures, target dates passed --------------------------


def test_content_after_the_latest_signature_is_reported(example_text: str, tmp_path: Path) -> None:
    """Without the revision of 2026-11-30, every administration after the first signatures is reported."""
    without = example_text[: example_text.index("\n# Reviews and updates")] + "\n"
    found = [f for f in findings(without, tmp_path) if f[0] == "content-after-signature"]
    later = [i for i, a in enumerate(txplan.load_plan(tmp_path / "plan.yaml").data["assessments"]) if a["date"] > "2026-09-14"]
    assert later and {f[2] for f in found} == {f"assessments[{i}].date" for i in later}
    assert all(severity == "warning" for _, severity, _ in found)
    assert [f for f in findings(example_text, tmp_path) if f[0] == "content-after-signature"] == []


def test_an_unsigned_revision_does_not_cover_later_content(example_text: str, tmp_path: Path) -> None:
    """A revision that nobody signed accounts for nothing: it is itself content after the signatures."""
    text = edit(example_text, "    signatures:\n      client:\n        date: 2026-11-30\n      clinician:\n        date: 2026-11-30\n", "")
    paths = {f[2] for f in findings(text, tmp_path) if f[0] == "content-after-signature"}
    assert "revisions[0].date" in paths and any(p.startswith("assessments[") for p in paths)


def test_revisions_are_shown_with_their_signatures(example_text: str, tmp_path: Path) -> None:
    """The document lists each revision, what changed, who signed and when, and the last revision date."""
    document = render(example_text, tmp_path)
    assert "## Plan revisions" in document and "**Last revised:** 2026-11-30" in document
    assert "| 2026-11-30 | Reassessed with the PHQ-9" in document and "Clinician: 2026-11-30; Client: 2026-11-30" in document
    declined = edit(example_text, "      client:\n        date: 2026-11-30\n", "      client:\n        declined_reason: Away that week.\n")
    assert "Client: Client did not sign (Away that week.)" in render(declined, tmp_path)


def test_an_open_objective_past_its_target_date_says_so(example_text: str, tmp_path: Path) -> None:
    """An objective still in progress after its target date reads "Target date passed", not "In progress"."""
    text = edit(example_text, "        target_date: 2027-01-15       # moved from 2026-11-30 at the review of 2026-11-30\n", "        target_date: 2026-11-30\n")
    row = next(line for line in render(text, tmp_path).splitlines() if line.startswith("| G1.1:"))
    assert row.endswith("| 2026-11-30 | Target date passed (recorded as: in progress) |")
    before = next(line for line in render(text, tmp_path, as_of=dt.date(2026, 11, 30)).splitlines() if line.startswith("| G1.1:"))
    assert before.endswith("| 2026-11-30 | In progress |")
    assert "Status (as of 2026-12-05)" in render(text, tmp_path)


def test_a_measured_objective_past_its_target_and_not_met_says_so(example_text: str, tmp_path: Path) -> None:
    """A measured objective whose target date passed unmet says so, with the value it rests on."""
    text = edit(example_text, "        target_date: 2027-02-28\n        measure: {instrument: ecr-r", "        target_date: 2026-12-01\n        measure: {instrument: ecr-r")
    row = next(line for line in render(text, tmp_path).splitlines() if line.startswith("| G1.2:"))
    assert "Target date passed; Not yet met: ECR-R anxiety 4.78 on 2026-11-30" in row
    met = edit(text, "at_most: 4.5}", "at_most: 5}")
    row = next(line for line in render(met, tmp_path).splitlines() if line.startswith("| G1.2:"))
    assert "Target date passed" not in row and "Met: ECR-R anxiety 4.78" in row


# -- 6. and 7. what the plan holds is shown; AAI coding -------------------------------------------


def test_recorded_answers_are_shown(example_text: str, tmp_path: Path) -> None:
    """The PHQ-9 difficulty answer and the RQ best-fit choice appear with their results."""
    document = render(example_text, tmp_path)
    assert "| 2026-08-31 | Total 12 (moderate); difficulty: somewhat difficult |" in document
    assert "best fit chosen by the client: preoccupied" in document
    gad = edit(example_text, "    responses: [2, 2, 2, 2, 1, 2, 2]\n", "    responses: [2, 2, 2, 2, 1, 2, 2]\n    difficulty: 3\n")
    assert "Total 13 (moderate); difficulty: extremely difficult" in render(gad, tmp_path)


def test_best_fit_must_be_one_of_the_four_prototypes(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """An RQ best fit that is not secure, fearful, preoccupied or dismissing is refused at its line."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(edit(example_text, "best_fit: preoccupied", "best_fit: anxious"), encoding="utf-8")
    result = run("validate", plan)
    assert result.code == 2 and "assessments[1].best_fit" in result.err


def test_aai_certification_is_said_only_when_recorded(example_text: str, tmp_path: Path) -> None:
    """The document calls the coder reliability-certified only when the plan records it."""
    document = render(example_text, tmp_path)
    assert "coded by Dr. Lena Fischer, reliability-certified." in document
    uncertified = render(edit(example_text, "      reliability_certified: true\n", ""), tmp_path)
    assert "coded by Dr. Lena Fischer." in uncertified and "certified" not in uncertified.split("## Assessments")[1].split("###")[0]


def test_dmm_coding_is_not_forced_into_main_goldwyn_codes(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """system: dmm is refused (its strategies are not modelled), naming the field."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(edit(example_text, "system: main-goldwyn", "system: dmm"), encoding="utf-8")
    result = run("validate", plan)
    assert result.code == 2 and "assessments[2].classification.system" in result.err


# -- 8. check on a plan it cannot check -----------------------------------------------------------


def test_check_on_an_invalid_plan_prints_its_problems_and_no_clean_summary(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """An invalid plan: its problems as validate prints them, exit 2, never "0 errors, 0 warnings"."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(edit(example_text, '  npi: "1234567893"', "  npi: 12"), encoding="utf-8")
    result = run("check", plan)
    assert result.code == 2
    assert "plan.yaml:22: clinician.npi: must be text" in result.err and "not checked" in result.err
    assert "0 errors" not in result.out + result.err
    as_json = run("check", plan, "--json")
    assert as_json.code == 2
    [problem] = json.loads(as_json.out)
    assert problem["rule"] == "validation" and problem["path"] == "clinician.npi" and problem["line"] == 22


def test_check_names_plans_it_could_not_check_beside_those_it_did(example_text: str, example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    """With one valid and one invalid plan, the summary says one was not checked; exit 2."""
    plan = tmp_path / "plan.yaml"
    plan.write_text("client: {}\n", encoding="utf-8")
    result = run("check", example_path, plan, "--as-of", "2026-12-05")
    assert result.code == 2 and "1 not checked (invalid)" in result.out


# -- 9. medical necessity and risk assessment -----------------------------------------------------


def without_block(text: str, start: str, end: str) -> str:
    """``text`` without the lines from ``start`` up to (not including) ``end``."""
    return text[: text.index(start)] + text[text.index(end):]


def test_medical_necessity_is_shown_and_required_where_the_profile_asks(example_text: str, tmp_path: Path) -> None:
    """The statement is a section of the document (a box in harbour-group); without it, medicare errs."""
    document = render(example_text, tmp_path)
    assert "## Medical necessity" in document and "**Functional impairment:** Sleep is broken" in document
    assert "::: note\n**Diagnosis:** F43.23" in render(example_text, tmp_path, "harbour-group")
    text = without_block(example_text, "# The clinician's case for medical necessity", "# Assessments:")
    assert ("medical-necessity", "error", "") in findings(text, tmp_path, "medicare-outpatient")
    assert ("medical-necessity", "warning", "") in findings(text, tmp_path, "commercial-default")
    assert "## Medical necessity" not in render(text, tmp_path)


FLAGGED = "    responses: [1, 1, 1, 1, 0, 1, 1, 0, 0]\n"
RISK = (
    "risk_assessment:\n  date: 2026-11-09\n  level: low\n  risk_factors: [Passive thoughts of being better off dead]\n"
    "  protective_factors: [Close bond with her sister, Engaged in treatment]\n  plan: Safety plan reviewed; weekly check-in on the item.\n"
    "safety_plan:\n  date: 2026-11-09\n  description: Warning signs, coping steps and crisis numbers agreed.\n"
)


def test_a_safety_flag_needs_a_risk_assessment_on_or_after_it(example_text: str, tmp_path: Path) -> None:
    """PHQ-9 item 9 above 0: without a risk assessment dated on or after it, risk-assessment errs."""
    flagged = edit(example_text, FLAGGED, FLAGGED.replace("0, 0]", "0, 1]"))
    with_safety_plan = edit(flagged, "\ndischarge_criteria:", "\nsafety_plan:\n  date: 2026-11-09\n  description: Agreed.\n\ndischarge_criteria:")
    assert [f for f in findings(with_safety_plan, tmp_path) if f[0] == "risk-assessment"] == [("risk-assessment", "error", "assessments[7]")]
    assessed = edit(flagged, "\ndischarge_criteria:", "\n" + RISK + "\ndischarge_criteria:")
    assert [f for f in findings(assessed, tmp_path) if f[0] in ("risk-assessment", "safety-follow-up")] == []
    too_early = assessed.replace("risk_assessment:\n  date: 2026-11-09", "risk_assessment:\n  date: 2026-11-08")
    assert ("risk-assessment", "error", "assessments[7]") in findings(too_early, tmp_path)
    document = render(assessed, tmp_path)
    assert "**Risk assessment (2026-11-09):** Risk level: low." in document
    assert "**Protective factors:** Close bond with her sister; Engaged in treatment" in document


# -- 10. the example is clinically sound ----------------------------------------------------------


def test_example_objectives_say_what_their_criteria_measure(example_path: Path) -> None:
    """A measured objective worded as a severity range has the criterion of that range's upper
    bound; no ECR-R objective claims a meaningful change (it has no published criterion)."""
    from txplan.plugins.instruments import gad7, phq9

    bands = {"gad-7": gad7.BANDS, "phq-9": phq9.BANDS}
    plan = txplan.load_plan(example_path).data
    objectives = [o for g in plan["goals"] for o in g["objectives"] if "measure" in o]
    assert objectives
    for objective in objectives:
        measure = objective["measure"]
        if measure["instrument"] in bands and "mild range" in objective["description"]:
            mild = next(high for low, high, label in bands[measure["instrument"]] if label == "mild")
            assert measure["at_most"] == mild, objective["id"]
        if measure["instrument"] == "ecr-r":
            assert "meaningful" not in objective["description"] + objective["criterion"]


def test_example_diagnosis_names_its_stressor(example_path: Path) -> None:
    """An adjustment disorder (F43.2x) needs a stressor: the example names it, with its date."""
    plan = txplan.load_plan(example_path).data
    [diagnosis] = [d for d in plan["diagnoses"] if d["code"].startswith("F43.2")]
    assert "following" in diagnosis["description"] and "2026" in diagnosis["description"]


def test_as_of_belongs_to_each_call_even_across_threads(example_text: str, tmp_path: Path) -> None:
    """Library callers share one cached engine per pack; one thread's as-of date never shows in
    another thread's document (it once was set on the shared engine for the call's duration)."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / "plan.yaml"
    path.write_text(example_text, encoding="utf-8")
    days = [dt.date(2026, 12, 1) + dt.timedelta(days=n % 7) for n in range(40)]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda day: txplan.render_plan(path, "md", as_of=day).decode(), days))
    assert all(f"Status (as of {day.isoformat()})" in text for day, text in zip(days, texts, strict=True))
