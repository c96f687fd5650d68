"""The reference-document contract: a pack's ``reference.docx`` supplies styles, page setup,
header and footer; its body is ignored (as pandoc's ``--reference-doc``).

A reference document comes from a practice, so it is treated as untrusted and checked before
python-docx opens it (reference/security.md §2): zip limits, no DTD in any part, no external
relationship other than hyperlinks, no field codes that reach outside, and a real Word document
(not a template, a macro document, an encrypted file or a legacy ``.doc``). Then every style
txplan writes is looked up, and every header/footer placeholder is checked, reporting all that
is wrong at once.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The styles txplan writes, by name and type (published in the README).
REQUIRED_STYLES: dict[str, str] = {
    "Title": "paragraph",
    "Heading 1": "paragraph",
    "Heading 2": "paragraph",
    "Heading 3": "paragraph",
    "Body Text": "paragraph",
    "Block Text": "paragraph",
    "List Bullet": "paragraph",
    "List Number": "paragraph",
    "Table Text": "paragraph",
    "Table Heading": "paragraph",
    "Note": "paragraph",
    "Alert": "paragraph",
    "Signature Text": "paragraph",
    "Separator": "paragraph",
    "Strong": "character",
    "Emphasis": "character",
    "Hyperlink": "character",
    "Plan Table": "table",
}

MAX_MEMBERS = 500
MAX_TOTAL_BYTES = 50_000_000
MAX_MEMBER_BYTES = 20_000_000
MAX_RATIO = 200
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
MAIN_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_OUTSIDE_FIELDS = re.compile(rb"<w:instrText[^>]*>\s*(INCLUDETEXT|INCLUDEPICTURE|LINK|DDEAUTO|DDE)\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\{(practice|client|labels)\.([a-z_]+)\}")
PLACEHOLDER_FIELDS = {
    "practice": {"name", "address", "phone", "fax", "email", "contact", "logo"},
    "client": {"name", "preferred_name", "date_of_birth", "identifier"},
}


class UnusableReference(Exception):
    """The reference document cannot be used; ``problems`` says every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Reference:
    """A checked reference document: its bytes (opened afresh for each output) and the style id
    of each style txplan writes."""

    content: bytes
    style_ids: dict[str, str]
    placeholders: frozenset[tuple[str, str]]
    #: The document as python-docx opened it; each output starts from a deep copy, which is
    #: cheaper than opening the package again.
    prototype: Any = field(default=None, compare=False, repr=False)

    def fresh_document(self) -> Any:
        """A python-docx document of the reference, to fill (never the prototype itself)."""
        return copy.deepcopy(self.prototype)


_CACHE: dict[tuple[str, int, int], Reference] = {}


def load_reference(path: Path) -> Reference:
    """Check and load ``path``, once per process (cached by path, size and modification time)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        content = path.read_bytes()
        problems = scan(path, content)
        if problems:
            raise UnusableReference(problems)
        _CACHE[key] = _open(content)
    return _CACHE[key]


def scan(path: Path, content: bytes) -> list[str]:
    """Every reason ``content`` must not be opened as a reference document (empty when safe)."""
    suffix = path.suffix.lower()
    if suffix == ".doc" or content[:4] == b"\xd0\xcf\x11\xe0":
        return ["is password-protected or a legacy Word 97-2003 (.doc) file; open it in Word, remove the password and save it as a Word Document (.docx)"]
    if suffix in (".dotx", ".dotm"):
        return ["is a Word template; open it in Word and save it as a Word Document (.docx)"]
    if suffix == ".docm":
        return ["is a macro-enabled document; save it as a Word Document (.docx) without macros"]
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return ["is not a Word document (a .docx file is a zip archive; this one is not, or it is truncated)"]
    with archive:
        infos = archive.infolist()
        problems = _check_members(infos)
        if problems:
            return problems
        names = {info.filename for info in infos}
        if "[Content_Types].xml" not in names:
            return ["is not a Word document (it has no [Content_Types].xml)"]
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                problems.extend(_check_xml(info.filename, archive.read(info)))
        if problems:
            return problems
        problems.extend(_check_content_type(archive.read("[Content_Types].xml")))
    return problems


def _check_members(infos: list[zipfile.ZipInfo]) -> list[str]:
    if len(infos) > MAX_MEMBERS:
        return [f"has {len(infos)} parts; at most {MAX_MEMBERS} are allowed"]
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        return [f"expands to {total / 1e6:,.0f} MB (limit {MAX_TOTAL_BYTES / 1e6:,.0f} MB)"]
    problems = []
    for info in infos:
        name = info.filename
        if info.flag_bits & 0x1:
            problems.append(f"part {name} is encrypted; save the document without a password")
        if name.startswith(("/", "\\")) or ".." in name.split("/"):
            problems.append(f"part name {name!r} points outside the document")
        if info.file_size > MAX_MEMBER_BYTES:
            problems.append(f"part {name} expands to {info.file_size / 1e6:,.0f} MB (limit {MAX_MEMBER_BYTES / 1e6:,.0f} MB)")
        elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1_000_000:
            problems.append(f"part {name} is compressed {info.file_size // info.compress_size}:1, which only a zip bomb needs")
    return problems


def _check_xml(name: str, data: bytes) -> list[str]:
    from lxml import etree

    if re.search(rb"<!DOCTYPE", data[:4096], re.IGNORECASE) or b"<!ENTITY" in data:
        return [f"part {name} contains a DOCTYPE/DTD, which Word documents never need (not allowed)"]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return [f"part {name} is not well-formed XML ({exc.msg})"]
    problems = []
    if name.endswith(".rels"):
        for rel in root:
            if rel.get("TargetMode") == "External" and rel.get("Type") != HYPERLINK:
                kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
                problems.append(
                    f"has an external link of type '{kind}' to {rel.get('Target')!r} ({name}); remove it "
                    "(for an attached template: Word > Developer > Document Template, clear the template)"
                )
    match = _OUTSIDE_FIELDS.search(data)
    if match:
        problems.append(f"part {name} has a {match.group(1).decode()} field, which reaches outside the document; remove it")
    return problems


def _check_content_type(types_xml: bytes) -> list[str]:
    from lxml import etree

    root = etree.fromstring(types_xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for override in root:
        if override.get("PartName") == "/word/document.xml":
            content_type = override.get("ContentType") or ""
            if content_type == MAIN_DOCUMENT:
                return []
            if "template" in content_type:
                return ["is a Word template (.dotx); open it in Word and save it as a Word Document (.docx)"]
            if "macroEnabled" in content_type:
                return ["is a macro-enabled document (.docm); save it as a Word Document (.docx)"]
            return [f"is not a Word document (its main part is {content_type})"]
    return ["is not a Word document (it has no word/document.xml)"]


def _open(content: bytes) -> Reference:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    try:
        document = docx.Document(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for broken packages
        raise UnusableReference([f"cannot be opened as a Word document ({type(exc).__name__})"]) from None
    kinds = {"paragraph": WD_STYLE_TYPE.PARAGRAPH, "character": WD_STYLE_TYPE.CHARACTER, "table": WD_STYLE_TYPE.TABLE}
    ids, missing = {}, []
    for name, kind in REQUIRED_STYLES.items():
        try:
            style = document.styles[name]
        except KeyError:
            missing.append(f"{name} ({kind})")
            continue
        if style.type != kinds[kind]:
            missing.append(f"{name} (must be a {kind} style)")
            continue
        ids[name] = style.style_id
    if missing:
        raise UnusableReference([f"lacks styles txplan writes: {', '.join(missing)}; add them in Word (Styles pane > New Style) or start from the default pack's reference.docx"])
    return Reference(content, ids, frozenset(_placeholders(document)), document)


def _placeholders(document: object) -> set[tuple[str, str]]:
    """Every placeholder in the headers and footers; each must sit inside one run."""
    from docx.oxml.ns import qn

    found: set[tuple[str, str]] = set()
    problems = []
    for part in header_footer_parts(document):
        for paragraph in part.element.iter(qn("w:p")):
            runs = [t.text or "" for t in paragraph.iter(qn("w:t"))]
            whole = set(PLACEHOLDER.findall("".join(runs)))
            per_run = {m for text in runs for m in PLACEHOLDER.findall(text)}
            for group, name in sorted(whole - per_run):
                problems.append(f"placeholder {{{group}.{name}}} in {part.partname} is split across formatting runs; delete it and type it again in one go")
            for group, name in per_run:
                if group in PLACEHOLDER_FIELDS and name not in PLACEHOLDER_FIELDS[group]:
                    known = ", ".join(f"{{{group}.{n}}}" for n in sorted(PLACEHOLDER_FIELDS[group]))
                    problems.append(f"unknown placeholder {{{group}.{name}}} in {part.partname} (known: {known}, {{labels.KEY}})")
            found |= per_run
    if problems:
        raise UnusableReference(problems)
    return found


def header_footer_parts(document: object) -> list[object]:
    """The header and footer parts of ``document`` (python-docx), each once."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    parts = []
    for rel in document.part.rels.values():  # type: ignore[attr-defined]
        if rel.reltype in (RT.HEADER, RT.FOOTER) and rel.target_part not in parts:
            parts.append(rel.target_part)
    return parts
