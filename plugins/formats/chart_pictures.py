"""Score charts in a Word document: each ``![alt](chart:<id>)`` the body writer meets becomes an
inline picture (a PNG drawn by :mod:`.chart_images`), with the alt text as the picture's
description, which Word reads out to screen-reader users."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from txplan.charts import CHART_SCHEME, chart_settings, charts_available

#: Widest a chart may be: the text width of a US Letter page with one-inch margins.
MAX_WIDTH_INCHES = 6.5
#: Drawing ids for charts start here, clear of those python-docx gives the letterhead logo.
FIRST_DRAWING_ID = 1000


def chart_pictures(word: Any, document: Any) -> Callable[[str, str], str | None] | None:
    """The body writer's ``picture`` callback for ``document``'s charts, or None when the pack
    turns charts off or matplotlib is not installed (the chart references are then left out)."""
    from .chart_images import PNG_DPI

    settings = chart_settings(document.pack)
    charts = document.context.get("charts") or {}
    if not settings.enabled or not charts_available():
        return None
    drawn: list[str] = []

    def picture(src: str, alt: str) -> str | None:
        spec = charts.get(src[len(CHART_SCHEME):]) if src.startswith(CHART_SCHEME) else None
        if spec is None:
            return None
        from docx.shared import Inches
        from lxml import etree

        from .chart_images import png

        data = png(spec, settings.colours)
        width = min(_pixel_width(data) / PNG_DPI, MAX_WIDTH_INCHES)
        inline = word.part.new_pic_inline(io.BytesIO(data), Inches(width), None)
        doc_pr = inline.docPr
        doc_pr.set("id", str(FIRST_DRAWING_ID + len(drawn)))
        doc_pr.set("name", f"Chart {spec.id}")
        doc_pr.set("descr", spec.alt)
        drawn.append(spec.id)
        xml = etree.tostring(inline, encoding="unicode")
        return f"<w:r><w:drawing>{xml}</w:drawing></w:r>"

    return picture


def _pixel_width(png: bytes) -> int:
    """The width of a PNG from its header (IHDR: bytes 16-19)."""
    return int.from_bytes(png[16:20], "big")
