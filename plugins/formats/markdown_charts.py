"""``txplan render -f markdown --charts``: the Markdown with each score chart written as a PNG
beside it (``plan.phq-9.png`` next to ``plan.md``) and linked where the chart goes, for a chart
system or a repository that shows Markdown with its pictures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from txplan.charts import CHART_REFERENCE, chart_settings, charts_available, without_chart_references


def markdown_with_chart_files(document: Any, markdown_path: Path) -> list[tuple[Path, bytes]]:
    """The Markdown file and one PNG per chart, as (path, bytes) to write together. Where the
    pack turns charts off, the Markdown alone, as ``-f markdown`` writes it."""
    from .chart_images import png

    settings = chart_settings(document.pack)
    markdown = document.markdown
    if not settings.enabled or not charts_available():
        return [(markdown_path, without_chart_references(markdown).encode("utf-8"))]
    charts = document.context.get("charts") or {}
    files: list[tuple[Path, bytes]] = []

    def linked(match: re.Match[str]) -> str:
        reference = match.group(0)
        chart_id = reference[reference.rindex("(chart:") + len("(chart:") : reference.rindex(")")]
        spec = charts.get(chart_id)
        if spec is None:
            return ""
        name = f"{markdown_path.stem}.{chart_id}.png"
        files.append((markdown_path.with_name(name), png(spec, settings.colours)))
        return reference[: reference.rindex("(chart:")] + f"({name})"

    text = CHART_REFERENCE.sub(linked, markdown)
    return [(markdown_path, text.encode("utf-8")), *files]
