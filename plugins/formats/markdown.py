"""The Markdown output format: the rendered sections as they are, for the chart; with
``txplan render --charts``, each score chart also as a PNG file beside the ``.md``, linked."""

from __future__ import annotations

import re

from txplan import hookimpl
from txplan.charts import CHART_REFERENCE, CHART_SCHEME, chart_settings, charts_available, without_chart_references
from txplan.contracts import OutputFormat, RenderedDocument


def render_markdown(document: RenderedDocument) -> bytes:
    """The document's Markdown, UTF-8 encoded, ending in one newline. Score charts are pictures:
    the Markdown keeps the progress tables they draw and leaves out their ``chart:`` references."""
    return without_chart_references(document.markdown).encode("utf-8")


def markdown_with_chart_files(document: RenderedDocument, state: object, stem: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The Markdown with each chart reference pointing at a PNG of the chart (``<stem>.<id>.png``,
    its alt text kept), and those PNGs by file name. Where the pack turns charts off (or
    matplotlib is missing), the Markdown as :func:`render_markdown` gives it, and no files."""
    settings = chart_settings(document.pack)
    if not settings.enabled or not charts_available():
        return render_markdown(document), []
    from .chart_images import png

    charts = document.context.charts
    files: dict[str, bytes] = {}

    def linked(match: re.Match[str]) -> str:
        reference = match.group(0).rstrip()
        start = reference.rindex("(" + CHART_SCHEME)
        chart_id = reference[start + 1 + len(CHART_SCHEME) : -1]
        spec = charts.get(chart_id)
        if spec is None:  # a reference to an instrument without a chart: nothing to show
            return match.group(0)
        name = f"{stem}.{chart_id}.png"
        if name not in files:
            files[name] = png(spec, settings.colours)
        return f"{reference[:start]}({name})"

    # A reference left unlinked (no such chart) is then dropped, as render_markdown drops it.
    text = without_chart_references(CHART_REFERENCE.sub(linked, document.markdown))
    return text.encode("utf-8"), list(files.items())


@hookimpl
def register_output_formats(register):
    """Register ``markdown`` (alias ``md``)."""
    register(
        OutputFormat(
            name="markdown",
            aliases=("md",),
            extension="md",
            media_type="text/markdown; charset=utf-8",
            render=render_markdown,
            companions=markdown_with_chart_files,
            description="Markdown (CommonMark with tables), for the chart or any text editor; with --charts, its score charts as PNG files beside it",
        )
    )
