"""Draw a score chart (:class:`txplan.charts.ChartSpec`) as PNG (Word) or SVG (HTML) with
matplotlib's Agg backend.

matplotlib is an optional extra (``pip install txplan[charts]``) and is imported only when a chart
is drawn; :func:`txplan.charts.charts_available` tells the formats (and ``txplan plugins``) whether it can be.
The same chart is drawn to the same bytes every time: no date or software name in the PNG, no
random ids or date in the SVG (``svg.hashsalt`` is the chart's id), one bundled font (DejaVu
Sans, which ships with matplotlib), and no use of the user's matplotlibrc.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from txplan.charts import ChartSpec
from txplan.measures import number

#: The drawing's width in inches (the text width of a Letter or A4 page), and the heights of
#: its parts: the plot, the title above it, the date labels below it (the legend follows).
WIDTH_INCHES, AXES_INCHES, TOP_INCHES, TICKS_INCHES = 6.3, 1.8, 0.35, 0.3
PNG_DPI = 150
#: Threshold lines: dashed, each in its own pattern, so two thresholds are told apart.
_DASHES = [(0, (4, 3)), (0, (1, 2)), (0, (6, 2, 1, 2))]

#: rcParams every chart is drawn with, whatever the user's matplotlibrc says.
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: smaller, selectable, read by screen readers
    "path.simplify": False,
    "figure.dpi": 100,
}


#: matplotlib's settings (rcParams) are global: one chart is drawn at a time, so that a chart
#: drawn in one thread never takes another's settings.
_DRAWING = threading.Lock()


def png(spec: ChartSpec, colours: Mapping[str, Any]) -> bytes:
    """The chart as a PNG, without text chunks that would change between runs."""
    return _draw(spec, _key(colours), "png", (("Software", None),))


def svg(spec: ChartSpec, colours: Mapping[str, Any]) -> str:
    """The chart as an SVG element for inlining in HTML: no XML declaration, DOCTYPE or RDF
    metadata (they name outside addresses and a date), ids unique to this chart."""
    text = _draw(spec, _key(colours), "svg", (("Creator", None), ("Date", None), ("Format", None), ("Type", None))).decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    # An HTML parser puts <svg> in the SVG namespace itself: the namespace declarations only
    # repeat it (and are addresses in the output, which HTML output has none of).
    text = re.sub(r'\s+xmlns(?::xlink)?="[^"]*"', "", text).strip()
    # Ids (figure_1, clip paths, markers) prefixed with the chart's id: several charts share one page.
    prefix = f"chart-{spec.id}-"
    return re.sub(r'(id="|href="#|url\(#)([^"()]+)', lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)


@lru_cache(maxsize=64)
def _draw(spec: ChartSpec, colours: tuple[tuple[str, Any], ...], kind: str, metadata: tuple[tuple[str, Any], ...]) -> bytes:
    """The chart drawn once per process for each spec, colours and kind: a document rendered to
    Word and HTML, or a batch re-rendering the same plan, draws it once."""
    import matplotlib
    from matplotlib.figure import Figure

    style = {**_STYLE, "svg.hashsalt": f"txplan-{spec.id}"}
    with _DRAWING, matplotlib.rc_context(style):
        # A Figure of its own, not pyplot's: no global figure list, no GUI backend, no leak.
        entries = len(spec.series) + len(spec.markers)
        columns = 1 if max(len(label) for label in _legend_labels(spec)) > 45 else 2
        legend_inches = 0.12 + 0.18 * -(-entries // columns)
        height = AXES_INCHES + TOP_INCHES + TICKS_INCHES + legend_inches
        figure = Figure(figsize=(WIDTH_INCHES, height))
        axes = figure.subplots()
        right = (1.05 if spec.bands else 0.2) / WIDTH_INCHES
        figure.subplots_adjust(left=0.5 / WIDTH_INCHES, right=1 - right, top=1 - TOP_INCHES / height, bottom=(TICKS_INCHES + legend_inches) / height)
        _plot(axes, spec, dict(colours), columns, 1 - TOP_INCHES / 2 / height)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=kind, dpi=PNG_DPI, metadata=dict(metadata))
    return buffer.getvalue()


def _key(colours: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((name, tuple(value) if isinstance(value, list) else value) for name, value in colours.items()))


def _legend_labels(spec: ChartSpec) -> list[str]:
    return [line.label for line in spec.series] + [marker.label for marker in spec.markers]


def _plot(axes: Any, spec: ChartSpec, colours: Mapping[str, Any], columns: int, title_y: float) -> None:
    dates = sorted({date for line in spec.series for date, _ in line.points})
    x_of = {date: dt.date.fromisoformat(date).toordinal() for date in dates}
    values = [value for line in spec.series for _, value in line.points] + [marker.value for marker in spec.markers]
    low, high = _y_range(spec, values)
    span = max(x_of[dates[-1]] - x_of[dates[0]], 1)
    left, right = x_of[dates[0]] - span * 0.06, x_of[dates[-1]] + span * 0.06
    band_colours = list(colours["bands"])
    for index, band in enumerate(spec.bands):
        bottom = band.low if index == 0 else (spec.bands[index - 1].high + band.low) / 2
        top = band.high if index == len(spec.bands) - 1 else (band.high + spec.bands[index + 1].low) / 2
        axes.axhspan(bottom, top, color=band_colours[index % len(band_colours)], zorder=0, linewidth=0)
        if bottom < high and top > low:
            middle = (max(bottom, low) + min(top, high)) / 2
            axes.text(1.005, middle, _plain(band.label), transform=axes.get_yaxis_transform(), va="center", ha="left", fontsize=7, color="#555555")
    series_colours = list(colours["series"])  # a tuple once cached
    for index, line in enumerate(spec.series):
        xs = [x_of[date] for date, _ in line.points]
        ys = [value for _, value in line.points]
        colour = series_colours[index % len(series_colours)]
        axes.plot(xs, ys, color=colour, marker="o", markersize=4, linewidth=1.8, zorder=3, label=_plain(line.label))
        for x, y in zip(xs, ys):
            axes.annotate(number(y), (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7.5, color=colour, zorder=4)
    dashes = iter(_DASHES * len(spec.markers))
    for marker in spec.markers:
        target = marker.kind == "target"
        colour = colours["target"] if target else colours["threshold"]
        style = "-" if target else next(dashes)
        axes.axhline(marker.value, color=colour, linestyle=style, linewidth=1.1 if target else 0.9, zorder=1, label=_plain(marker.label))
    axes.set_xlim(left, right)
    axes.set_ylim(low, high)
    axes.set_xticks([x_of[date] for date in dates] if len(dates) <= 8 else _spread(dates, x_of))
    axes.set_xticklabels(dates if len(dates) <= 8 else [d for d in dates if x_of[d] in _spread(dates, x_of)], fontsize=7.5)
    # A figure text, not an axes title: matplotlib places a title by measuring every tick label.
    axes.figure.text(0.5 / WIDTH_INCHES, title_y, _plain(spec.title), fontsize=10, ha="left", va="center")
    axes.grid(axis="y", color="#dddddd", linewidth=0.6, zorder=0.5)
    offset = -TICKS_INCHES / AXES_INCHES
    axes.legend(loc="upper left", bbox_to_anchor=(-0.02, offset), ncol=columns, fontsize=7, frameon=False, borderaxespad=0)


def _plain(text: str) -> str:
    """``text`` as matplotlib must show it literally: a ``$`` would start mathematics (and a
    formula it cannot parse would fail the document), a leading ``_`` would hide a legend entry."""
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _y_range(spec: ChartSpec, values: list[float]) -> tuple[float, float]:
    """The bands' whole range where there are bands (a PHQ-9 chart always shows 0 to 27), else
    the values and lines with a margin."""
    if spec.bands:
        return min(spec.bands[0].low, *values), max(spec.bands[-1].high, *values)
    low, high = min(values), max(values)
    margin = max((high - low) * 0.15, 0.5)
    return low - margin, high + margin


def _spread(dates: list[str], x_of: Mapping[str, int]) -> list[int]:
    """At most eight dates to label, evenly picked, first and last included."""
    step = (len(dates) - 1) / 7
    return sorted({x_of[dates[round(i * step)]] for i in range(8)})
