"""De-identified rendering (``render --deidentify``): canary values from every identifying field
and from free text never reach any format's bytes; dates become years (or move together with
``--shift-dates``); what a search cannot decide is reported by field and line, never by value."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan import Deidentify

Run = Callable[..., Any]

#: Values that must never appear in a de-identified document, whatever the format.
CANARIES = (
    "Zelda", "Quintero", "Vasquez", "Zelly", "1931-02-03", "3 February", "February 1931", "MRN-884213", "884213", "QX-99812345", "99812345",
    "GRP-77123", "555-0199", "555-0198", "zq.canary", "Larchmont", "97477", "Springfield", "1234567893", "PSY-31852",
    "Reyes", "Tomás", "Harbour", "Marisol", "Okonkwo", "203.0.113.9", "zq-portal",
)


def canary_plan(example_text: str) -> str:
    """The example plan with canary values in every identifying field and in free text."""
    text = example_text
    for old, new in (
        ("Amélie Durand-Okafor", "Zelda Quintero-Vasquez"),
        ("preferred_name: Amélie", "preferred_name: Zelly"),
        ("Amélie", "Zelda"),
        ("date_of_birth: 1991-04-17", "date_of_birth: 1931-02-03"),
        ("identifier: HV-20417", "identifier: MRN-884213"),
        ("member_id: NWH-558201", "member_id: QX-99812345"),
        ('group_number: "004417"', "group_number: GRP-77123"),
        ("Harbour & Vine Counselling", "Harbour Oakridge Therapy"),
        ("214 Alder Street, Suite 3\n    Portland, OR 97204", "1187 Larchmont Avenue\n    Springfield, OR 97477"),
        ("phone: (503) 555-0142", "phone: (541) 555-0199\n  fax: (541) 555-0198"),
        ("office@harbourandvine.example", "zq.canary@example.org"),
        ("coder: Dr. Lena Fischer", "coder: Dr. Marisol Okonkwo"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    free = (
        "    Zelda (born 3 February 1931, now age 95) gave her portal login zq-portal@example.org and "
        "https://zq-portal.example/me from 203.0.113.9; call (541) 555-0199 or reach Dr. Reyes at 1187 Larchmont Avenue. "
        "Record MRN-884213, member QX-99812345, licence PSY-31852 and NPI 1234567893 are on file; seen 2026-02-03 and 02/03/2026.\n"
    )
    text = text.replace("      relationship ending.\n", "      relationship ending.\n" + free.replace("    ", "      ", 1), 1)
    text = text.replace("Weekly, in every session", "Weekly, with Marisol Okonkwo in Oakridge and Ferncliff")
    return text


@pytest.fixture
def canary(tmp_path: Path, example_text: str) -> Path:
    """A plan file full of canary values (named without the client's name)."""
    path = tmp_path / "supervision-case.yaml"
    path.write_text(canary_plan(example_text), encoding="utf-8")
    assert txplan.validate_plan(path) == [] or all(p.severity != "error" for p in txplan.validate_plan(path))
    return path


def readable_text(content: bytes) -> str:
    """Everything a reader (or a program) can get out of an output: for a zip (DOCX) every
    part's bytes, for a PDF its raw bytes and the text poppler extracts, else the bytes."""
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return "\n".join(package.read(name).decode("utf-8", "replace") for name in package.namelist())
    if content.startswith(b"%PDF-"):
        text = subprocess.run(["pdftotext", "-", "-"], input=content, check=True, capture_output=True).stdout
        info = subprocess.run(["pdfinfo", "-meta", "-"], input=content, check=False, capture_output=True).stdout
        return "\n".join(part.decode("utf-8", "replace") for part in (content, text, info))
    return content.decode("utf-8", "replace")


def all_formats() -> list[str]:
    """Every output format txplan has, so a format added later is tested too; PDF only where
    LibreOffice and poppler are installed (always in CI)."""
    names = sorted(txplan.Engine(None).host.output_formats)
    if any(shutil.which(tool) is None for tool in ("soffice", "pdftotext", "pdfinfo")) and not os.environ.get("CI"):
        names = [n for n in names if not n.startswith("pdf")]
    return names


@pytest.mark.parametrize("pack", [None, "harbour-group"])
@pytest.mark.parametrize("shift", [False, True])
def test_no_canary_reaches_any_format(canary: Path, pack: str | None, shift: bool) -> None:
    """Names, date of birth, identifiers, member and group numbers, NPI, licence, phone, fax,
    e-mail, address, URL and IP: none appears in any format's output, with the default pack and
    with a pack that has a letterhead and logo of its own; the notice is in every output."""
    options = Deidentify.shifted() if shift else Deidentify()
    for name in all_formats():
        if name == "pdf-a" or (name.startswith("pdf") and (pack, shift) != (None, False)):
            continue  # LibreOffice is slow: PDF once; pdf-a is the same conversion
        text = readable_text(txplan.render_plan(canary, name, pack=pack, deidentify=options))
        found = [value for value in CANARIES if value.lower() in text.lower()]
        assert not found, f"{name}: {found}"
        assert "De-identified for supervision — review before sharing" in " ".join(text.split()), name


def test_the_identified_rendering_still_holds_the_canaries(canary: Path) -> None:
    """The canaries are really in the plan's documents: without --deidentify they are there."""
    text = readable_text(txplan.render_plan(canary, "markdown"))
    assert all(value in text for value in ("Zelda", "MRN-884213", "Larchmont", "zq.canary"))


def test_dates_become_years_and_great_ages_are_grouped(canary: Path) -> None:
    """No full date, no month name is left; years stay; a birth date showing an age over 89 and
    an age over 89 written in free text become '90 or older'."""
    markdown = txplan.render_plan(canary, "markdown", deidentify=True).decode()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", markdown)
    assert not re.search(r"\b(January|February|March|April|June|July|August|September|October|November|December)\b", markdown)
    assert "**Date of birth:** 90 or older" in markdown
    assert "age 90 or older" in markdown and "age 95" not in markdown
    assert "1931" not in markdown  # a year of birth showing such an age goes too
    assert "**Plan period:** 2026 to 2027" in markdown
    assert "(45 CFR 164.514(b)(2))" in markdown


def test_a_young_clients_birth_year_is_kept(example_path: Path) -> None:
    """A date of birth that shows an age of 89 or under keeps its year, as Safe Harbor allows."""
    markdown = txplan.render_plan(example_path, "markdown", deidentify=True).decode()
    assert "**Date of birth:** 1991" in markdown


def test_shifted_dates_keep_every_interval(example_path: Path, example_text: str) -> None:
    """With a shift, every date in the document is the plan's date plus one offset: intervals
    between sessions, assessments and reviews are kept; the document says it is not Safe Harbor."""
    options = Deidentify(shift_days=40)
    markdown = txplan.render_plan(example_path, "markdown", deidentify=options).decode()
    original = txplan.render_plan(example_path, "markdown").decode()
    before = [dt.date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", original)]
    after = [dt.date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", markdown)]
    assert len(before) == len(after) > 10
    offsets = {(a - b).days for a, b in zip(after, before, strict=True)}
    assert offsets == {40}
    assert "shifted dates are not Safe Harbor de-identification" in markdown
    # Dates the plan writes in words move by the same offset, to the month (mid-June + 40 days).
    assert "became constant in June 2026" in original and "became constant in July 2026" in markdown
    # The CLI draws its own secret offset: the same intervals, any offset up to a year.
    randomly = txplan.render_plan(example_path, "markdown", deidentify=Deidentify.shifted()).decode()
    moved = [dt.date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", randomly)]
    offsets = {(a - b).days for a, b in zip(moved, before, strict=True)}
    assert len(offsets) == 1 and 0 < abs(offsets.pop()) <= 365


def test_the_offset_is_secret_and_differs_between_runs() -> None:
    """The offset is never shown (not even in a repr) and is drawn afresh for each run."""
    draws = [Deidentify.shifted() for _ in range(6)]
    assert len({d.shift_days for d in draws}) > 1
    assert all(d.shift_days and str(d.shift_days) not in repr(d) for d in draws)


@pytest.fixture
def work(work_folder: Path) -> Path:
    """An empty current folder for the command to write into."""
    return work_folder


def test_the_command_says_so_and_names_the_file_apart(run: Run, work: Path, canary: Path) -> None:
    """Each file written is named ``<plan>.deidentified.<ext>`` (the plan's own document is never
    replaced) and its line says 'de-identified for supervision — review before sharing'."""
    (work / "supervision-case.docx").write_bytes(b"the real one")
    result = run("render", canary, "--deidentify", "-f", "docx,markdown")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "wrote supervision-case.deidentified.docx (de-identified for supervision — review before sharing)",
        "wrote supervision-case.deidentified.md (de-identified for supervision — review before sharing)",
    ]
    assert (work / "supervision-case.docx").read_bytes() == b"the real one"


def test_warnings_name_the_field_and_line_never_the_value(run: Run, work: Path, canary: Path, tmp_path: Path) -> None:
    """A capitalised word in mid-sentence that may be a name (here, a place and a person the
    plan does not name) is reported with the plan's file, line and field, and no value at all."""
    text = canary.read_text(encoding="utf-8").replace("She keeps new acquaintances", "She visits Bellamy Quarry with Hortensia and keeps new acquaintances")
    plan = tmp_path / "case.yaml"
    plan.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "Bellamy" in row)
    result = run("render", plan, "--deidentify", "-f", "markdown")
    assert result.code == 0, result.err
    expected = f"case.yaml:{line - 1}: warning: presenting_issues[1].description: de-identification:"
    assert any(row.endswith("review this text before sharing") and expected in row for row in result.err.splitlines()), result.err
    frequency_line = next(n for n, row in enumerate(text.splitlines(), 1) if "Oakridge and Ferncliff" in row)
    assert f"case.yaml:{frequency_line}: warning: interventions[0].frequency: de-identification:" in result.err
    for value in (*CANARIES, "Bellamy", "Hortensia", "Quarry", "Oakridge", "Ferncliff"):
        assert value not in result.err and value not in result.out
    assert "Traceback" not in result.err


def test_shift_dates_needs_deidentify(run: Run, work: Path, example_path: Path) -> None:
    """``--shift-dates`` alone is a usage error (exit 2), and nothing is written."""
    result = run("render", example_path, "--shift-dates", "-f", "markdown")
    assert result.code == 2 and "--deidentify" in result.err
    assert list(work.iterdir()) == []


def test_one_offset_for_every_plan_of_a_parallel_run(run: Run, work: Path, example_path: Path) -> None:
    """Worker processes of ``--jobs`` use the run's one offset: two copies of a plan rendered in
    parallel get the same shifted dates."""
    for name in ("one.yaml", "two.yaml"):
        shutil.copy(example_path, work / name)
    result = run("render", "one.yaml", "two.yaml", "--deidentify", "--shift-dates", "--jobs", "2", "-f", "markdown")
    assert result.code == 0, result.err
    first, second = (work / "one.deidentified.md").read_text(), (work / "two.deidentified.md").read_text()
    # The offset is never 0, so the plan's own period never survives (another date may land on
    # 2026-09-14 by chance: the check is on the period line, not on the date anywhere).
    assert first == second and "**Plan period:** 2026-09-14 to 2027-03-14" not in first and "**Plan period:** " in first


def test_a_file_name_holding_the_clients_name_is_warned_about(run: Run, work: Path, example_path: Path) -> None:
    """A plan named after its client would carry the name on the de-identified file: said."""
    shutil.copy(example_path, work / "durand-okafor.yaml")
    result = run("render", "durand-okafor.yaml", "--deidentify", "-f", "markdown")
    assert result.code == 0
    assert "the file name holds part of the client's name; rename it before sharing" in result.err


def test_score_charts_are_left_out(example_path: Path, tmp_path: Path, run: Run) -> None:
    """A chart's points are the administrations' own dates (in the picture and its alt text):
    a de-identified document has none, in any format, and `--charts` writes no picture."""
    engine = txplan.Engine(None)
    plan = engine.load(example_path)
    assert engine.render_document(plan).context.charts  # the identified document has charts
    for mode in (Deidentify(), Deidentify.shifted()):
        document = engine.render_document(plan, deidentify=mode)
        assert document.context.charts == {} and "chart:" not in document.markdown
        html = engine.render_with(engine.output_format("html"), document).decode()
        assert "2026-08-31" not in html and "<svg" not in html
        with zipfile.ZipFile(io.BytesIO(engine.render_with(engine.output_format("docx"), document))) as package:
            assert not [n for n in package.namelist() if n.startswith("word/media/")]
    result = run("render", example_path, "--deidentify", "-f", "md", "--charts", "-o", f"{tmp_path}/")
    assert result.code == 0, result.err
    assert [p.name for p in tmp_path.iterdir()] == [f"{example_path.stem}.deidentified.md"]
    assert "2026-08-31" not in (tmp_path / f"{example_path.stem}.deidentified.md").read_text(encoding="utf-8")


def test_the_practice_logo_is_left_out(canary: Path) -> None:
    """A pack's logo identifies the practice: the de-identified Word document does not carry it
    (nor any other picture), the identified one does."""
    from importlib import resources

    logo = resources.files("txplan.template_packs").joinpath("harbour_group", "logo.png").read_bytes()

    def images(content: bytes) -> list[bytes]:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            return [package.read(n) for n in package.namelist() if n.startswith("word/media/")]

    assert logo in images(txplan.render_plan(canary, "docx", pack="harbour-group"))
    assert logo not in images(txplan.render_plan(canary, "docx", pack="harbour-group", deidentify=True))


# -- a property: canaries anywhere in free text --------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402 - the property test's own imports
from hypothesis import strategies as st  # noqa: E402

#: Canaries written into free text, with what of each must not survive (letters and digits only,
#: so that Markdown's escaping cannot hide one).
TEXT_CANARIES = {
    "Zelda": "zelda", "Quintero-Vasquez": "quintero", "zq.canary@example.org": "zqcanary", "(541) 555-0199": "5550199",
    "541.555.0198": "5550198", "MRN-884213": "884213", "2026-02-03": "20260203", "3 February 2026": "february",
    "1187 Larchmont Avenue": "larchmont", "https://zq-portal.example/me": "zqportal", "NPI 1234567893": "1234567893",
}
#: Words without digits (so no random word can complete a canary's digits).
WORDS = st.text(alphabet=st.characters(categories=("L", "P", "Zs"), exclude_characters="\x85\u2028\u2029"), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(WORDS, st.sampled_from(sorted(TEXT_CANARIES))), min_size=1, max_size=30))
def test_no_canary_survives_anywhere_in_free_text(canary: Path, words: list[str]) -> None:
    """Whatever words surround them, canary names, e-mail, phone numbers, an identifier, dates,
    a street address, a URL and an NPI written in free text never reach the document."""
    import copy

    data = copy.deepcopy(txplan.load_plan(canary).data)
    data["presenting_issues"][0]["description"] = " ".join(words)
    markdown = txplan.render_plan(data, "markdown", deidentify=True).decode()
    flat = re.sub(r"[^0-9a-z]", "", markdown.lower())
    for written in words:
        if written in TEXT_CANARIES:
            assert TEXT_CANARIES[written] not in flat, written


# -- txplan export --to fhir --deidentify --------------------------------------------------------

FHIR_AS_OF = "2026-12-07"


def fhir_canary_plan(example_text: str) -> str:
    """The canary plan with canaries also in the text the bundle carries: a goal's statement, an
    objective's description and an intervention's application."""
    text = canary_plan(example_text)
    for old, new in (
        ("doesn't answer right away.", "doesn't answer right away, like Dr. Reyes on 2026-02-03 at (541) 555-0199."),
        ("Rehearses real conversations", "At 1187 Larchmont Avenue (record MRN-884213), Zelda rehearses real conversations"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


def exported_json(run: Run, plan: Path, *extra: str) -> tuple[dict[str, Any], str, Any]:
    """The bundle ``txplan export`` writes to standard output, its JSON text and the result."""
    import json

    result = run("export", plan, "--to", "fhir", "--as-of", FHIR_AS_OF, *extra)
    assert result.code == 0, result.err
    return json.loads(result.out), result.out, result


def fhir_dates(bundle: dict[str, Any]) -> list[str]:
    """Every date element of every resource, in bundle order."""
    names = {"birthDate", "startDate", "dueDate", "authored", "effectiveDateTime", "start", "end"}
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in names and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk([e["resource"] for e in bundle["entry"]])
    return found


@pytest.fixture
def fhir_canary(tmp_path: Path, example_text: str) -> Path:
    path = tmp_path / "supervision-case.yaml"
    path.write_text(fhir_canary_plan(example_text), encoding="utf-8")
    return path


@pytest.mark.parametrize("shift", [False, True])
def test_no_canary_reaches_the_fhir_export(run: Run, work: Path, fhir_canary: Path, shift: bool) -> None:
    """No canary in the bundle's JSON nor in any attached document (decoded from base64); the
    people carry no identifier, contact or address; the bundle is tagged, loads in fhirclient's
    strict R4 models and passes txplan's own checks; the command says to review it."""
    import base64
    import copy

    from fhirclient.models import fhirelementfactory
    from fhirclient.models.bundle import Bundle

    from txplan.fhir import systems
    from txplan.fhir.uscore import bundle_problems

    bundle, text, result = exported_json(run, fhir_canary, "--deidentify", *(["--shift-dates"] if shift else []))
    attachments = [base64.b64decode(c["attachment"]["data"]) for e in bundle["entry"] for c in e["resource"].get("content", [])]
    assert len(attachments) == 2
    readable = [text, *(readable_text(a) for a in attachments)]
    for value in CANARIES:
        assert all(value not in part for part in readable), value
    assert all("De-identified for supervision" in readable_text(a) for a in attachments)
    assert "de-identified for supervision — review before sharing" in result.err
    resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    patient, practitioner, practice = resources["Patient"], resources["Practitioner"], resources["Organization"]
    assert patient["name"] == [{"text": "Client"}] and "identifier" not in patient and "meta" not in patient
    assert "birthDate" not in patient  # born 1931: an age over 89 keeps not even the year
    assert practitioner["name"] == [{"text": "Clinician"}] and "identifier" not in practitioner and "meta" not in practitioner
    assert not {"identifier", "telecom", "address"} & set(practice) and practice["meta"]["profile"] == [systems.PROFILES["Organization"]]
    mode = "shifted-dates" if shift else "year-dates"
    assert {"system": systems.TXPLAN_DEIDENTIFIED, "code": mode, "display": "De-identified for supervision - review before sharing"} in bundle["meta"]["tag"]
    assert bundle_problems(bundle) == []
    Bundle(copy.deepcopy(bundle), strict=True)
    for entry in bundle["entry"]:
        fhirelementfactory.FHIRElementFactory.instantiate(entry["resource"]["resourceType"], copy.deepcopy(entry["resource"]))


def test_fhir_export_dates_become_years(run: Run, work: Path, example_path: Path) -> None:
    """Every date in the de-identified bundle is a year (FHIR allows ``YYYY`` for date and
    dateTime); a young client's year of birth is kept; no full date is left anywhere."""
    bundle, text, _ = exported_json(run, example_path, "--deidentify")
    dates = fhir_dates(bundle)
    assert len(dates) > 10 and all(re.fullmatch(r"\d{4}", d) for d in dates), dates
    assert "1991" in dates
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    identified, _, _ = exported_json(run, example_path)
    assert [d[:4] for d in fhir_dates(identified)] == dates


def test_fhir_ids_are_random_for_each_run_and_never_the_identified_ones(run: Run, work: Path, example_path: Path) -> None:
    """Ids come from a salt drawn for each run: two de-identified exports share no id, and none
    is an id of the identified export (which is derived from the client's identity)."""

    def ids(bundle: dict[str, Any]) -> set[str]:
        return {bundle["id"], *(e["resource"]["id"] for e in bundle["entry"])}

    first, _, _ = exported_json(run, example_path, "--deidentify")
    second, _, _ = exported_json(run, example_path, "--deidentify")
    identified, _, _ = exported_json(run, example_path)
    assert len(ids(first)) == len(first["entry"]) + 1
    assert not ids(first) & ids(second) and not ids(first) & ids(identified)
    # The references still resolve inside each bundle.
    from txplan.fhir.uscore import bundle_problems

    assert bundle_problems(first) == bundle_problems(second) == []


def test_fhir_shifted_dates_keep_every_interval(example_path: Path) -> None:
    """With a shift, every date in the bundle is the plan's date plus the run's one offset; the
    Python function takes the same :class:`Deidentify` as rendering does."""
    from txplan.fhir.export import plan_bundle

    engine = txplan.Engine()
    plan = engine.load(example_path)
    as_of = dt.date.fromisoformat(FHIR_AS_OF)
    before = fhir_dates(plan_bundle(engine, plan, as_of=as_of))
    after = fhir_dates(plan_bundle(engine, plan, as_of=as_of, deidentify=Deidentify(shift_days=40)))
    assert len(before) == len(after) > 10
    assert {(dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days for a, b in zip(after, before, strict=True)} == {40}
    # The status judged from the real dates is the same as in the identified bundle.
    years = plan_bundle(engine, plan, as_of=as_of, deidentify=True)
    identified = plan_bundle(engine, plan, as_of=as_of)
    status = [(e["resource"].get("lifecycleStatus"), e["resource"].get("achievementStatus")) for e in years["entry"]]
    assert status == [(e["resource"].get("lifecycleStatus"), e["resource"].get("achievementStatus")) for e in identified["entry"]]


def test_fhir_export_warnings_name_the_field_and_line_never_the_value(run: Run, work: Path, fhir_canary: Path, tmp_path: Path) -> None:
    """What the scrubber cannot decide in the bundle's text (a goal's statement) is reported on
    standard error by file, line and field, never by value."""
    text = fhir_canary.read_text(encoding="utf-8").replace("I want to stop panicking", "Since Bellamy Quarry with Hortensia I want to stop panicking")
    plan = tmp_path / "case.yaml"
    plan.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "Bellamy" in row)
    result = run("export", plan, "--to", "fhir", "--deidentify", "-o", work / "out.json")
    assert result.code == 0, result.err
    assert f"case.yaml:{line}: warning: goals[0].statement: de-identification:" in result.err
    assert result.out == f"wrote {work / 'out.json'} (de-identified for supervision — review before sharing)\n"
    written = (work / "out.json").read_text(encoding="utf-8")
    for value in (*CANARIES, "Bellamy", "Hortensia"):
        assert value not in result.err and value not in result.out
    assert "Hortensia" not in result.err and "Traceback" not in result.err and "Zelda" not in written


def test_fhir_shift_dates_needs_deidentify(run: Run, work: Path, example_path: Path) -> None:
    result = run("export", example_path, "--to", "fhir", "--shift-dates", "-o", work / "out.json")
    assert result.code == 2 and "--deidentify" in result.err and result.out == ""
    assert list(work.iterdir()) == []


def test_the_fhir_checks_refuse_an_identifier_in_a_deidentified_bundle(run: Run, work: Path, example_path: Path) -> None:
    """txplan's own checks, which skip the US Core Patient requirements in a de-identified
    bundle, do find an identifier, a contact or a full birth date left in it."""
    import copy

    from txplan.fhir.uscore import bundle_problems

    bundle, _, _ = exported_json(run, example_path, "--deidentify")
    broken = copy.deepcopy(bundle)
    patient = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["identifier"] = [{"system": "urn:x", "value": "1"}]
    patient["birthDate"] = "1991-04-17"
    practice = next(e["resource"] for e in broken["entry"] if e["resource"]["resourceType"] == "Organization")
    practice["telecom"] = [{"system": "phone", "value": "1"}]
    problems = bundle_problems(broken)
    assert any("Patient: a de-identified Patient carries identifier" in p for p in problems)
    assert any("birthDate is a year at most" in p for p in problems)
    assert any("Organization: a de-identified Organization carries telecom" in p for p in problems)
