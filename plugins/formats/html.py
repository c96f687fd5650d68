"""The HTML output format: one self-contained page for a patient portal or a chart viewer.

Everything is inside the file: the stylesheet inline, the letterhead logo and the score charts as
``data:`` images and inline SVG. There is no script, and a Content-Security-Policy ``<meta>``
forbids every fetch (``default-src 'none'``), images other than ``data:``, and styles other than
inline ones. The body is built from the same Markdown and markdown-it tokens as the Word output
(see :mod:`.html_body`). Printing uses the pack's page size and margins (from its
``reference.docx``). The same plan, pack and as-of date give the same bytes.

A pack may add its own stylesheet (``html: {stylesheet: style.css}`` in pack.yaml), checked by
:func:`.stylesheet.stylesheet_problems` when the pack is prepared (and by ``txplan pack check``).
"""

from __future__ import annotations

import base64
from typing import Any

from txplan import hookimpl
from txplan.charts import chart_settings, charts_available, without_chart_references
from txplan.contracts import OutputFormat, RenderedDocument
from txplan.errors import PackError

from .stylesheet import MAX_STYLESHEET_BYTES, base_stylesheet, stylesheet_problems

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
LETTERHEAD_SECTION = "letterhead"
TWIPS_PER_MM = 1440 / 25.4
#: Page sizes CSS names, in whole millimetres (width, height).
NAMED_PAGES = {(216, 279): "letter", (210, 297): "A4", (216, 356): "legal"}


def prepare_html(pack: Any) -> tuple[str, str, str]:
    """Check what the HTML format takes from ``pack`` once, before any plan: its stylesheet
    (refused with the reasons when unsafe), its page setup, its language. Returns
    (stylesheet, page size, margins)."""
    return _pack_stylesheet(pack), *_page_setup(pack)


def render_html(document: RenderedDocument) -> bytes:
    """The plan as one self-contained HTML page, byte-identical for the same plan and pack."""
    from .html_body import PlanRenderer
    from .wordml.writer import UnknownBlock

    pack = document.pack
    own_css, page_size, margins = prepare_html(pack)
    draw = _chart_drawer(document)
    renderer = PlanRenderer(draw)
    try:
        letterhead = "".join(renderer.body(s.markdown) for s in document.sections if s.name == LETTERHEAD_SECTION)
        sections = [
            f'<section class="section-{s.name}">\n{renderer.body(s.markdown if draw else without_chart_references(s.markdown))}</section>\n'
            for s in document.sections
            if s.name != LETTERHEAD_SECTION
        ]
    except UnknownBlock as exc:
        raise PackError(f"template pack '{pack.name}': {exc}") from None
    title = _escape(document.title)
    heading = "" if renderer.h1_used else f'<h1 id="title">{title}</h1>\n'
    logo = _logo(pack, document.context.get("letterhead") or {})
    head = "".join(
        [
            "<!DOCTYPE html>\n",
            f'<html lang="{_escape(_language(pack))}">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n',
            '<meta name="referrer" content="no-referrer">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f"<title>{title}</title>\n<style>\n{base_stylesheet(page_size, margins)}</style>\n",
            f"<style>\n{own_css}\n</style>\n" if own_css else "",
            "</head>\n<body>\n<div class=\"page\">\n",
        ]
    )
    header = f'<header class="letterhead">\n{logo}{letterhead}</header>\n' if (logo or letterhead) else ""
    body = f"{header}<main>\n{heading}{''.join(sections)}</main>\n</div>\n</body>\n</html>\n"
    return (head + body).encode("utf-8")


def _chart_drawer(document: RenderedDocument) -> Any:
    """A function drawing the document's charts as SVG, or None when the pack turns charts off
    or matplotlib is not installed (the document then reads as it would without charts)."""

    settings = chart_settings(document.pack)
    charts = document.context.get("charts") or {}
    if not settings.enabled or not charts_available():
        return None

    def draw(chart_id: str) -> str | None:
        from .chart_images import svg

        spec = charts.get(chart_id)
        if spec is None:
            return None
        drawn = svg(spec, settings.colours)
        return drawn.replace("<svg ", f'<svg role="img" aria-label="{_escape(spec.alt)}" ', 1)

    return draw


def _pack_stylesheet(pack: Any) -> str:
    """The stylesheet of the nearest pack that names one, checked."""
    for member in pack.chain():
        relative = (member.manifest.get("html") or {}).get("stylesheet")
        if relative:
            data = member.read_inside(relative, MAX_STYLESHEET_BYTES)
            problems = stylesheet_problems(data)
            if problems:
                raise PackError(f"template pack '{member.name}': stylesheet '{relative}' {'; '.join(problems)}")
            return data.decode("utf-8")
    return ""


def _page_setup(pack: Any) -> tuple[str, str]:
    """The CSS page size and margins of the pack's reference document (the page Word prints)."""
    from .docx import prepare_docx

    section = prepare_docx(pack).prototype.sections[-1]
    width, height = (round(section.page_width / 36000) if section.page_width else 216), (round(section.page_height / 36000) if section.page_height else 279)
    size = NAMED_PAGES.get((width, height)) or f"{width}mm {height}mm"
    margins = [section.top_margin, section.right_margin, section.bottom_margin, section.left_margin]
    css_margins = " ".join(f"{(m or 0) / 36000:.1f}mm".replace(".0mm", "mm") for m in margins)
    return size, css_margins


def _language(pack: Any) -> str:
    """The pack's language (``language`` in pack.yaml, nearest pack first); English otherwise."""
    return next((p.manifest["language"] for p in pack.chain() if p.manifest.get("language")), "en")


def _logo(pack: Any, letterhead: dict[str, Any]) -> str:
    data = pack.logo
    if not data:
        return ""
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    alt = _escape(f"{letterhead.get('name') or pack.name} logo")
    return f'<img src="data:{kind};base64,{base64.b64encode(data).decode("ascii")}" alt="{alt}">\n'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@hookimpl
def register_output_formats(register):  # type: ignore[no-untyped-def]
    """Register ``html`` (alias ``htm``)."""
    register(
        OutputFormat(
            name="html",
            aliases=("htm",),
            extension="html",
            media_type="text/html; charset=utf-8",
            render=render_html,
            prepare=prepare_html,
            description="One self-contained web page (no script, nothing fetched), for a patient portal or a chart viewer",
        )
    )
