"""The reference-document contract: a pack's ``reference.docx`` supplies styles, page setup,
header and footer; its body is ignored (as pandoc's ``--reference-doc``).

A reference document comes from a practice, so it is treated as untrusted and checked before
python-docx opens it (docs/security.md, "Reference documents"): zip limits; only the parts a
reference document needs, by their declared content type (an allow-list, so macros, ActiveX,
OLE and embedded objects, and anything not thought of, are refused); every XML part parsed, not
searched as text, with no DTD; no external relationship other than hyperlinks; no field that
reaches outside; and a real Word document (not a template, a macro document, an encrypted file
or a legacy ``.doc``). Then every style
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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.opc.part import XmlPart

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
CONTENT_TYPES_PART = "[Content_Types].xml"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
#: WordprocessingML, as Word writes it (transitional) and as ISO/IEC 29500 strict names it.
WORD_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main", "http://purl.oclc.org/ooxml/wordprocessingml/main")
_OFFICE = "application/vnd.openxmlformats-officedocument."
MAIN_DOCUMENT = _OFFICE + "wordprocessingml.document.main+xml"
RELATIONSHIPS = "application/vnd.openxmlformats-package.relationships+xml"
#: The content types a reference document may hold: what styles, page setup, header and footer
#: need, and nothing else. Anything else (macros, ActiveX, OLE objects, embedded files, custom
#: XML, embedded fonts, glossary, comments) is refused, so a trick not thought of fails closed.
XML_CONTENT_TYPES = frozenset({
    MAIN_DOCUMENT,
    RELATIONSHIPS,
    _OFFICE + "wordprocessingml.styles+xml",
    "application/vnd.ms-word.stylesWithEffects+xml",
    _OFFICE + "wordprocessingml.numbering+xml",
    _OFFICE + "wordprocessingml.settings+xml",
    _OFFICE + "wordprocessingml.webSettings+xml",
    _OFFICE + "wordprocessingml.fontTable+xml",
    _OFFICE + "wordprocessingml.header+xml",
    _OFFICE + "wordprocessingml.footer+xml",
    _OFFICE + "wordprocessingml.footnotes+xml",
    _OFFICE + "wordprocessingml.endnotes+xml",
    _OFFICE + "theme+xml",
    "application/vnd.openxmlformats-package.core-properties+xml",
    _OFFICE + "extended-properties+xml",
    _OFFICE + "custom-properties+xml",
})
#: Images (a logo in the header), each checked to be what its content type says.
IMAGE_CONTENT_TYPES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/jpg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
#: Fields that fetch or run something outside the document when Word updates them.
OUTSIDE_FIELDS = re.compile(r"\b(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|IMPORT|LINK|DDEAUTO|DDE)\b", re.IGNORECASE)
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
    """A checked reference document: its bytes and the style id of each style txplan writes."""

    content: bytes
    style_ids: dict[str, str]
    placeholders: frozenset[tuple[str, str]]
    #: The document as python-docx opened it; the Word format serialises a copy of it once per
    #: pack (see :mod:`.assembly`), cheaper than opening the package again.
    prototype: Any = field(default=None, compare=False, repr=False)

    def fresh_document(self) -> Any:
        """A python-docx document of the reference, to fill (never the prototype itself)."""
        return copy.deepcopy(self.prototype)


_CACHE: dict[tuple[str, int, int], Reference] = {}


def load_reference(path: Path) -> Reference:
    """Check and load ``path``, once per process (cached by path, size and modification time).
    It is read without following a link or blocking on a pipe, and refused above
    :data:`~txplan.safe_paths.MAX_REFERENCE_BYTES` before a byte is read."""
    from txplan.safe_paths import MAX_REFERENCE_BYTES, UnsafePackPath, read_located

    stat = path.lstat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        try:
            content = read_located(path, MAX_REFERENCE_BYTES, path.name)
        except UnsafePackPath as exc:
            raise UnusableReference([str(exc)]) from None
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
        infos = [info for info in archive.infolist() if not info.is_dir()]
        problems = _check_members(infos)
        if problems:
            return problems
        if CONTENT_TYPES_PART not in {info.filename for info in infos}:
            return ["is not a Word document (it has no [Content_Types].xml)"]
        types_root, problem = _parse(CONTENT_TYPES_PART, archive.read(CONTENT_TYPES_PART))
        if types_root is None:
            return [problem]
        types = _ContentTypes(types_root)
        problems.extend(_check_main_document(types))
        if problems:
            return problems
        for info in infos:
            if info.filename != CONTENT_TYPES_PART:
                problems.extend(_check_part(info.filename, types.of(info.filename), archive.read(info)))
    return problems


def _check_members(infos: list[zipfile.ZipInfo]) -> list[str]:
    if len(infos) > MAX_MEMBERS:
        return [f"has {len(infos)} parts; at most {MAX_MEMBERS} are allowed"]
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        return [f"expands to {total / 1e6:,.0f} MB (limit {MAX_TOTAL_BYTES / 1e6:,.0f} MB)"]
    problems = []
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name.lower() in seen:  # part names are case-insensitive (ISO/IEC 29500-2, 9.1.1.1)
            problems.append(f"part {name} is in the document twice")
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            problems.append(f"part {name} is encrypted; save the document without a password")
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            problems.append(f"part name {name!r} points outside the document")
        if info.file_size > MAX_MEMBER_BYTES:
            problems.append(f"part {name} expands to {info.file_size / 1e6:,.0f} MB (limit {MAX_MEMBER_BYTES / 1e6:,.0f} MB)")
        elif info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1_000_000:
            problems.append(f"part {name} is compressed {info.file_size // info.compress_size}:1, which only a zip bomb needs")
    return problems


class _ContentTypes:
    """The content type of each part, from ``[Content_Types].xml``: an Override for the part's
    name, else the Default for its extension (both compared case-insensitively)."""

    def __init__(self, root: Any) -> None:
        self.overrides: dict[str, str] = {}
        self.defaults: dict[str, str] = {}
        for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
            self.overrides[(element.get("PartName") or "").lstrip("/").lower()] = element.get("ContentType") or ""
        for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Default"):
            self.defaults[(element.get("Extension") or "").lower()] = element.get("ContentType") or ""

    def of(self, name: str) -> str | None:
        """The content type of part ``name`` (a zip member name), ``None`` when undeclared."""
        if name.lower() in self.overrides:
            return self.overrides[name.lower()]
        extension = name.rsplit("/", 1)[-1].rpartition(".")[2].lower() if "." in name.rsplit("/", 1)[-1] else None
        return self.defaults.get(extension) if extension is not None else None


def _check_main_document(types: _ContentTypes) -> list[str]:
    content_type = types.overrides.get("word/document.xml")
    if content_type is None:
        return ["is not a Word document (it has no word/document.xml)"]
    if content_type == MAIN_DOCUMENT:
        return []
    if "template" in content_type:
        return ["is a Word template (.dotx); open it in Word and save it as a Word Document (.docx)"]
    if "macroEnabled" in content_type:
        return ["is a macro-enabled document (.docm); save it as a Word Document (.docx)"]
    return [f"is not a Word document (its main part is {content_type})"]


def _check_part(name: str, content_type: str | None, data: bytes) -> list[str]:
    """Why part ``name`` may not be in a reference document: its declared type, then its
    content, parsed (never searched as text, so no spelling, encoding or prefix hides it)."""
    if content_type is None:
        return [f"part {name} has no content type in [Content_Types].xml; every part of a Word document declares one"]
    if _is_relationships_part(name) and content_type != RELATIONSHIPS:
        # Readers find relationships by name, whatever the declared type: one declared as
        # something else must not skip the relationship check.
        return [f"part {name} is a relationships part declared as {content_type}"]
    if content_type in IMAGE_CONTENT_TYPES:
        if not data.startswith(IMAGE_CONTENT_TYPES[content_type]):
            return [f"part {name} is declared {content_type} but is not one"]
        return []
    if content_type.startswith("image/"):
        return [f"part {name} is a {content_type} image; a reference document may hold PNG, JPEG or GIF images only "
                "(insert the logo again as a PNG)"]
    if content_type not in XML_CONTENT_TYPES:
        return [f"part {name} has content type {content_type}, which a reference document does not need (macros, "
                "embedded objects and other extras are refused); remove it, or copy the styles into a new document"]
    root, problem = _parse(name, data)
    if root is None:
        return [problem]
    if content_type == RELATIONSHIPS:
        return _check_relationships(name, root)
    return [f"part {name} has a {kind} field, which reaches outside the document; remove it" for kind in _outside_fields(root)]


def _is_relationships_part(name: str) -> bool:
    """Whether OPC readers (python-docx among them) read ``name`` as relationships: a ``.rels``
    part in a ``_rels`` folder (ISO/IEC 29500-2, 9.3)."""
    lowered = name.lower()
    return lowered.endswith(".rels") or lowered.startswith("_rels/") or "/_rels/" in lowered


def _parse(name: str, data: bytes) -> tuple[Any, str]:
    """Parse one part with entity expansion, DTD loading and network access off, whatever its
    encoding (UTF-8 or UTF-16, as XML 1.0 allows); a part with a DTD is refused."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False)
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        return None, f"part {name} is not well-formed XML ({exc.msg})"
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        return None, f"part {name} contains a DOCTYPE/DTD, which Word documents never need (not allowed)"
    return tree.getroot(), ""


def _check_relationships(name: str, root: Any) -> list[str]:
    problems = []
    for rel in root.iter(f"{{{RELATIONSHIPS_NS}}}Relationship"):
        if (rel.get("TargetMode") or "").lower() == "external" and rel.get("Type") != HYPERLINK:
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            problems.append(
                f"has an external link of type '{kind}' to {rel.get('Target')!r} ({name}); remove it "
                "(for an attached template: Word > Developer > Document Template, clear the template)"
            )
    return problems


def _outside_fields(root: Any) -> list[str]:
    """Names of fields in ``root`` that reach outside the document: simple fields (their
    ``instr`` attribute) and complex fields, whose instruction Word joins from every
    ``instrText`` between the field's begin and its separate or end (runs may split it)."""
    found: list[str] = []
    for ns in WORD_NAMESPACES:
        for simple in root.iter(f"{{{ns}}}fldSimple"):
            found.extend(m.group(1).upper() for m in OUTSIDE_FIELDS.finditer(simple.get(f"{{{ns}}}instr") or ""))
    wanted = {f"{{{ns}}}{local}" for ns in WORD_NAMESPACES for local in ("fldChar", "instrText", "delInstrText")}
    open_fields: list[list[str]] = []
    loose: list[str] = []
    for element in root.iter(*wanted):
        local = element.tag.rsplit("}", 1)[1]
        if local == "fldChar":
            kind = next((v for k, v in element.attrib.items() if k.endswith("}fldCharType")), "")
            if kind == "begin":
                open_fields.append([])
            elif kind == "end" and open_fields:
                found.extend(m.group(1).upper() for m in OUTSIDE_FIELDS.finditer("".join(open_fields.pop())))
        else:
            (open_fields[-1] if open_fields else loose).append(element.text or "")
    for text in [*("".join(f) for f in open_fields), "".join(loose)]:
        found.extend(m.group(1).upper() for m in OUTSIDE_FIELDS.finditer(text))
    return sorted(set(found))


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


def _placeholders(document: DocxDocument) -> set[tuple[str, str]]:
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


def header_footer_parts(document: DocxDocument) -> list[XmlPart]:
    """The header and footer parts of ``document`` (python-docx), each once."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.part import XmlPart

    parts: list[XmlPart] = []
    for rel in document.part.rels.values():
        part = rel.target_part if rel.reltype in (RT.HEADER, RT.FOOTER) else None
        if isinstance(part, XmlPart) and part not in parts:  # header and footer parts are always XML
            parts.append(part)
    return parts
