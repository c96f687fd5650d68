"""The real-client test: LibreOffice opens the example plan's DOCX and turns it into a PDF that
holds every section, the client's name with its accent and the practice's '&', and a signature
block on one page. Skipped where LibreOffice is missing, except in CI (CI set), where it fails."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import txplan

TOOLS = ("soffice", "pdftotext", "pdfinfo")


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plan rendered to DOCX by txplan, then converted to PDF by LibreOffice."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not installed (Debian: libreoffice-writer-nogui, poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-client test: {message}")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("libreoffice")
    source = folder / "attachment-plan.docx"
    from importlib import resources

    plan = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))
    source.write_bytes(txplan.render_plan(plan, "docx"))
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
         "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    pdf = folder / "attachment-plan.pdf"
    # LibreOffice exits 0 even when it could not load the file: the PDF itself is the proof.
    assert pdf.is_file(), "LibreOffice produced no PDF"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    return pdf


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The text of the PDF, or of one page."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def page_count(pdf: Path) -> int:
    """The number of pages pdfinfo reports."""
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_every_section_and_the_client_survive_libreoffice(example_pdf: Path) -> None:
    """The PDF holds each heading, the client's accented name, the practice's '&', the signature block."""
    text = " ".join(pdf_text(example_pdf).split())
    for expected in ("Treatment Plan", "Client information", "Presenting issues", "Strengths and resources",
                     "Diagnoses (ICD-10-CM)", "Assessments", "Goals and objectives", "Interventions",
                     "Type, amount, frequency and duration of therapy", "Progress monitoring", "Review and discharge",
                     "Signatures", "Amélie Durand-Okafor", "Harbour & Vine Counselling", "Client signature",
                     "Clinician signature", "PhD, Licensed Psychologist", "Confidential health information"):
        assert expected in text, expected


def test_page_count_is_sensible_and_pages_are_numbered(example_pdf: Path) -> None:
    """A plan of this size fills a few pages (two more with its three score charts), each with
    'Page N of M' in the footer."""
    pages = page_count(example_pdf)
    assert 3 <= pages <= 10
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in pdf_text(example_pdf, page)


def test_signature_block_is_on_one_page(example_pdf: Path) -> None:
    """The client's and the clinician's signature lines are never split across pages."""
    pages = [pdf_text(example_pdf, n) for n in range(1, page_count(example_pdf) + 1)]
    with_client = [n for n, text in enumerate(pages) if "Client signature" in text]
    with_clinician = [n for n, text in enumerate(pages) if "Clinician signature" in text]
    assert with_client == with_clinician and len(with_client) == 1


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("harbour-group", ["Individualized Treatment Plan", "Harbour & Vine Counselling Group", "Medical necessity", "Attestation and signatures"]),
        ("es", ["Plan de tratamiento", "Datos del cliente", "Metas y objetivos", "Firma del cliente", "Página 1 de"]),
    ],
)
def test_example_packs_open_in_libreoffice(pack: str, expected: list[str], example_pdf: Path) -> None:
    """The example practice packs' Word documents convert in LibreOffice with their own headings."""
    folder = example_pdf.parent
    from importlib import resources

    plan = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))
    source = folder / f"{pack}.docx"
    source.write_bytes(txplan.render_plan(plan, "docx", pack=pack))
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
         "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    pdf = folder / f"{pack}.pdf"
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"
    text = " ".join(pdf_text(pdf).split())
    for phrase in expected:
        assert phrase in text, phrase
