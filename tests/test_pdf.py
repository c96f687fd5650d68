"""PDF output (``-f pdf``, ``--pdf-a``): the real LibreOffice makes the PDF, poppler reads it back;
fake ``soffice`` programs stand in for a LibreOffice that is missing, hangs or makes no file.

The real-LibreOffice tests are skipped where LibreOffice or poppler is missing, except in CI (CI
set), where they fail. The hostile tests need only a POSIX shell."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.errors import OutputError

Run = Callable[..., Any]
TOOLS = ("soffice", "pdftotext", "pdfinfo")
SECTION_HEADINGS = (
    "Client information", "Presenting issues", "Strengths and resources", "Diagnoses (ICD-10-CM)", "Medical necessity",
    "Assessments", "Goals and objectives", "Interventions", "Type, amount, frequency and duration of therapy",
    "Progress monitoring", "Review and discharge", "Signatures",
)


def need_real_tools() -> None:
    """Skip (fail in CI) where LibreOffice or poppler is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian: libreoffice-writer-nogui, poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PDF tests: {message}")
        pytest.skip(message)


@pytest.fixture
def work(work_folder: Path) -> Path:
    """An empty current folder for the command to write into."""
    return work_folder


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder`` (temporary files included), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text, or one page's, as poppler's pdftotext reads it."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(pdf: Path, *options: str) -> str:
    """What pdfinfo says about the PDF."""
    return subprocess.run(["pdfinfo", *options, str(pdf)], check=True, capture_output=True, text=True).stdout


def page_count(pdf: Path) -> int:
    """The number of pages pdfinfo reports."""
    return int(next(line.split()[-1] for line in pdf_info(pdf).splitlines() if line.startswith("Pages:")))


def fake_soffice(folder: Path, script: str) -> Path:
    """A folder holding a program named ``soffice`` that runs ``script`` (POSIX shell); put it
    alone on PATH to stand in for LibreOffice."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "soffice"
    program.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return folder


# -- the real LibreOffice ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan rendered with ``txplan render -f pdf``."""
    need_real_tools()
    from importlib import resources

    from txplan.cli import main

    plan = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))
    folder = tmp_path_factory.mktemp("pdf")
    assert main(["render", str(plan), "-f", "pdf", "-o", str(folder / "plan.pdf")]) == 0
    return folder / "plan.pdf"


def test_pdf_holds_the_letterhead_every_section_and_the_client_in_every_footer(example_pdf: Path) -> None:
    """Poppler reads back the letterhead, each section's heading and text, and on every page the
    footer with the client's name and 'Page N of M'."""
    assert example_pdf.read_bytes().startswith(b"%PDF-")
    assert stat.S_IMODE(example_pdf.stat().st_mode) == 0o600
    text = " ".join(pdf_text(example_pdf).split())
    for expected in (*SECTION_HEADINGS, "Harbour & Vine Counselling", "214 Alder Street", "Treatment Plan",
                     "Fear of abandonment", "F43.23", "Client signature", "Clinician signature"):
        assert expected in text, expected
    pages = page_count(example_pdf)
    assert 3 <= pages <= 10
    for page in range(1, pages + 1):
        footer = " ".join(pdf_text(example_pdf, page).split()[-40:])
        assert "Amélie Durand-Okafor" in footer and f"Page {page} of {pages}" in footer, page
    first = " ".join(pdf_text(example_pdf, 1).split()[:40])
    assert "Harbour & Vine Counselling" in first  # the letterhead at the top of the first page


def test_every_sections_text_is_in_the_pdf(example_pdf: Path, example_path: Path) -> None:
    """For every section the document has (the letterhead is the page header), its heading and
    the start of its longest paragraph or table cell are in the PDF's text."""
    engine = txplan.Engine(None)
    document = engine.render_document(engine.load(example_path))
    text = " ".join(pdf_text(example_pdf).split())
    checked = 0
    for section in document.sections:
        if section.name == "letterhead":
            continue
        pieces = [re.sub(r"[*_`\\]|^#+\s*|^[-\d.]+\s+|^>\s*", "", part).strip()
                  for line in section.markdown.splitlines() for part in line.split("|") if not line.startswith(":::")]
        pieces = [p for p in pieces if p and not set(p) <= set("-: ")]
        longest = max(pieces, key=len)
        start = " ".join(longest.split()[:6])
        assert start in text, (section.name, start)
        checked += 1
    assert checked >= 10


def test_pdf_is_tagged_for_screen_readers(example_pdf: Path) -> None:
    """The PDF carries a structure tree (headings, tables) for assistive technology."""
    assert "Tagged:          yes" in pdf_info(example_pdf)


def test_pdf_a_is_pdf_a_2b(run: Run, work: Path, example_path: Path) -> None:
    """``--pdf-a`` writes a tagged PDF whose XMP metadata declares PDF/A-2b."""
    need_real_tools()
    result = run("render", example_path, "-f", "pdf", "--pdf-a", "-o", "archive.pdf")
    assert result.code == 0, result.err
    metadata = pdf_info(work / "archive.pdf", "-meta")
    assert "<pdfaid:part>2</pdfaid:part>" in metadata and "<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    assert "Tagged:          yes" in pdf_info(work / "archive.pdf")
    plain = run("render", example_path, "-f", "pdf", "-o", "plain.pdf")
    assert plain.code == 0 and "pdfaid:part" not in pdf_info(work / "plain.pdf", "-meta")


def test_a_batch_converts_every_plan_in_one_libreoffice_call(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three plans in PDF and Word: one LibreOffice start converts all three, and each PDF is its
    own plan's (the client's name differs)."""
    need_real_tools()
    real = shutil.which("soffice")
    log = tmp_path / "calls.log"
    bin_folder = fake_soffice(tmp_path / "bin", f'echo call >> "{log}"\nexec "{real}" "$@"\n')
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    text = example_path.read_text(encoding="utf-8")
    plans = []
    for name in ("Ana Quill", "Ben Roe", "Cy Sato"):
        plans.append(work / f"{name.split()[0].lower()}.yaml")
        plans[-1].write_text(text.replace("Amélie Durand-Okafor", name), encoding="utf-8")
    result = run("render", *plans, "-f", "pdf,docx", "-o", "out/")
    assert result.code == 0, result.err
    assert log.read_text().count("call") == 1
    for plan, name in zip(plans, ("Ana Quill", "Ben Roe", "Cy Sato"), strict=True):
        assert name in " ".join(pdf_text(work / "out" / f"{plan.stem}.pdf").split())
        assert (work / "out" / f"{plan.stem}.docx").is_file()


def test_the_pdf_formats_pass_the_conformance_kit() -> None:
    """txplan.testing.assert_output_format_conforms accepts both PDF formats (their bytes carry a time, so
    the kit checks the conversion instead of comparing bytes)."""
    need_real_tools()
    from txplan.plugin_host import PluginHost
    from txplan.testing import assert_output_format_conforms

    host = PluginHost(load_entrypoints=False)
    for name in ("pdf", "pdf-a"):
        assert_output_format_conforms(host.output_formats[name])


def test_the_api_renders_pdf_in_several_threads_at_once(example_path: Path) -> None:
    """``txplan.render_plan(plan, "pdf")`` returns the PDF's bytes, also from three threads at
    once: each conversion has its own LibreOffice profile, so none hands its work to another
    LibreOffice and comes back empty."""
    need_real_tools()
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(lambda _: txplan.render_plan(example_path, "pdf"), range(3)))
    assert all(pdf.startswith(b"%PDF-") and len(pdf) > 10_000 for pdf in pdfs)


# -- hostile: missing, hanging, silent converters ---------------------------------------------


def test_missing_libreoffice_fails_before_anything_is_written(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without LibreOffice on PATH, ``-f docx,pdf`` writes nothing (not even the Word file),
    exits 4 and says what to install on Debian/Ubuntu, macOS and Windows."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    (work / "plan.docx").write_bytes(b"kept")
    result = run("render", example_path, "-f", "docx,pdf", "-o", "./")
    assert result.code == 4
    for words in ("LibreOffice", "libreoffice-writer-nogui", "brew install --cask libreoffice", "winget install TheDocumentFoundation.LibreOffice"):
        assert words in result.err, words
    assert "Traceback" not in result.err
    assert files_in(work) == ["plan.docx"] and (work / "plan.docx").read_bytes() == b"kept"
    with pytest.raises(OutputError, match="libreoffice-writer-nogui"):
        txplan.render_plan(example_path, "pdf")


def test_a_hanging_libreoffice_is_killed_at_the_time_limit(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A LibreOffice that never ends is killed with every process it started when
    ``$TXPLAN_PDF_SECONDS`` runs out: exit 4, a clear message, no file, no temporary file."""
    pids = tmp_path / "pids"
    bin_folder = fake_soffice(tmp_path / "bin", f'/bin/sleep 300 &\necho $! > "{pids}"\n/bin/sleep 300\n')
    monkeypatch.setenv("PATH", str(bin_folder))
    monkeypatch.setenv("TXPLAN_PDF_SECONDS", "1")
    started = time.monotonic()
    result = run("render", example_path, "-f", "pdf", "-o", "plan.pdf")
    assert time.monotonic() - started < 60  # killed at the limit, not left to run its 300 seconds
    assert result.code == 4
    assert "did not finish converting to PDF within its time limit" in result.err and "TXPLAN_PDF_SECONDS" in result.err
    assert files_in(work) == []
    child = int(pids.read_text())
    for _ in range(50):  # the kill is sent before render returns; the child may take a moment to go
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child), "LibreOffice's child process was left running"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ")[-1][:1] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_a_converter_that_makes_no_file_writes_nothing(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """LibreOffice exits 0 without a PDF (as it does for a file it cannot load): exit 4, the
    output named, nothing written, not even the plan's other formats."""
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", "exit 0\n")))
    result = run("render", example_path, "-f", "pdf,docx", "-o", "out/")
    assert result.code == 4
    assert "the converter produced no file" in result.err and "1 of 1 plans could not be converted" in result.err
    assert files_in(work) == []
    with pytest.raises(OutputError, match="without producing a PDF"):
        txplan.render_plan(example_path, "pdf")


def test_a_batch_writes_the_plans_whose_pdf_was_made(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a batch, a plan whose PDF the converter did not make is not written (all or nothing),
    the others are, and the exit code is 4."""
    script = (
        'out=""; prev=""\nfor a in "$@"; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        '/bin/mkdir -p "$out"\nprintf "%%PDF-1.4 fake" > "$out/document-00001.pdf"\n'
    )
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", script)))
    first, second = work / "first.yaml", work / "second.yaml"
    shutil.copy(example_path, first)
    shutil.copy(example_path, second)
    result = run("render", first, second, "-f", "pdf,docx", "-o", "out/")
    assert result.code == 4
    assert files_in(work / "out") == ["first.docx", "first.pdf"]
    assert "second.yaml" in result.err and "1 of 2 plans could not be converted" in result.err


def test_parallel_workers_hand_their_documents_to_one_conversion(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``--jobs``, workers render the Word documents and the main process converts them all
    in one call: every plan gets its PDF, and the converter was started once."""
    log = tmp_path / "calls.log"
    script = (
        f'echo call >> "{log}"\nout=""; prev=""\nfor a in "$@"; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        '/bin/mkdir -p "$out"\nfor a in "$@"; do case "$a" in *.docx) n="${a##*/}"; printf "%%PDF-1.4 fake" > "$out/${n%.docx}.pdf";; esac; done\n'
    )
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", script)))
    names = [f"plan-{n}" for n in range(5)]
    for name in names:
        shutil.copy(example_path, work / f"{name}.yaml")
    result = run("render", *(f"{name}.yaml" for name in names), "-f", "pdf", "--jobs", "2", "-o", "out/")
    assert result.code == 0, result.err
    assert files_in(work / "out") == sorted(f"{name}.pdf" for name in names)
    assert log.read_text().count("call") == 1


def test_sigterm_during_conversion_stops_libreoffice_and_writes_nothing(work: Path, example_path: Path, tmp_path: Path) -> None:
    """SIGTERM while LibreOffice converts (a stopped service, a closed terminal): txplan exits
    143, LibreOffice and its children are killed, no output and no conversion folder is left."""
    import signal
    import sys

    pids = tmp_path / "pids"
    bin_folder = fake_soffice(tmp_path / "bin", f'/bin/sleep 300 &\necho $! > "{pids}"\n/bin/sleep 300\n')
    temp = tmp_path / "temp"
    temp.mkdir()
    environment = {**os.environ, "PATH": str(bin_folder), "TMPDIR": str(temp), "TXPLAN_LOAD_PLUGINS": ""}
    process = subprocess.Popen([sys.executable, "-m", "txplan.cli", "render", str(example_path), "-f", "pdf", "-o", "plan.pdf"],
                               env=environment, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not pids.exists() or not pids.read_text().strip():
        assert time.monotonic() < deadline and process.poll() is None, "LibreOffice was never started"
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert b"terminated" in err and b"Traceback" not in err
    assert files_in(work) == [] and list(temp.iterdir()) == []
    child = int(pids.read_text())
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child), "LibreOffice's child process was left running"


def test_a_killed_runs_conversion_folder_is_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A conversion folder (Word copies of plans) left by a txplan killed outright is removed by
    the next conversion once its process is gone; a live process's folder and others are kept."""
    import sys
    import tempfile

    from txplan.output import temp_prefix
    from txplan.plugins.formats.libreoffice import WORK_TAG, sweep_stale_work

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)
    stale = tmp_path / f"{temp_prefix(int(ended.stdout))}{WORK_TAG}abc123"
    live = tmp_path / f"{temp_prefix()}{WORK_TAG}def456"
    other = tmp_path / "someone-elses-folder"
    for folder in (stale, live, other):
        (folder / "profile").mkdir(parents=True)
        (folder / "document-00001.docx").write_bytes(b"plan")
    sweep_stale_work()
    assert not stale.exists() and live.exists() and other.exists()


@pytest.mark.parametrize("setting", ["0", "-3", "soon", "nan", "inf"])
def test_a_bad_time_limit_is_a_usage_error(run: Run, work: Path, example_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    """``$TXPLAN_PDF_SECONDS`` must be a number of seconds above 0: a limit that switched itself
    off would be no limit."""
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", "exit 0\n")))
    monkeypatch.setenv("TXPLAN_PDF_SECONDS", setting)
    result = run("render", example_path, "-f", "pdf", "-o", "plan.pdf")
    assert result.code == 2 and "TXPLAN_PDF_SECONDS" in result.err
    assert files_in(work) == []


def test_pdf_a_needs_pdf_output(run: Run, work: Path, example_path: Path) -> None:
    """``--pdf-a`` without PDF among the formats is a usage error, not silently ignored."""
    result = run("render", example_path, "-f", "docx", "--pdf-a")
    assert result.code == 2 and "--pdf-a" in result.err
    assert files_in(work) == []


def test_pdf_formats_are_listed(run: Run) -> None:
    """``txplan plugins`` lists the pdf and pdf-a formats."""
    result = run("plugins")
    assert "output format: pdf, pdf-a" in result.out
