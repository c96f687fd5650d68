"""Turn the rendered plan's Markdown into WordprocessingML body XML, with named styles only.

The writer walks the markdown-it-py token stream of the same Markdown the Markdown format
writes (so both formats say the same) and builds the body as one XML string that lxml parses
once: far faster than python-docx's ``add_paragraph``, which scans the whole body on every call.

Markdown -> Word:

==========================  ==========================================================
``#``  / ``##`` / ``###``     Title / Heading 1 / Heading 2 (``####`` and deeper: Heading 3)
paragraph                   Body Text (Block Text in a quote, Table Text in a table)
``- item`` / ``1. item``    List Bullet / List Number with real Word numbering, nested levels
table                       Plan Table; Table Heading row repeated on every page
``**strong**`` / ``*em*``   Strong / Emphasis character styles
``[text](https://...)``     a hyperlink in the Hyperlink character style
``---``                     Separator
``::: note`` / ``::: alert`` Note / Alert (boxed paragraphs)
``::: signature-block``     Signature Text; the block (and its table) is kept on one page
``::: page-break``          a page break
``![alt](chart:id)``        the score chart as a picture (``picture`` callback)
==========================  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from txplan.errors import PackError
from txplan.packs import problem_in_template

#: Containers (``::: name``) a template may use, and the paragraph style each maps to.
CONTAINERS = {"note": "Note", "alert": "Alert", "signature-block": "Signature Text", "page-break": None}
HEADING_STYLES = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2"}
TEXT_WIDTH_TWIPS = 9360  # 6.5 in: US Letter less one-inch margins
TWIPS_PER_CHAR = 105  # a 9-point character, generously
CELL_PADDING_TWIPS = 240
SIGNING_ROW_HEIGHT = '<w:trHeight w:val="680" w:hRule="atLeast"/>'
LINK_SCHEMES = ("http://", "https://", "mailto:")
#: Characters XML 1.0 (so a Word document) cannot hold. Plans holding them are refused when
#: loaded, so in rendered text they come from a template.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class UnknownBlock(Exception):
    """A template used a ``::: name`` container txplan does not know."""


def refuse_unstorable(document: Any, skipped: frozenset[str] = frozenset()) -> None:
    """A character Word cannot hold in a section's text is the section template's doing: a
    :class:`PackError` naming the pack, the template and the line of its output."""
    problems = []
    for section in document.sections:
        if section.name in skipped:
            continue
        found = UNSTORABLE.search(section.markdown)
        if found:
            line = section.markdown.count("\n", 0, found.start()) + 1
            problems.append(problem_in_template(
                document.pack, f"{section.name}.md.j2", None,
                f"produces the control character U+{ord(found.group()):04X} (line {line} of its output), which a Word document cannot hold; remove it from the template",
            ))
    if problems:
        raise PackError(problems=problems)


@lru_cache(maxsize=1)
def markdown_parser() -> Any:
    """The one markdown-it parser: CommonMark, tables, strikethrough and ``:::`` blocks; no raw
    HTML, no linkify (nothing in a plan turns into a link by itself), no link reference
    definitions. One container rule serves every block name (one rule is tried per line, not
    one per name; the name is checked when the block is written)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    parser.disable(["html_block", "html_inline", "reference"])
    parser.use(container_plugin, name="block", validate=lambda params, *args: bool(params.strip()))
    return parser


@dataclass
class _Lists:
    """The lists open around the current paragraph: (ordered, numId) from outermost in."""

    stack: list[tuple[bool, int]] = field(default_factory=list)
    item_starts: bool = False


class BodyWriter:
    """Writes one document's body. ``style_ids`` maps style names to the reference document's
    style ids; ``link_id(url)`` returns a relationship id for a hyperlink; ``new_list(ordered)``
    returns a fresh numbering id (restarting at 1 for ordered lists)."""

    def __init__(
        self,
        style_ids: dict[str, str],
        link_id: Callable[[str], str],
        new_list: Callable[[bool], int],
        picture: Callable[[str, str], str | None] | None = None,
    ) -> None:
        # Style ids come from a practice's reference document: escaped for the attributes they fill.
        self.styles = {name: escape(style_id, {'"': "&quot;"}) for name, style_id in style_ids.items()}
        self.link_id = link_id
        self.new_list = new_list
        # picture(src, alt): a run holding the image (a score chart), or None for its alt text.
        self.picture = picture

    def body_xml(self, markdown: str) -> str:
        """The WordprocessingML elements (paragraphs and tables) for ``markdown``."""
        tokens = markdown_parser().parse(markdown)
        return "".join(self._blocks(tokens))

    # -- blocks ---------------------------------------------------------------------------------

    def _blocks(self, tokens: Sequence[Any]) -> list[str]:
        out: list[str] = []
        containers: list[str] = []
        lists = _Lists()
        quote_depth = 0
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                out.append(self._paragraph(HEADING_STYLES.get(token.tag, "Heading 3"), tokens[i + 1].children, keep_next=False))
                i += 3
                continue
            if kind == "paragraph_open":
                # A paragraph that introduces a table stays on the table's page.
                before_table = i + 3 < len(tokens) and tokens[i + 3].type == "table_open"
                out.append(self._body_paragraph(tokens[i + 1].children, containers, lists, quote_depth, before_table))
                i += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                ordered = kind == "ordered_list_open"
                lists.stack.append((ordered, self.new_list(ordered)))
            elif kind in ("bullet_list_close", "ordered_list_close"):
                lists.stack.pop()
            elif kind == "list_item_open":
                lists.item_starts = True
            elif kind == "table_open":
                end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
                out.append(self._table(tokens[i:end], keep_together="signature-block" in containers))
                i = end + 1
                continue
            elif kind == "container_block_open":
                name = token.info.strip().split()[0]
                if name not in CONTAINERS:
                    raise UnknownBlock(f"unknown block '::: {name}' (known: {', '.join(CONTAINERS)})")
                if name == "page-break":
                    out.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
                containers.append(name)
            elif kind == "container_block_close":
                containers.pop()
            elif kind == "blockquote_open":
                quote_depth += 1
            elif kind == "blockquote_close":
                quote_depth -= 1
            elif kind == "hr":
                out.append(f"<w:p>{self._ppr('Separator')}</w:p>")
            elif kind in ("fence", "code_block"):
                out.extend(self._plain_paragraph("Body Text", line) for line in token.content.rstrip("\n").split("\n"))
            i += 1
        return out

    def _body_paragraph(self, inline: Sequence[Any], containers: list[str], lists: _Lists, quote_depth: int, keep_next: bool) -> str:
        style = "Body Text"
        for name in reversed(containers):
            if CONTAINERS.get(name):
                style = CONTAINERS[name]
                break
        if quote_depth:
            style = "Block Text"
        numbering = ""
        if lists.stack:
            ordered, num_id = lists.stack[-1]
            style = "List Number" if ordered else "List Bullet"
            level = len(lists.stack) - 1
            if lists.item_starts:
                numbering = f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
                lists.item_starts = False
            else:  # a further paragraph of the same item: indented like its text, no number
                numbering = f'<w:ind w:left="{360 * (level + 1)}"/>'
        return self._paragraph(style, inline, keep_next=keep_next, extra_ppr=numbering)

    def _ppr(self, style: str, keep_next: bool = False, extra: str = "") -> str:
        keep = "<w:keepNext/>" if keep_next else ""
        return f'<w:pPr><w:pStyle w:val="{self.styles[style]}"/>{keep}{extra}</w:pPr>'

    def _paragraph(self, style: str, inline: Sequence[Any] | None, keep_next: bool = False, extra_ppr: str = "") -> str:
        return f"<w:p>{self._ppr(style, keep_next, extra_ppr)}{self._runs(inline or [])}</w:p>"

    def _plain_paragraph(self, style: str, text: str) -> str:
        return f"<w:p>{self._ppr(style)}{_run(text, '')}</w:p>"

    # -- tables ---------------------------------------------------------------------------------

    def _table(self, tokens: Sequence[Any], keep_together: bool) -> str:
        rows: list[tuple[bool, list[Sequence[Any]]]] = []
        for index, token in enumerate(tokens):
            if token.type == "tr_open":
                rows.append((False, []))
            elif token.type in ("th_open", "td_open"):
                rows[-1] = (token.type == "th_open", rows[-1][1])
                rows[-1][1].append(tokens[index + 1].children or [])
        columns = max(len(cells) for _, cells in rows)
        widths = _column_widths(rows, columns)
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        body = []
        for row_index, (header, cells) in enumerate(rows):
            last = row_index == len(rows) - 1
            signing_row = keep_together and not header
            # A signature row is tall, its text on the bottom line, so there is room to sign.
            props = "<w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + (SIGNING_ROW_HEIGHT if signing_row else "")
            align = '<w:vAlign w:val="bottom"/>' if signing_row else ""
            style = "Table Heading" if header else "Table Text"
            keep = header or (keep_together and not last)
            tcs = "".join(
                f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/>{align}</w:tcPr>'
                f"{self._paragraph(style, cells[c] if c < len(cells) else [], keep_next=keep and not header)}</w:tc>"
                for c in range(columns)
            )
            body.append(f"<w:tr><w:trPr>{props}</w:trPr>{tcs}</w:tr>")
        look = '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        return (
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{self.styles["Plan Table"]}"/><w:tblW w:w="{TEXT_WIDTH_TWIPS}" w:type="dxa"/>'
            f'<w:tblLayout w:type="fixed"/>{look}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(body)}</w:tbl>'
            # Word needs a paragraph between two tables, and after a table that ends a cell.
            f"<w:p>{self._ppr('Table Text')}</w:p>"
        )

    # -- inline ---------------------------------------------------------------------------------

    def _runs(self, children: Sequence[Any]) -> str:
        out: list[str] = []
        bold = italic = strike = 0
        link: list[str] | None = None
        href = ""
        for child in children:
            kind = child.type
            target = link if link is not None else out
            if kind in ("text", "code_inline"):
                target.append(_run(child.content, self._rpr(bold, italic, strike, link is not None)))
            elif kind == "softbreak":
                target.append(_run(" ", self._rpr(bold, italic, strike, link is not None)))
            elif kind == "hardbreak":
                target.append("<w:r><w:br/></w:r>")
            elif kind == "strong_open":
                bold += 1
            elif kind == "strong_close":
                bold -= 1
            elif kind == "em_open":
                italic += 1
            elif kind == "em_close":
                italic -= 1
            elif kind == "s_open":
                strike += 1
            elif kind == "s_close":
                strike -= 1
            elif kind == "link_open":
                href = str(child.attrs.get("href", ""))
                link = [] if href.startswith(LINK_SCHEMES) else None
            elif kind == "link_close":
                if link is not None:
                    out.append(f'<w:hyperlink r:id="{self.link_id(href)}" w:history="1">{"".join(link)}</w:hyperlink>')
                link = None
            elif kind == "image":
                drawn = self.picture(str(child.attrs.get("src", "")), child.content) if self.picture else None
                target.append(drawn if drawn is not None else _run(child.content, self._rpr(bold, italic, strike, False)))
        return "".join(out)

    def _rpr(self, bold: int, italic: int, strike: int, in_link: bool) -> str:
        style = "Hyperlink" if in_link else "Strong" if bold else "Emphasis" if italic else ""
        parts = [f'<w:rStyle w:val="{self.styles[style]}"/>'] if style else []
        if bold and style != "Strong":
            parts.append("<w:b/>")
        if italic and style != "Emphasis":
            parts.append("<w:i/>")
        if strike:
            parts.append("<w:strike/>")
        return f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""


def _run(text: str, rpr: str) -> str:
    pieces = text.split("\t")
    inner = "<w:tab/>".join(f'<w:t xml:space="preserve">{escape(piece)}</w:t>' if piece else "" for piece in pieces)
    return f"<w:r>{rpr}{inner}</w:r>"


def _column_widths(rows: list[tuple[bool, list[Sequence[Any]]]], columns: int) -> list[int]:
    """Share the text width by how much each column holds, so a long objective gets more room
    than a date, while every column stays wide enough for its longest word (a status or a date
    must never break letter by letter)."""
    weights, minimums = [], []
    for c in range(columns):
        texts = [_plain(cells[c]) for _, cells in rows if c < len(cells)]
        lengths = [len(t) for t in texts]
        weights.append(min(max(sum(lengths) / max(len(lengths), 1), 6.0), 60.0))
        longest_word = max((len(word) for t in texts for word in t.split()), default=1)
        minimums.append(min(TWIPS_PER_CHAR * longest_word + CELL_PADDING_TWIPS, TEXT_WIDTH_TWIPS // 2))
    widths = [0] * columns
    fixed: set[int] = set()
    while True:  # give each column its share; pin those whose share is below their minimum
        free = TEXT_WIDTH_TWIPS - sum(minimums[c] for c in fixed)
        weight = sum(weights[c] for c in range(columns) if c not in fixed) or 1.0
        pinned = False
        for c in range(columns):
            if c not in fixed:
                widths[c] = int(free * weights[c] / weight)
                if widths[c] < minimums[c]:
                    fixed.add(c)
                    pinned = True
        if not pinned or len(fixed) == columns:
            break
    for c in fixed:
        widths[c] = minimums[c]
    widths[-1] += TEXT_WIDTH_TWIPS - sum(widths)
    return widths


def _plain(children: Sequence[Any]) -> str:
    return "".join(c.content for c in children if c.type in ("text", "code_inline"))
