"""A Word package assembled from strings: the reference document's parts serialised once per
pack, and for each document only what changes spliced in.

python-docx opens and checks the reference document once (:mod:`.reference`). From it,
:func:`package_template` builds, once per pack, the document every output starts from (its body
emptied, its numbering part, its core properties part, the pack's logo in the header) and keeps
each part's bytes, in the order python-docx's package writer puts them in the zip. A document
then costs its own body, spliced between the head and tail of ``word/document.xml``; its list
definitions, added to the numbering part; its hyperlinks, added to the main part's relationships;
its header and footer placeholders, filled; and its title and dates. Every other part is written
as it was serialised. The bytes are the ones python-docx would write for the same document
(tests/test_docx.py compares the two over many plans and packs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
#: Empty elements marking where a document's body, list definitions and lists go; no Word
#: document has them, and each must occur exactly once in its part's bytes.
BODY_MARK = "txplanBodyHere"
ABSTRACT_MARK = "txplanAbstractsHere"
NUM_MARK = "txplanNumsHere"


@dataclass(frozen=True)
class PackageTemplate:
    """A pack's Word package, serialised, with the places a document fills.

    ``members`` are the zip members in order, each ``(name, bytes)``; the members named by
    ``document``, ``numbering``, ``document_rels``, ``core`` and ``placeholder_parts`` are
    replaced for each document."""

    members: tuple[tuple[str, bytes], ...]
    document: str
    document_pieces: tuple[bytes, bytes] | None
    numbering: str
    numbering_pieces: tuple[bytes, bytes, bytes] | None
    next_abstract: int
    next_num: int
    document_rels: str
    rels: tuple[tuple[str, str, str, bool], ...]
    core: str
    placeholder_parts: frozenset[str]


def package_template(word: Any, add_logo: Callable[[Any], None]) -> PackageTemplate:
    """Serialise ``word`` (a python-docx document of the reference, which this changes) as the
    template of every document: body emptied, numbering and core properties parts present,
    ``add_logo`` applied to it, and markers where each document's content goes."""
    from docx.oxml.ns import qn

    from .reference import PLACEHOLDER, header_footer_parts

    body = word.element.body
    section_properties = body.sectPr
    for child in list(body):
        body.remove(child)
    marker = body.makeelement(f"{{{W_NS}}}{BODY_MARK}", {})
    body.append(marker)
    if section_properties is not None:
        body.append(section_properties)
    numbering = word.part.numbering_part  # created now when the reference has none, as python-docx does
    ids = [int(e.get(qn("w:abstractNumId"))) for e in numbering.element.findall(qn("w:abstractNum"))]
    nums = [int(e.get(qn("w:numId"))) for e in numbering.element.findall(qn("w:num"))]
    abstract_mark = numbering.element.makeelement(f"{{{W_NS}}}{ABSTRACT_MARK}", {})
    first_num = numbering.element.find(qn("w:num"))
    if first_num is None:
        numbering.element.append(abstract_mark)
    else:
        first_num.addprevious(abstract_mark)
    numbering.element.append(numbering.element.makeelement(f"{{{W_NS}}}{NUM_MARK}", {}))
    add_logo(word)
    word.core_properties  # noqa: B018 - created now when the reference has none, as python-docx does
    members = _members(word)
    by_name = dict(members)
    document = word.part.partname.membername
    document_pieces = _split(by_name[document], BODY_MARK) if _plain_namespaces(body, (W_NS, R_NS)) else None
    numbering_name = numbering.partname.membername
    numbering_pieces = None
    first = _split(by_name[numbering_name], ABSTRACT_MARK) if _plain_namespaces(numbering.element, (W_NS,)) else None
    second = _split(first[1], NUM_MARK) if first is not None else None
    if first is not None and second is not None:
        numbering_pieces = (first[0], *second)
    body.remove(marker)
    for mark in (ABSTRACT_MARK, NUM_MARK):
        numbering.element.remove(numbering.element.find(f"{{{W_NS}}}{mark}"))
    by_name.update(_members(word))  # without the markers, for a reference the splices do not suit
    placeholder_parts = frozenset(
        part.partname.membername for part in header_footer_parts(word)
        if any(PLACEHOLDER.search(t.text or "") for t in part.element.iter(qn("w:t")))
    )
    return PackageTemplate(
        members=tuple((name, by_name[name]) for name, _ in members),
        document=document,
        document_pieces=document_pieces,
        numbering=numbering_name,
        numbering_pieces=numbering_pieces,
        next_abstract=max(ids, default=-1) + 1,
        next_num=max(nums, default=0) + 1,
        document_rels=word.part.partname.rels_uri.membername,
        rels=tuple((rel.rId, rel.reltype, rel.target_ref, rel.is_external) for rel in word.part.rels.values()),
        core=_core_name(word),
        placeholder_parts=placeholder_parts,
    )


def _core_name(word: Any) -> str:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    return str(word.part.package.part_related_by(RT.CORE_PROPERTIES).partname.membername)


def _members(word: Any) -> list[tuple[str, bytes]]:
    """The zip members python-docx's package writer would write for ``word``, in its order."""
    from docx.opc.pkgwriter import PackageWriter

    class Recorder:
        def __init__(self) -> None:
            self.members: list[tuple[str, bytes]] = []

        def write(self, pack_uri: Any, blob: bytes | str) -> None:
            self.members.append((pack_uri.membername, blob.encode("utf-8") if isinstance(blob, str) else blob))

    package = word.part.package
    for part in package.parts:
        part.before_marshal()
    recorder = Recorder()
    PackageWriter._write_content_types_stream(recorder, package.parts)
    PackageWriter._write_pkg_rels(recorder, package.rels)
    PackageWriter._write_parts(recorder, package.parts)  # type: ignore[arg-type]
    return recorder.members


def _split(content: bytes, mark: str) -> tuple[bytes, bytes] | None:
    """``content`` before and after the marker ``mark``; ``None`` unless it occurs exactly once
    (a reference holding such an element itself is assembled the slower way)."""
    tag = f"<w:{mark}/>".encode()
    if content.count(tag) != 1:
        return None
    before, _, after = content.partition(tag)
    return before, after


def _plain_namespaces(element: Any, namespaces: tuple[str, ...]) -> bool:
    """Whether elements serialise the same spliced into ``element`` as moved in: ``w`` names
    WordprocessingML (and ``r`` relationships) in its scope and no other prefix does (lxml,
    moving an element into a tree, reuses the declaration it finds for the namespace)."""
    scope = element.nsmap
    values = list(scope.values())
    prefixes = {W_NS: "w", R_NS: "r"}
    return all(scope.get(prefixes[ns]) == ns and values.count(ns) == 1 for ns in namespaces)


class DocumentParts:
    """What one document adds to its pack's :class:`PackageTemplate`: list definitions and
    hyperlink relationships (filled while its body is written), then its package."""

    def __init__(self, template: PackageTemplate) -> None:
        self.template = template
        self.next_abstract = template.next_abstract
        self.next_num = template.next_num
        self.abstracts: list[str] = []
        self.nums: list[str] = []
        self.bullet_num: int | None = None
        self.decimal_abstract: int | None = None
        self.links: list[tuple[str, str]] = []
        self.link_ids = {target: rid for rid, reltype, target, external in template.rels if external and reltype == HYPERLINK}
        self.rel_ids = {rid for rid, *_ in template.rels}

    def link_id(self, url: str) -> str:
        """The relationship id for a hyperlink to ``url`` (one per URL, as python-docx relates
        it: an existing one reused, else the first free ``rIdN``)."""
        if url not in self.link_ids:
            rid = next(f"rId{n}" for n in range(1, len(self.rel_ids) + 2) if f"rId{n}" not in self.rel_ids)
            self.rel_ids.add(rid)
            self.link_ids[url] = rid
            self.links.append((rid, url))
        return self.link_ids[url]

    def new_list(self, ordered: bool) -> int:
        """A numId for a new list: one bullet list shared by every bulleted list, and a fresh
        decimal list (restarting at 1) for every numbered list."""
        if not ordered:
            if self.bullet_num is None:
                self.bullet_num = self._add_num(self._add_abstract(ordered=False))
            return self.bullet_num
        if self.decimal_abstract is None:
            self.decimal_abstract = self._add_abstract(ordered=True)
        return self._add_num(self.decimal_abstract, restart=True)

    def _add_abstract(self, ordered: bool) -> int:
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
        self.abstracts.append(f'<w:abstractNum w:abstractNumId="{abstract_id}"><w:multiLevelType w:val="hybridMultilevel"/>{"".join(levels)}</w:abstractNum>')
        return abstract_id

    def _add_num(self, abstract_id: int, restart: bool = False) -> int:
        num_id = self.next_num
        self.next_num += 1
        override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
        self.nums.append(f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{override}</w:num>')
        return num_id

    def package(self, body_xml: str, fill_placeholders: Callable[[Any], None], set_core: Callable[[Any], None]) -> list[tuple[str, bytes]]:
        """The zip members of the document whose body is ``body_xml``; ``fill_placeholders``
        fills one header or footer element, ``set_core`` the core properties."""
        from docx.opc.oxml import CT_Relationships, serialize_part_xml
        from docx.oxml import parse_xml

        template = self.template
        replaced: dict[str, bytes] = {template.document: self._document(body_xml)}
        if self.abstracts or self.nums:
            replaced[template.numbering] = self._numbering(dict(template.members)[template.numbering])
        if self.links:
            rels = CT_Relationships.new()
            for rid, reltype, target, external in template.rels:
                rels.add_rel(rid, reltype, target, external)
            for rid, url in self.links:
                rels.add_rel(rid, HYPERLINK, url, True)
            replaced[template.document_rels] = rels.xml
        members = []
        for name, content in template.members:
            if name in replaced:
                content = replaced[name]
            elif name in template.placeholder_parts or name == template.core:
                element = parse_xml(content)
                (set_core if name == template.core else fill_placeholders)(element)
                content = serialize_part_xml(element)
            members.append((name, content))
        return members

    def _numbering(self, plain: bytes) -> bytes:
        """The numbering part with this document's lists: spliced in, or, for a reference whose
        namespace prefixes are unusual, added as python-docx elements would be."""
        if self.template.numbering_pieces is not None:
            before, between, after = self.template.numbering_pieces
            return b"".join((before, "".join(self.abstracts).encode(), between, "".join(self.nums).encode(), after))
        from docx.opc.oxml import serialize_part_xml
        from docx.oxml import parse_xml

        root = parse_xml(plain)
        add_lists(root, self.abstracts, self.nums)
        return serialize_part_xml(root)

    def _document(self, body_xml: str) -> bytes:
        """``word/document.xml`` with ``body_xml``: spliced in as lxml serialises it, or, for a
        reference whose namespace prefixes are unusual, moved in as python-docx would."""
        from docx.oxml import parse_xml
        from lxml import etree

        fragment = parse_xml(f'<w:body xmlns:w="{W_NS}" xmlns:r="{R_NS}">{body_xml}</w:body>')  # checks the writer's XML
        fragment.text = None
        if self.template.document_pieces is not None:
            whole = etree.tostring(fragment, encoding="UTF-8", xml_declaration=False)
            start = whole.index(b">") + 1
            inner = whole[start : -len(b"</w:body>")] if len(fragment) else b""
            head, tail = self.template.document_pieces
            return head + inner + tail
        from docx.opc.oxml import serialize_part_xml

        root = parse_xml(dict(self.template.members)[self.template.document])
        body = root.find(f"{{{W_NS}}}body")
        section_properties = body.find(f"{{{W_NS}}}sectPr") if body is not None else None
        for element in list(fragment):
            if section_properties is not None:
                section_properties.addprevious(element)
            elif body is not None:
                body.append(element)
        return serialize_part_xml(root)


def add_lists(numbering: Any, abstracts: list[str], nums: list[str]) -> None:
    """Add list definitions (``w:abstractNum``, before the first ``w:num``) and lists (``w:num``,
    at the end) to the numbering part's root element ``numbering``, as elements."""
    from docx.oxml import parse_xml

    for abstract in abstracts:
        element = parse_xml(abstract.replace("<w:abstractNum ", f'<w:abstractNum xmlns:w="{W_NS}" ', 1))
        first_num = numbering.find(f"{{{W_NS}}}num")
        if first_num is None:
            numbering.append(element)
        else:
            first_num.addprevious(element)
    for num in nums:
        numbering.append(parse_xml(num.replace("<w:num ", f'<w:num xmlns:w="{W_NS}" ', 1)))


def placeholder_filler(values: Mapping[tuple[str, str], str]) -> Callable[[Any], None]:
    """Fill the placeholders of one header or footer element with ``values``; a paragraph whose
    placeholders (other than labels) are all empty is dropped (no empty fax line)."""
    from .reference import PLACEHOLDER

    def fill(element: Any) -> None:
        for paragraph in list(element.iter(f"{{{W_NS}}}p")):
            texts = [t for t in paragraph.iter(f"{{{W_NS}}}t") if t.text and "{" in t.text]
            found = [m for t in texts for m in PLACEHOLDER.finditer(t.text)]
            if not found:
                continue
            if not any(values.get((m.group(1), m.group(2))) for m in found if m.group(1) != "labels"):
                if any(m.group(1) != "labels" for m in found):
                    paragraph.getparent().remove(paragraph)
                    continue
            for t in texts:
                t.text = PLACEHOLDER.sub(lambda m: values.get((m.group(1), m.group(2)), ""), t.text)

    return fill
