"""The Word output format: an insurer-ready DOCX on the practice's letterhead.

The pack's ``reference.docx`` (or the nearest one up the pack chain) supplies styles, page setup,
header and footer; its body is ignored. Header and footer placeholders (``{practice.name}``,
``{labels.page}``, ...) are filled from the plan and the pack's labels. The body is written from
the same Markdown the ``markdown`` format produces, section by section, except the
``letterhead`` section, which the page header replaces.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from txplan import hookimpl
from txplan.charts import CHART_SCHEME, chart_settings, charts_available, without_chart_references
from txplan.contracts import OutputFormat, PackFile, PackView, RenderedDocument
from txplan.errors import PackError, Problem

from .chart_pictures import chart_pictures
from .wordml.assembly import R_NS, W_NS, DocumentParts, PackageTemplate, add_lists, package_template, placeholder_filler
from .wordml.reference import Reference, UnusableReference, header_footer_parts, load_reference

SKIPPED_SECTIONS = frozenset({"letterhead"})


@dataclass(frozen=True)
class PreparedPack:
    """What :func:`prepare_docx` found in a pack, once per pack per process, for every document
    rendered with it: the checked reference document, the checked letterhead logo, and the
    package every document starts from (its parts serialised once), with the logo and without
    it (a de-identified document has a neutral letterhead)."""

    reference: Reference
    logo: bytes | None
    logo_file: PackFile | None
    package: PackageTemplate
    package_without_logo: PackageTemplate


def prepare_docx(pack: PackView) -> PreparedPack:
    """Check the pack's reference document and letterhead logo once, before any plan is
    rendered; every problem with either is reported together, as a :class:`PackError`. Then
    serialise the package every document starts from (the logo placed in its header)."""
    failures: list[PackError] = []
    reference = logo = None
    logo_file = None
    try:
        reference = _checked_reference(pack)
    except PackError as exc:
        failures.append(exc)
    try:
        logo_file = pack.find_logo()
        logo = _checked_logo(logo_file) if logo_file is not None else None
    except PackError as exc:
        failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise PackError("\n".join(line for failure in failures for line in failure.lines()))
    assert reference is not None
    package = package_template(reference.fresh_document(), lambda word: _add_logo(word, logo, logo_file))
    without_logo = package if logo is None else package_template(reference.fresh_document(), lambda word: None)
    return PreparedPack(reference, logo, logo_file, package, without_logo)


def _checked_reference(pack: PackView) -> Reference:
    found = pack.find_file("reference.docx")
    if found is None:
        raise PackError(f"template pack '{pack.name}' has no reference.docx, and neither do the packs it extends")
    path = found.path
    try:
        reference = load_reference(path)
    except UnusableReference as exc:
        raise PackError(f"template pack '{pack.name}': {path}:", [_problem(path, p) for p in exc.problems]) from None
    labels = pack.labels
    unknown = sorted(name for group, name in reference.placeholders if group == "labels" and not isinstance(labels.get(name), str))
    if unknown:
        raise PackError(f"template pack '{pack.name}': {path} uses labels the pack does not define: {', '.join(unknown)}")
    return reference


def _checked_logo(logo: PackFile) -> bytes:
    """The letterhead logo's bytes: a whole PNG or JPEG of sane size, or a :class:`PackError`
    naming the pack and the file (a damaged image is caught here, not deep in python-docx)."""
    from txplan.images import image_problem

    data = logo.read()
    problem = image_problem(data)
    if problem:
        raise PackError(f"template pack '{logo.pack}': logo '{logo.name}' {problem}")
    return data


def _problem(path: Any, message: str) -> Problem:
    return Problem(str(path), None, "", message)


def render_docx(document: RenderedDocument, prepared: PreparedPack | None = None) -> bytes:
    """The plan as a DOCX package, byte-identical for the same plan and pack. ``prepared`` is
    what :func:`prepare_docx` returned for the document's pack (prepared here when not given).

    The package is assembled from the pack's serialised parts (:mod:`.wordml.assembly`); a
    document with score charts to draw is built through python-docx instead, since each chart
    is a new picture part of its own."""
    from .wordml.package import set_core_properties, zip_reproducibly
    from .wordml.writer import BodyWriter, refuse_unstorable

    if prepared is None:
        prepared = prepare_docx(document.pack)
    refuse_unstorable(document, SKIPPED_SECTIONS)
    markdown = document.markdown_without(SKIPPED_SECTIONS)
    pictures_possible = chart_settings(document.pack).enabled and charts_available()
    if not pictures_possible:
        markdown = without_chart_references(markdown)
    elif document.context.charts and CHART_SCHEME in markdown:
        return _render_with_pictures(document, prepared, markdown)
    context = document.context
    parts = DocumentParts(prepared.package_without_logo if context.deidentified else prepared.package)
    # With charts possible but none to draw, an image reference is written as its alt text.
    no_picture = (lambda src, alt: None) if pictures_possible else None
    xml = _body_xml(document, BodyWriter(prepared.reference.style_ids, parts.link_id, parts.new_list, no_picture), markdown)
    fill = placeholder_filler(_placeholder_values(context.client, context.letterhead, context.labels))
    members = parts.package(xml, fill, lambda core: set_core_properties(core, document.title, context.start_date))
    return zip_reproducibly(members)


def _body_xml(document: RenderedDocument, writer: Any, markdown: str) -> str:
    from .wordml.writer import UnknownBlock

    try:
        return str(writer.body_xml(markdown))
    except UnknownBlock as exc:
        raise PackError(f"template pack '{document.pack.name}': {exc}") from None


def _render_with_pictures(document: RenderedDocument, prepared: PreparedPack, markdown: str) -> bytes:
    """The document built through python-docx (a copy of the reference, the body moved in), for
    a document whose charts become picture parts; lists are defined as in the assembled path."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    from .wordml.package import save_reproducibly, set_core_properties
    from .wordml.writer import BodyWriter

    word = prepared.reference.fresh_document()
    body = word.element.body
    section_properties = body.sectPr
    for child in list(body):
        body.remove(child)
    numbering = word.part.numbering_part  # before any hyperlink takes a relationship id, as in the template
    parts = DocumentParts(prepared.package)
    links: dict[str, str] = {}

    def link_id(url: str) -> str:
        if url not in links:
            links[url] = word.part.relate_to(url, RT.HYPERLINK, is_external=True)
        return links[url]

    writer = BodyWriter(prepared.reference.style_ids, link_id, parts.new_list, chart_pictures(word, document))
    xml = _body_xml(document, writer, markdown)
    for element in list(parse_xml(f'<w:body xmlns:w="{W_NS}" xmlns:r="{R_NS}">{xml}</w:body>')):
        body.append(element)
    if section_properties is not None:
        body.append(section_properties)
    add_lists(numbering.element, parts.abstracts, parts.nums)
    context = document.context
    if not context.deidentified:  # a de-identified document has a neutral letterhead
        _add_logo(word, prepared.logo, prepared.logo_file)
    fill = placeholder_filler(_placeholder_values(context.client, context.letterhead, context.labels))
    for part in header_footer_parts(word):
        fill(part.element)
    set_core_properties(word.core_properties._element, document.title, context.start_date)
    return save_reproducibly(word)


def _placeholder_values(client: Mapping[str, Any], practice: Mapping[str, Any], labels: Mapping[str, Any]) -> dict[tuple[str, str], str]:
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


def _add_logo(word: Any, logo: bytes | None, source: PackFile | None) -> None:
    """Put the pack's logo where the header's ``{practice.logo}`` placeholder is (once per pack,
    in the package every document starts from). Without a logo the placeholder is left to the
    placeholder filling, which drops its empty paragraph. An image python-docx cannot place is a
    :class:`PackError` naming the logo file."""
    from docx.shared import Inches

    for section in word.sections:
        for paragraph in section.header.paragraphs:
            for run in paragraph.runs:
                if logo and source and "{practice.logo}" in run.text:
                    run.text = run.text.replace("{practice.logo}", "")
                    try:
                        run.add_picture(io.BytesIO(logo), height=Inches(LOGO_HEIGHT_INCHES))
                    except Exception as exc:  # noqa: BLE001 - python-docx raises many types for a bad image
                        raise PackError(f"template pack '{source.pack}': logo '{source.name}' cannot be placed in a Word document ({type(exc).__name__}); export it again as PNG or JPEG") from None


@hookimpl
def register_output_formats(register):
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
