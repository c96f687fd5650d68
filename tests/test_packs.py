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
    """One broken pack with a fault of each kind planted: every one is reported in a single run, exit 3."""
    pack = tmp_path / "broken"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: broken\nversion: '1'\nsections: [one, two, three, four]\nlibraries: [lib.yaml]\n", encoding="utf-8")
    (pack / "templates" / "one.md.j2").write_text("ok\n{{ plan.client.name \n", encoding="utf-8")  # syntax error
    (pack / "templates" / "two.md.j2").write_text("{{ plan.goal }}\n", encoding="utf-8")  # a field plans do not have
    (pack / "templates" / "three.md.j2").write_text("{{ cycler.__init__.__globals__ }}\n", encoding="utf-8")  # sandbox escape
    (pack / "logo.gif").write_bytes(b"GIF89a not allowed")  # not PNG/JPEG
    (pack / "lib.yaml").write_text("namespace: Bad\nname: x\nentries: []\n", encoding="utf-8")  # library off its schema
    with zipfile.ZipFile(pack / "reference.docx", "w") as archive:  # not a Word document
        archive.writestr("[Content_Types].xml", "<Types/>")
    result = run("pack", "check", pack)
    assert result.code == 3
    for planted in (
        "pack 'broken' template one.md.j2:2: unexpected end of template",
        "pack 'broken' template two.md.j2:1: 'dict object' has no attribute 'goal'",
        "access to attribute '__init__' of 'type' object is unsafe",
        f"{pack / 'logo.gif'}: is not a PNG or JPEG image",
        "namespace: 'Bad' does not match",
        "lists section 'four' but has no templates/four.md.j2",
        "is not a Word document",
    ):
        assert planted in result.err, planted


def test_editing_a_new_pack_changes_the_output(run: Run, tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pack new acme`, then render with `--pack acme`; editing its template or its reference document changes the document."""
    monkeypatch.chdir(tmp_path)
    assert run("pack", "new", "acme").code == 0
    assert run("render", example_path, "--pack", "acme", "-f", "docx", "-o", "first.docx").code == 0
    (tmp_path / "acme" / "templates" / "signatures.md.j2").write_text("## Signed by us\n", encoding="utf-8")
    assert run("render", example_path, "--pack", "acme", "-f", "docx", "-o", "second.docx").code == 0
    second = docx.Document(str(tmp_path / "second.docx"))
    assert "Signed by us" in [p.text for p in second.paragraphs]
    reference = tmp_path / "acme" / "reference.docx"
    with zipfile.ZipFile(reference) as source:
        parts = {n: source.read(n) for n in source.namelist()}
    parts["word/styles.xml"] = parts["word/styles.xml"].replace(b'w:color w:val="1F4E5F"', b'w:color w:val="8B0000"')
    with zipfile.ZipFile(reference, "w") as target:
        for n, data in parts.items():
            target.writestr(n, data)
    assert run("render", example_path, "--pack", "acme", "-f", "docx", "-o", "third.docx").code == 0
    with zipfile.ZipFile(tmp_path / "third.docx") as third:
        assert b"8B0000" in third.read("word/styles.xml")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ ''.__class__.__mro__ }}", "is unsafe"),
        ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "took longer than 0.5 s"),
        ("{% for a in range(100) %}{% for b in range(100000) %}{{ 'word ' * 100 }}{% endfor %}{% endfor %}", "renders more than 5,000,000 characters"),
        (None, "symbolic links are not allowed"),
    ],
    ids=["sandbox", "endless-loop", "huge-output", "symlink"],
)
def test_hostile_pack_fails_fast_and_writes_nothing(template: str | None, expected: str, run: Run, tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each hostile pack ends in exit 3 with a message naming the template, and no output file."""
    monkeypatch.setenv("TXPLAN_RENDER_SECONDS", "0.5")
    monkeypatch.chdir(tmp_path)
    pack = tmp_path / "hostile"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: hostile\nversion: '1'\nsections: [evil]\n", encoding="utf-8")
    if template is None:
        (tmp_path / "secret.txt").write_text("ZZSECRET", encoding="utf-8")
        (pack / "templates" / "evil.md.j2").symlink_to(tmp_path / "secret.txt")
    else:
        (pack / "templates" / "evil.md.j2").write_text(template, encoding="utf-8")
    result = run("render", example_path, "--pack", pack, "-f", "docx,md", "-o", "out/")
    assert result.code == 3 and expected in result.err and "evil.md.j2" in result.err
    assert "Traceback" not in result.err and "ZZSECRET" not in result.err
    assert not (tmp_path / "out").exists()


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
    assert "## Medical necessity\n\n::: note\n**Diagnosis:** F43.23" in markdown


def test_group_practice_requirements_join_validation(example_text: str, tmp_path: Path, run: Run) -> None:
    """Its insurer overlay makes the NPI, a diagnosis and signatures required."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace('  npi: "1234567893"\n', "").replace("diagnoses:\n  - code: F43.23\n    description: Adjustment disorder with mixed anxiety and depressed mood, following her partner's move abroad (June 2026)\n    primary: true\n", "diagnoses: []\n"), encoding="utf-8")
    result = run("validate", plan, "--pack", "harbour-group")
    assert result.code == 2
    assert "clinician.npi: required field is missing" in result.err and "diagnoses: needs at least 1 item" in result.err
    assert run("validate", plan).code == 0
    schema = run("schema", "--pack", "harbour-group")
    assert '"npi"' in schema.out and "allOf" in schema.out


SPANISH_HEADINGS = ["Datos del cliente", "Motivos de consulta", "Fortalezas y recursos", "Diagnósticos (CIE-10-MC)", "Necesidad médica",
                    "Evaluaciones", "Metas y objetivos", "Intervenciones", "Tipo, cantidad, frecuencia y duración de la terapia",
                    "Seguimiento del progreso", "Revisión y alta", "Revisiones del plan", "Firmas"]


def test_spanish_pack_carries_the_whole_document(example_path: Path) -> None:
    """es: every heading and fixed phrase in Spanish, in Markdown and in Word (header and footer too)."""
    document = docx.Document(io.BytesIO(txplan.render_plan(example_path, "docx", pack="es")))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == SPANISH_HEADINGS
    assert [p.text for p in document.paragraphs if p.style.name == "Title"] == ["Plan de tratamiento"]
    footer = [p.text for p in document.sections[0].footer.paragraphs]
    assert "Fecha de nacimiento 1991-04-17\tPágina" in footer[0] and footer[1] == "Información de salud confidencial"
    markdown = txplan.render_plan(example_path, "md", pack="es").decode()
    assert "- **Vigencia del plan:** del 2026-09-14 al 2027-03-14" in markdown
    assert "| Objetivo | Criterio de logro | Línea base | Fecha meta | Estado (a fecha de " in markdown
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
