"""The Word output format: an insurer-ready DOCX on the practice's letterhead.

The pack's ``reference.docx`` (or the nearest one up the pack chain) supplies styles, page setup,
header and footer; its body is ignored. Header and footer placeholders (``{practice.name}``,
``{labels.page}``, ...) are filled from the plan and the pack's labels. The body is written from
the same Markdown the ``markdown`` format produces, section by section, except the
``letterhead`` section, which the page header replaces.
"""

from __future__ import annotations

import io
from typing import Any

from txplan import hookimpl
from txplan.charts import without_chart_references
from txplan.contracts import OutputFormat, RenderedDocument
from txplan.errors import PackError, Problem

from .chart_pictures import chart_pictures
from .wordml.reference import PLACEHOLDER, Reference, UnusableReference, header_footer_parts, load_reference

SKIPPED_SECTIONS = frozenset({"letterhead"})
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def prepare_docx(pack: Any) -> Reference:
    """Check the pack's reference document once, before any plan is rendered."""
    path = pack.find_file("reference.docx")
    if path is None:
        raise PackError(f"template pack '{pack.name}' has no reference.docx, and neither do the packs it extends")
    try:
        reference = load_reference(path)
    except UnusableReference as exc:
        raise PackError(f"template pack '{pack.name}': {path}:", [_problem(path, p) for p in exc.problems]) from None
    labels = pack.labels
    unknown = sorted(name for group, name in reference.placeholders if group == "labels" and not isinstance(labels.get(name), str))
    if unknown:
        raise PackError(f"template pack '{pack.name}': {path} uses labels the pack does not define: {', '.join(unknown)}")
    return reference


def _problem(path: Any, message: str) -> Problem:
    return Problem(str(path), None, "", message)


def render_docx(document: RenderedDocument) -> bytes:
    """The plan as a DOCX package, byte-identical for the same plan and pack."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    from .wordml.package import save_reproducibly, set_core_properties
    from .wordml.writer import BodyWriter, UnknownBlock, refuse_unstorable

    reference = prepare_docx(document.pack)
    word = reference.fresh_document()
    body = word.element.body
    section_properties = body.sectPr
    for child in list(body):
        body.remove(child)

    numbering = _Numbering(word)
    links: dict[str, str] = {}

    def link_id(url: str) -> str:
        if url not in links:
            links[url] = word.part.relate_to(url, RT.HYPERLINK, is_external=True)
        return links[url]

    pictures = chart_pictures(word, document)
    writer = BodyWriter(reference.style_ids, link_id, numbering.new_list, pictures)
    refuse_unstorable(document, SKIPPED_SECTIONS)
    markdown = document.markdown_without(SKIPPED_SECTIONS)
    if pictures is None:
        markdown = without_chart_references(markdown)
    try:
        xml = writer.body_xml(markdown)
    except UnknownBlock as exc:
        raise PackError(f"template pack '{document.pack.name}': {exc}") from None
    fragment = parse_xml(f'<w:body xmlns:w="{W_NS}" xmlns:r="{R_NS}">{xml}</w:body>')
    for element in list(fragment):
        body.append(element)
    if section_properties is not None:
        body.append(section_properties)

    plan = document.context["plan"]
    _add_logo(word, document.pack)
    _fill_placeholders(word, _placeholder_values(plan, document.context["letterhead"], document.context["labels"]))
    set_core_properties(word, document.title, (plan.get("plan") or {}).get("start_date"))
    return save_reproducibly(word)


class _Numbering:
    """Adds txplan's list definitions to the document's numbering part: one bullet list shared
    by every bulleted list, and a fresh decimal list (restarting at 1) for every numbered list."""

    def __init__(self, word: Any) -> None:
        from docx.oxml.ns import qn

        self.qn = qn
        self.element = word.part.numbering_part.element
        ids = [int(e.get(qn("w:abstractNumId"))) for e in self.element.findall(qn("w:abstractNum"))]
        nums = [int(e.get(qn("w:numId"))) for e in self.element.findall(qn("w:num"))]
        self.next_abstract = max(ids, default=-1) + 1
        self.next_num = max(nums, default=0) + 1
        self.bullet_num: int | None = None
        self.decimal_abstract: int | None = None

    def new_list(self, ordered: bool) -> int:
        """A numId for a new list."""
        if not ordered:
            if self.bullet_num is None:
                self.bullet_num = self._add_num(self._add_abstract(ordered=False))
            return self.bullet_num
        if self.decimal_abstract is None:
            self.decimal_abstract = self._add_abstract(ordered=True)
        return self._add_num(self.decimal_abstract, restart=True)

    def _add_abstract(self, ordered: bool) -> int:
        from docx.oxml import parse_xml

        bullets = ["\u2022", "\u25e6", "\u25aa"]
        formats = ["decimal", "lowerLetter", "lowerRoman"]
        levels = []
        for level in range(9):
            if ordered:
                fmt, text = formats[level % 3], f"%{level + 1}."
            else:
                fmt, text = "bullet", bullets[level % 3]
            levels.append(
                f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{360 * (level + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            )
        abstract_id = self.next_abstract
        self.next_abstract += 1
        element = parse_xml(
            f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abstract_id}"><w:multiLevelType w:val="hybridMultilevel"/>{"".join(levels)}</w:abstractNum>'
        )
        first_num = self.element.find(self.qn("w:num"))
        if first_num is None:
            self.element.append(element)
        else:
            first_num.addprevious(element)
        return abstract_id

    def _add_num(self, abstract_id: int, restart: bool = False) -> int:
        from docx.oxml import parse_xml

        num_id = self.next_num
        self.next_num += 1
        override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
        self.element.append(
            parse_xml(f'<w:num xmlns:w="{W_NS}" w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{override}</w:num>')
        )
        return num_id


def _placeholder_values(plan: dict[str, Any], practice: dict[str, Any], labels: dict[str, Any]) -> dict[tuple[str, str], str]:
    client = plan.get("client") or {}
    address = " · ".join(line.strip() for line in (practice.get("address") or "").splitlines() if line.strip())
    contact = " · ".join(
        f"{labels.get(key, key.title())} {practice[key]}" for key in ("phone", "fax", "email") if practice.get(key)
    )
    values = {("practice", "address"): address, ("practice", "contact"): contact, ("practice", "logo"): ""}
    for key in ("name", "phone", "fax", "email"):
        values[("practice", key)] = practice.get(key) or ""
    for key in ("name", "preferred_name", "date_of_birth", "identifier"):
        values[("client", key)] = client.get(key) or ""
    for key, value in labels.items():
        if isinstance(value, str):
            values[("labels", key)] = value
    return values


LOGO_HEIGHT_INCHES = 0.55


def _add_logo(word: Any, pack: Any) -> None:
    """Put the pack's logo where the header's ``{practice.logo}`` placeholder is. Without a logo
    the placeholder is left to :func:`_fill_placeholders`, which drops its empty paragraph. An
    image python-docx cannot place is a :class:`PackError` naming the logo file."""
    from docx.shared import Inches

    logo = pack.logo
    for section in word.sections:
        for paragraph in section.header.paragraphs:
            for run in paragraph.runs:
                if logo and "{practice.logo}" in run.text:
                    run.text = run.text.replace("{practice.logo}", "")
                    try:
                        run.add_picture(io.BytesIO(logo), height=Inches(LOGO_HEIGHT_INCHES))
                    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for a bad image
                        owner = next((p for p in pack.chain() if p.manifest.get("practice", {}).get("logo")), pack)
                        name = owner.manifest.get("practice", {}).get("logo", "logo")
                        raise PackError(f"template pack '{owner.name}': logo '{name}' cannot be placed in a Word document ({type(exc).__name__}); export it again as PNG or JPEG") from None


def _fill_placeholders(word: Any, values: dict[tuple[str, str], str]) -> None:
    """Replace placeholders in headers and footers; drop a paragraph whose placeholders are all
    empty (a practice without a fax number gets no empty fax line)."""
    from docx.oxml.ns import qn

    for part in header_footer_parts(word):
        for paragraph in list(part.element.iter(qn("w:p"))):
            texts = [t for t in paragraph.iter(qn("w:t")) if t.text and "{" in t.text]
            found = [m for t in texts for m in PLACEHOLDER.finditer(t.text)]
            if not found:
                continue
            if not any(values.get((m.group(1), m.group(2))) for m in found if m.group(1) != "labels"):
                if any(m.group(1) != "labels" for m in found):
                    paragraph.getparent().remove(paragraph)
                    continue
            for t in texts:
                t.text = PLACEHOLDER.sub(lambda m: values.get((m.group(1), m.group(2)), ""), t.text)


@hookimpl
def register_output_formats(register):  # type: ignore[no-untyped-def]
    """Register ``docx`` (alias ``word``)."""
    register(
        OutputFormat(
            name="docx",
            aliases=("word",),
            extension="docx",
            media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            render=render_docx,
            prepare=prepare_docx,
            description="Word document on the practice's letterhead, for insurers",
        )
    )
