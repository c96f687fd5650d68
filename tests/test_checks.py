"""`txplan check`: the example plan passes every profile; a corpus of plans, each missing one
element, gives exactly the expected finding at the expected line; --json is stable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.readiness import run_checks, select_profile

AS_OF = "2026-11-27"


def findings_for(text: str, tmp_path: Path, profile: str = "medicare-outpatient", as_of: str = AS_OF) -> list[tuple[str, str, str, int | None]]:
    """(rule, severity, path, line) of every finding for plan ``text``."""
    import datetime as dt

    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(text, encoding="utf-8")
    engine = txplan.Engine()
    plan = engine.load(plan_path)
    assert [p for p in engine.validate(plan) if p.severity == "error"] == []
    chosen, params = select_profile(engine, profile)
    return [(f.rule, f.severity, f.path, f.line) for f in run_checks(engine, plan, chosen, params, dt.date.fromisoformat(as_of))]


def line(text: str, needle: str, occurrence: int = 1) -> int:
    """The line of the ``occurrence``-th ``needle``."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("profile", ["medicare-outpatient", "accreditation", "commercial-default"])
def test_example_plan_passes_every_profile(profile: str, example_text: str, tmp_path: Path) -> None:
    """The example plan has no findings at all under any built-in profile."""
    assert findings_for(example_text, tmp_path, profile) == []


def test_corpus_each_missing_one_element(example_text: str, tmp_path: Path) -> None:
    """Each plan below differs from the example in one element; each gives exactly its finding."""
    t = example_text
    root = line(t, "client:")
    cases: list[tuple[str, str, str, list[tuple[str, str, str, int | None]]]] = []

    no_diagnoses = edit(t, "diagnoses:\n  - code: F43.23\n    description: Adjustment disorder with mixed anxiety and depressed mood, following her partner's move abroad (June 2026)\n    primary: true\n", "")
    cases.append(("no diagnosis", no_diagnoses, "medicare-outpatient", [("diagnosis-primary", "error", "diagnoses", root)]))
    z = edit(t, "code: F43.23", "code: Z63.0")
    cases.append(("Z-code primary", z, "medicare-outpatient", [("diagnosis-z-code", "warning", "diagnoses[0].code", line(z, "Z63.0"))]))
    rad = edit(t, "code: F43.23", "code: F94.1")
    cases.append(("childhood code for an adult", rad, "medicare-outpatient", [("diagnosis-childhood-attachment", "warning", "diagnoses[0].code", line(rad, "F94.1"))]))
    vague = edit(t, "criterion: Contact with each at least fortnightly over eight weeks, by her own report.", "criterion: She feels closer to her friends.")
    cases.append(("objective not measurable", vague, "medicare-outpatient", [("objective-measurable", "warning", "goals[1].objectives[1].criterion", line(vague, "She feels closer"))]))
    clinical = edit(t, '"I want to understand what sets me off & calm down before I say things I regret."', "Improve emotional regulation under stress.")
    cases.append(("goal not in the client's words", clinical, "medicare-outpatient", [("goal-client-words", "warning", "goals[2].statement", line(clinical, "Improve emotional regulation under"))]))
    no_frequency = edit(t, "    frequency: Fortnightly\n", "")
    cases.append(("intervention without frequency", no_frequency, "medicare-outpatient", [("intervention-frequency", "error", "interventions[3]", line(no_frequency, "  - id: I4"))]))
    no_length = edit(t, "  session_length_minutes: 53\n", "")
    cases.append(("no session length", no_length, "medicare-outpatient", [("therapy-elements", "error", "therapy.session_length_minutes", line(no_length, "therapy:\n"))]))
    cases.append(("plan older than a year", t, "medicare-outpatient@2027-10-01", [("plan-current", "error", "plan.start_date", line(t, "  start_date:"))]))
    gap = edit(t, "review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2026-12-07, 2027-04-01]")
    cases.append(("reviews too far apart", gap, "accreditation", [("review-schedule", "error", "review_dates[1]", line(gap, "review_dates:"))]))
    unsigned = edit(t, "  clinician:\n    date: 2026-09-14\n", "")
    cases.append(("no clinician signature", unsigned, "medicare-outpatient", [("clinician-signature", "error", "signatures", line(unsigned, "signatures:"))]))
    client_unsigned = edit(t, "  client:\n    date: 2026-09-14\n", "")
    cases.append(("no client signature", client_unsigned, "accreditation", [("client-signature", "warning", "signatures", line(client_unsigned, "signatures:"))]))
    start, end = t.index("assessments:\n"), t.index("goals:\n")
    custom_only = t[:start] + "assessments:\n  - instrument: custom\n    name: Intake interview\n    date: 2026-08-31\n    result: Engaged and open.\n\n" + t[end:]
    cases.append(("no standardised measure", custom_only, "accreditation", [("standardised-measure", "error", "assessments", line(custom_only, "assessments:"))]))
    flagged = edit(t, "    responses: [1, 1, 1, 1, 0, 1, 1, 0, 0]", "    responses: [1, 1, 1, 1, 0, 1, 1, 0, 1]")
    flag_line = line(flagged, "  - instrument: phq-9", 3)
    cases.append(("item-9 flag without a safety plan or risk assessment", flagged, "medicare-outpatient",
                  [("risk-assessment", "error", "assessments[7]", flag_line), ("safety-follow-up", "error", "assessments[7]", flag_line)]))
    copied = edit(t, '"I\'d like to let a couple of people get close without running away."', '"Urges pass on their own; riding them out weakens the habit they drive."')
    cases.append(("library text as a goal", copied, "medicare-outpatient", [
        ("goal-client-words", "warning", "goals[1].statement", line(copied, "Urges pass")),
        ("library-verbatim", "warning", "goals[1].statement", line(copied, "Urges pass")),
    ]))

    for name, text, profile, expected in cases:
        profile, _, as_of = profile.partition("@")
        assert findings_for(text, tmp_path, profile, as_of or AS_OF) == expected, name


def test_safety_plan_after_the_flag_clears_it(example_text: str, tmp_path: Path) -> None:
    """A safety plan dated on or after the flagged administration satisfies the rule; one before does not."""
    flagged = edit(example_text, "    responses: [1, 1, 1, 1, 0, 1, 1, 0, 0]", "    responses: [1, 1, 1, 1, 0, 1, 1, 0, 1]")
    risk = "risk_assessment:\n  date: 2026-11-09\n  level: low\n  plan: Safety plan made; item 9 reviewed weekly.\n"
    after = flagged + risk + "safety_plan:\n  date: 2026-11-09\n  description: Warning signs, coping steps and crisis contacts agreed; reviewed weekly.\n"
    before = flagged + risk + "safety_plan:\n  date: 2026-10-01\n  description: Agreed steps.\n"
    assert findings_for(after, tmp_path) == []
    assert [f[0] for f in findings_for(before, tmp_path)] == ["safety-follow-up"]


def test_check_command_output_and_exit_codes(run: Callable[..., Any], example_text: str, example_path: Path, tmp_path: Path) -> None:
    """Human output ends with a summary; exit 1 with errors, 0 with warnings only, 2 for an invalid plan."""
    ok = run("check", example_path, "--payer", "medicare-outpatient", "--as-of", AS_OF)
    assert (ok.code, ok.out) == (0, "0 errors, 0 warnings (medicare-outpatient, as of 2026-11-27)\n")
    old = run("check", example_path, "--payer", "medicare-outpatient", "--as-of", "2027-10-01")
    assert old.code == 1 and old.out.splitlines()[-1] == "1 error, 0 warnings (medicare-outpatient, as of 2027-10-01)"
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(example_text.replace("  start_date: 2026-09-14", "  start_date: 2026-02-31"), encoding="utf-8")
    result = run("check", invalid, "--as-of", AS_OF)
    assert result.code == 2 and "not checked: invalid (1 error)" in result.err and "0 errors" not in result.out
    assert run("check", example_path, "--payer", "nope").code == 2
    assert run("check", example_path, "--as-of", "someday").code == 2


def test_json_output_is_stable(run: Callable[..., Any], example_path: Path) -> None:
    """--json prints a list of objects with exactly file, line, path, severity, rule, message."""
    result = run("check", example_path, "--payer", "commercial-default", "--as-of", "2028-01-01", "--json")
    findings = json.loads(result.out)
    assert result.code == 1 and findings
    assert all(list(f) == ["file", "line", "path", "severity", "rule", "message"] for f in findings)
    assert findings[0] == {
        "file": str(example_path), "line": line(example_path.read_text(encoding="utf-8"), "  start_date:"), "path": "plan.start_date",
        "severity": "error", "rule": "plan-current", "message": "the plan was established 474 days before 2028-01-01; this profile allows 365: review and renew it",
    }


def test_render_check_refuses_a_plan_with_errors(run: Callable[..., Any], example_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`render --check` prints the findings and writes nothing for a plan with check errors."""
    monkeypatch.chdir(tmp_path)
    plan = tmp_path / "plan.yaml"
    plan.write_text(edit(example_text, "  session_length_minutes: 53\n", ""), encoding="utf-8")
    result = run("render", plan, "--check", "-o", "out/")
    assert result.code == 1
    assert "error: therapy-elements: therapy.session_length_minutes: missing the planned session length" in result.err
    assert "not written: the insurer-readiness check found errors" in result.err
    assert not (tmp_path / "out").exists()
    assert run("render", plan, "-o", "out/").code == 0


def test_pack_sets_the_profile_and_its_parameters(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    """A pack's `check` block chooses the profile and tunes it (a shorter review interval)."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: strict\nversion: '1'\ncheck:\n  profile: accreditation\n  params:\n    review_interval_days: 60\n", encoding="utf-8")
    result = run("check", example_path, "--pack", pack, "--as-of", AS_OF)
    assert result.code == 1 and "the practice's review interval is 60 days" in result.out and "(accreditation, as of" in result.out


def test_every_check_is_documented() -> None:
    """docs/checks.md has a row for every built-in check, naming the same public source the check
    reports, and a column for it in the profile table."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    engine = txplan.Engine()
    lines = docs.splitlines()
    for check in engine.host.checks.values():
        assert f"| `{check.id}` |" in docs, check.id
        assert any(row.startswith(f"| `{check.id}` |") and row.rstrip().endswith(f"| {check.source} |") for row in lines), check.id
    for profile in engine.host.payer_profiles.values():
        assert f"`{profile.id}`" in docs, profile.id


def test_render_check_in_parallel_workers(run: Callable[..., Any], example_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --jobs, workers run the check too: the failing plan is refused, the passing one written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.yaml").write_text(example_text, encoding="utf-8")
    (tmp_path / "short.yaml").write_text(edit(example_text, "  session_length_minutes: 53\n", ""), encoding="utf-8")
    result = run("render", "good.yaml", "short.yaml", "--check", "--jobs", "2", "-f", "md", "-o", "out/")
    assert result.code == 1
    assert "short.yaml: not written: the insurer-readiness check found errors" in result.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.md"]


#: Rules that do not apply to outpatient psychotherapy: partial hospitalisation (MBPM ch.6 §70.3,
#: 42 CFR 410.43) and inpatient Medicaid review (42 CFR 456.180); and footnote marks of a note
#: ("§2.", "[A]"). Internal notes users do not have are the `internal_notes` pattern (conftest).
NOT_A_SOURCE = ("§2.", "[A]", "410.43", "456.180", "MBPM", "partial hosp")


def test_every_source_is_public_and_outpatient(internal_notes: re.Pattern[str]) -> None:
    """Each check names a public rule or standard (no internal file, no footnote letters) that
    applies to outpatient psychotherapy."""
    engine = txplan.Engine()
    for check in engine.host.checks.values():
        assert not [bad for bad in NOT_A_SOURCE if bad in check.source] and not internal_notes.search(check.source), (check.id, check.source)
    checks = engine.host.checks
    assert "CARF" in checks["objective-measurable"].source and "CTS.03.01.03" in checks["objective-measurable"].source
    assert "CTS.03.01.03" in checks["review-schedule"].source and "practice's setting" in checks["review-schedule"].source
    # One state's regulation is an example at most, never the rule the accreditation profile rests on.
    assert checks["client-signature"].source.startswith("CARF") and "CTS.03.01.03" in checks["client-signature"].source
    assert "CTS.03.01.03" in checks["library-verbatim"].source and "txplan's own" in checks["library-verbatim"].source


def test_profiles_say_which_figures_are_the_practice_setting() -> None:
    """No profile presents the 90-day review interval as a payer rule."""
    profiles = txplan.Engine().host.payer_profiles
    assert "practice's default setting, not a payer rule" in profiles["commercial-default"].description
    assert "interval the practice sets" in profiles["accreditation"].description
    assert profiles["accreditation"].rules["client-signature"] == "warning"


def test_diagnosis_codes_come_from_the_icd10cm_code_set(example_text: str, tmp_path: Path) -> None:
    """A category (F43.2) is not billable and F43.239 does not exist; each finding names the code
    set's release. The example's F43.23 passes (test_example_plan_passes_every_profile)."""
    from txplan.plugins.checks.code_sets import code_set_release

    release = code_set_release()
    assert release.startswith("ICD-10-CM FY20") and "simple-icd-10-cm" in release
    category = edit(example_text, "code: F43.23", "code: F43.2")
    assert findings_for(category, tmp_path) == [("diagnosis-code-valid", "error", "diagnoses[0].code", line(category, "code: F43.2"))]
    missing = edit(example_text, "code: F43.23", "code: F43.239")
    assert findings_for(missing, tmp_path, "commercial-default") == [("diagnosis-code-valid", "error", "diagnoses[0].code", line(missing, "F43.239"))]
    assert findings_for(missing, tmp_path, "accreditation") == [("diagnosis-code-valid", "warning", "diagnoses[0].code", line(missing, "F43.239"))]
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(category, encoding="utf-8")
    engine = txplan.Engine()
    chosen, params = select_profile(engine, "medicare-outpatient")
    import datetime as dt

    [finding] = run_checks(engine, engine.load(plan_path), chosen, params, dt.date.fromisoformat(AS_OF))
    assert finding.message == f"F43.2 is not billable in {release}: it has more specific codes under it; " \
        "code it in full (F43.20, F43.21, F43.22, F43.23, F43.24, F43.25, F43.29)"


def test_code_set_is_loaded_only_when_a_check_needs_it() -> None:
    """Starting txplan and registering its plugins does not load the ICD-10-CM code set."""
    import subprocess
    import sys

    probe = "import sys, txplan; txplan.Engine(); print('simple_icd_10_cm' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


@pytest.mark.parametrize(("npi", "valid"), [
    ("1234567893", True),   # CMS's worked example: 80840123456789 gives check digit 3
    ("1234567898", False),  # wrong check digit
    ("1234567983", False),  # two digits swapped
    ("2234567893", False),  # one digit mistyped
    ("0000000000", False),  # the Luhn sum without the 80840 prefix would pass this
])
def test_npi_check_digit_function(npi: str, valid: bool) -> None:
    """The NPI check digit is the Luhn formula over 80840 + the NPI."""
    from txplan.plugins.checks.code_sets import npi_check_digit_valid

    assert npi_check_digit_valid(npi) is valid


def test_npi_check_digit_in_plans(example_text: str, tmp_path: Path) -> None:
    """A mistyped clinician or practice NPI is an error for payers, a warning for accreditation."""
    bad_clinician = edit(example_text, 'npi: "1234567893"', 'npi: "1234567898"')
    assert findings_for(bad_clinician, tmp_path) == [("npi-check-digit", "error", "clinician.npi", line(bad_clinician, "1234567898"))]
    assert findings_for(bad_clinician, tmp_path, "accreditation") == [("npi-check-digit", "warning", "clinician.npi", line(bad_clinician, "1234567898"))]
    bad_practice = edit(example_text, "practice:\n", 'practice:\n  npi: "1234567983"\n')
    assert findings_for(bad_practice, tmp_path, "commercial-default") == [("npi-check-digit", "error", "practice.npi", line(bad_practice, "1234567983"))]
    good_practice = edit(example_text, "practice:\n", 'practice:\n  npi: "1234567893"\n')
    assert findings_for(good_practice, tmp_path, "commercial-default") == []
