"""Turn the rendered plan's Markdown into HTML: the same markdown-it token stream the Word writer
walks, rendered by markdown-it's HTML renderer (raw HTML is off in the parser, so every character
of plan text arrives escaped), with txplan's blocks and accessibility added:

- ``::: note`` / ``::: alert`` / ``::: signature-block`` become ``<div>`` elements of that class;
  ``::: page-break`` an empty ``<div class="page-break">`` the print stylesheet breaks at;
- headings get stable ids (from their text, numbered when repeated); the first ``#`` heading is
  the page's one ``h1``, any later one becomes an ``h2``;
- table header cells get ``scope="col"``;
- ``![alt](chart:<id>)`` on a line of its own becomes the chart as inline SVG in a ``<figure>``
  (when charts are drawn), with the alt text as its accessible name; any other image is its alt
  text, and only ``http``, ``https`` and ``mailto`` links stay links (as in Word).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML

from txplan.charts import CHART_SCHEME

from .wordml.writer import CONTAINERS, LINK_SCHEMES, UnknownBlock, markdown_parser

#: Draws a chart by id as an SVG element, or returns None when it is not drawn.
ChartDrawer = Callable[[str], "str | None"]


class PlanRenderer(RendererHTML):
    """markdown-it's HTML renderer with txplan's blocks, heading ids and table scopes. One
    renderer serves one document: it remembers the ids given and whether the h1 was used."""

    def __init__(self, draw_chart: ChartDrawer) -> None:
        """``draw_chart(id)`` gives the SVG for ``![...](chart:id)``, or None to leave it out."""
        super().__init__()
        self.draw_chart = draw_chart
        self.ids: dict[str, int] = {}
        self.h1_used = False
        self.links: list[bool] = []

    def body(self, markdown: str) -> str:
        """The HTML of ``markdown`` (one section, or several)."""
        parser = markdown_parser()
        tokens = parser.parse(markdown)
        _stand_charts_alone(tokens)
        return self.render(tokens, parser.options, {})

    # -- blocks -----------------------------------------------------------------------------

    def container_block_open(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """A known ``::: name`` block as a classed ``<div>``; an unknown one is refused."""
        name = tokens[idx].info.strip().split()[0]
        if name not in CONTAINERS:
            raise UnknownBlock(f"unknown block '::: {name}' (known: {', '.join(CONTAINERS)})")
        if name == "page-break":
            return '<div class="page-break" aria-hidden="true">\n'
        return f'<div class="{name}">\n'

    def container_block_close(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """The block's closing tag."""
        return "</div>\n"

    def heading_open(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """A heading with a stable id; a second ``h1`` is demoted to ``h2``."""
        token = tokens[idx]
        if token.tag == "h1":
            if self.h1_used:
                token.tag = tokens[idx + 2].tag = "h2"
            self.h1_used = True
        text = "".join(child.content for child in tokens[idx + 1].children or [] if child.type in ("text", "code_inline"))
        return f'<{token.tag} id="{self._unique_id(text)}">'

    def th_open(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """A column header cell, with ``scope`` for screen readers."""
        tokens[idx].attrSet("scope", "col")
        return self.renderToken(tokens, idx, options, env)

    # -- inline -----------------------------------------------------------------------------

    def image(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """A chart reference as its figure; any other image as its alt text (no fetch, ever)."""
        token = tokens[idx]
        src = str(token.attrs.get("src", ""))
        if src.startswith(CHART_SCHEME):
            drawn = self.draw_chart(src[len(CHART_SCHEME):])
            return "" if drawn is None else f'<figure class="chart">{drawn}</figure>'
        return escapeHtml(self.renderInlineAsText(token.children or [], options, env))

    def link_open(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """A web or mail link stays a link; anything else is its text."""
        href = str(tokens[idx].attrs.get("href", ""))
        keep = href.startswith(LINK_SCHEMES)
        self.links.append(keep)
        return f'<a href="{escapeHtml(href)}" rel="noopener noreferrer">' if keep else ""

    def link_close(self, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
        """Closes the link opened, if it was kept."""
        return "</a>" if self.links.pop() else ""

    def _unique_id(self, text: str) -> str:
        slug = re.sub(r"[^\w]+", "-", text.lower()).strip("-_") or "section"
        count = self.ids.get(slug, 0) + 1
        self.ids[slug] = count
        return slug if count == 1 else f"{slug}-{count}"


def _stand_charts_alone(tokens: list[Any]) -> None:
    """A paragraph that holds only a chart reference loses its ``<p>``: the chart is a figure."""
    for index in range(len(tokens) - 2):
        opening, inline = tokens[index], tokens[index + 1]
        if opening.type != "paragraph_open" or inline.type != "inline":
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        if len(children) == 1 and children[0].type == "image" and str(children[0].attrs.get("src", "")).startswith(CHART_SCHEME):
            opening.hidden = tokens[index + 2].hidden = True
