"""Template packs for practices: the example packs, `txplan pack list|new|check`, practice
identity and logo, and requirements a pack adds to plans."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest

import txplan

Run = Callable[..., Any]


def test_pack_list_shows_each_pack_and_its_origin(run: Run) -> None:
    """`txplan pack list` names the default and example packs, where each comes from and what it extends."""
    result = run("pack", "list")
    assert result.code == 0
    assert "default (built-in): " in result.out
    assert "harbour-group (built-in, extends default): Example: a group practice's paperwork" in result.out
    assert "es (built-in, extends default): Example: the plan in Spanish" in result.out


def test_pack_new_renders_at_once(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A scaffolded pack passes `pack check`, renders, and `pack new` never writes over a folder in use."""
    folder = tmp_path / "acme"
    result = run("pack", "new", "acme", "-o", folder)
    assert result.code == 0 and f"wrote {folder / 'pack.yaml'}" in result.out
    assert "# The pack this one builds on." in (folder / "pack.yaml").read_text(encoding="utf-8")
    assert run("pack", "check", folder).code == 0
    assert txplan.render_plan(example_path, "docx", pack=str(folder))[:2] == b"PK"
    again = run("pack", "new", "acme", "-o", folder)
    assert again.code == 4 and "already exists and is not empty" in again.err


def test_pack_check_reports_every_problem_at_once(run: Run, tmp_path: Path) -> None:
    """Syntax errors in two templates, a template using what plans lack, a non-image, a reference
    document without styles: all listed, exit 3."""
    pack = tmp_path / "broken"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: broken\nversion: '1'\nsections: [one, two]\n", encoding="utf-8")
    (pack / "templates" / "one.md.j2").write_text("ok\n{{ plan.client.name \n", encoding="utf-8")
    (pack / "templates" / "two.md.j2").write_text("{% for x in plan.goals %}\n", encoding="utf-8")
    (pack / "logo.png").write_bytes(b"GIF89a not really a png")
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "pack 'broken' template one.md.j2:" in result.err and "pack 'broken' template two.md.j2:" in result.err
    assert f"{pack / 'logo.png'}: is not a PNG or JPEG image" in result.err
    (pack / "templates" / "one.md.j2").write_text("{{ plan.client.nmae }}\n", encoding="utf-8")
    (pack / "templates" / "two.md.j2").write_text("{{ plan.goal }}\n", encoding="utf-8")
    (pack / "logo.png").unlink()
    with zipfile.ZipFile(pack / "reference.docx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "pack 'broken' template one.md.j2:1: 'dict object' has no attribute 'nmae'" in result.err
    assert "pack 'broken' template two.md.j2:1: 'dict object' has no attribute 'goal'" in result.err
    assert "is not a Word document" in result.err


def test_pack_check_goes_on_after_a_bad_manifest(run: Run, tmp_path: Path) -> None:
    """An invalid pack.yaml is reported together with template syntax errors."""
    pack = tmp_path / "half"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: half\nversion: '1'\ncolour: red\n", encoding="utf-8")
    (pack / "templates" / "x.md.j2").write_text("{% if %}\n", encoding="utf-8")
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "Additional properties are not allowed ('colour' was unexpected)" in result.err
    assert "pack 'half' template x.md.j2:1:" in result.err


def test_group_practice_pack(example_path: Path, example_text: str, tmp_path: Path) -> None:
    """harbour-group: its letterhead with logo, its section order and headings, its own section."""
    content = txplan.render_plan(example_path, "docx", pack="harbour-group")
    document = docx.Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == ["Identifying information", "Diagnostic impressions (ICD-10-CM)", "Medical necessity", "Presenting problems"]
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == ["Individualized Treatment Plan"]
    header = document.sections[0].header
    assert [p.text for p in header.paragraphs][1:] == ["Harbour & Vine Counselling Group", "214 Alder Street, Suite 3 · Portland, OR 97204",
                                                       "Phone (503) 555-0142 · Fax (503) 555-0143 · E-mail office@harbourandvine.example"]
    assert header.paragraphs[0]._p.xpath(".//pic:pic")  # the logo
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert any(name.startswith("word/media/") for name in archive.namelist())
    markdown = txplan.render_plan(example_path, "md", pack="harbour-group").decode()
    assert markdown.startswith("**Harbour & Vine Counselling Group**")
    assert "::: note\nPsychotherapy is medically necessary" in markdown


def test_group_practice_requirements_join_validation(example_text: str, tmp_path: Path, run: Run) -> None:
    """Its insurer overlay makes the NPI, a diagnosis and signatures required."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace('  npi: "1234567893"\n', "").replace("diagnoses:\n  - code: F43.23\n    description: Adjustment disorder with mixed anxiety and depressed mood\n    primary: true\n", "diagnoses: []\n"), encoding="utf-8")
    result = run("validate", plan, "--pack", "harbour-group")
    assert result.code == 2
    assert "clinician.npi: required field is missing" in result.err and "diagnoses: needs at least 1 item" in result.err
    assert run("validate", plan).code == 0
    schema = run("schema", "--pack", "harbour-group")
    assert '"npi"' in schema.out and "allOf" in schema.out


SPANISH_HEADINGS = ["Datos del cliente", "Motivos de consulta", "Fortalezas y recursos", "Diagnósticos (CIE-10-MC)", "Evaluaciones",
                    "Metas y objetivos", "Intervenciones", "Tipo, cantidad, frecuencia y duración de la terapia", "Seguimiento del progreso",
                    "Revisión y alta", "Firmas"]


def test_spanish_pack_carries_the_whole_document(example_path: Path) -> None:
    """es: every heading and fixed phrase in Spanish, in Markdown and in Word (header and footer too)."""
    document = docx.Document(io.BytesIO(txplan.render_plan(example_path, "docx", pack="es")))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == SPANISH_HEADINGS
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == ["Plan de tratamiento"]
    footer = [p.text for p in document.sections[0].footer.paragraphs]
    assert "Fecha de nacimiento 1991-04-17\tPágina" in footer[0] and footer[1] == "Información de salud confidencial"
    markdown = txplan.render_plan(example_path, "md", pack="es").decode()
    assert "- **Vigencia del plan:** del 2026-09-14 al 2027-03-14" in markdown
    assert "| Objetivo | Criterio de logro | Línea base | Fecha meta | Estado |" in markdown
    assert "El cliente participó en la elaboración de este plan" in markdown
    for english in ("Treatment Plan", "Goals and objectives", "Client signature", "Date of birth"):
        assert english not in markdown, english


def test_logo_must_be_png_or_jpeg(tmp_path: Path, example_path: Path) -> None:
    """A logo that is not a PNG or JPEG stops the Word render with a pack error."""
    pack = tmp_path / "p"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: p\nversion: '1'\npractice:\n  logo: logo.png\n", encoding="utf-8")
    (pack / "logo.png").write_bytes(b"BM not an image")
    with pytest.raises(txplan.PackError, match="logo 'logo.png' is not a PNG or JPEG image"):
        txplan.render_plan(example_path, "docx", pack=str(pack))
