"""The Markdown output format: the rendered sections as they are, for the chart."""

from __future__ import annotations

from txplan import hookimpl
from txplan.charts import without_chart_references
from txplan.contracts import OutputFormat, RenderedDocument


def render_markdown(document: RenderedDocument) -> bytes:
    """The document's Markdown, UTF-8 encoded, ending in one newline. Score charts are pictures:
    the Markdown keeps the progress tables they draw and leaves out their ``chart:`` references."""
    return without_chart_references(document.markdown).encode("utf-8")


@hookimpl
def register_output_formats(register):  # type: ignore[no-untyped-def]
    """Register ``markdown`` (alias ``md``)."""
    register(
        OutputFormat(
            name="markdown",
            aliases=("md",),
            extension="md",
            media_type="text/markdown; charset=utf-8",
            render=render_markdown,
            description="Markdown (CommonMark with tables), for the chart or any text editor",
        )
    )
