"""What a score chart shows, worked out without drawing anything: for every instrument given at
least twice, its scores over time, the instrument's bands, the published change thresholds
counted from the baseline, and the targets of measured objectives, with alt text that states the
values.

The render context carries these as ``charts`` (by instrument id) and each progress table as
``table.chart``; a template places a chart with ``![alt](chart:<id>)`` after the table. Drawing
(matplotlib, an optional extra) happens only in the formats that show pictures, in
:mod:`txplan.plugins.formats.chart_images`; the Markdown format leaves the reference out.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .contracts import Instrument
from .measures import exact, number, scored_administrations, short_name

#: How a template refers to a chart: ``![alt](chart:phq-9)``, on a line of its own.
CHART_SCHEME = "chart:"
CHART_REFERENCE = re.compile(r"^!\[[^\n]*\]\(chart:[a-z0-9][a-z0-9-]*\)[ \t]*$", re.MULTILINE)

#: Colours used where a pack sets none (pack.yaml ``charts.colours``).
DEFAULT_COLOURS: dict[str, Any] = {
    "series": ["#1f4e79", "#c0504d", "#4f8a3c", "#7a4f9a", "#b8860b", "#2a7f8f", "#8c564b", "#555555"],
    "bands": ["#eef5ea", "#f7f5e4", "#fbeee0", "#f8e3e1", "#f1dcea"],
    "threshold": "#6b6b6b",
    "target": "#2e7d32",
}


@dataclass(frozen=True)
class Series:
    """One line: a score's values, by administration date (ISO), oldest first."""

    label: str
    points: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Band:
    """A severity band of the charted score: ``low`` to ``high`` inclusive."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A horizontal line: a change threshold from the baseline (``kind`` ``threshold``) or an
    objective's target (``target``)."""

    value: float
    label: str
    kind: str


@dataclass(frozen=True)
class ChartSpec:
    """Everything one chart shows, and its alt text."""

    id: str
    title: str
    series: tuple[Series, ...]
    bands: tuple[Band, ...]
    markers: tuple[Marker, ...]
    alt: str


@dataclass(frozen=True)
class ChartSettings:
    """A pack's chart settings (``charts`` in pack.yaml, merged along the pack chain)."""

    enabled: bool
    colours: Mapping[str, Any]


def chart_settings(pack: Any) -> ChartSettings:
    """The charts settings of ``pack``: the most specific pack that sets a key wins."""
    enabled, colours = True, dict(DEFAULT_COLOURS)
    for member in reversed(pack.chain()):
        settings = member.manifest.get("charts") or {}
        if "enabled" in settings:
            enabled = bool(settings["enabled"])
        colours.update(settings.get("colours") or {})
    return ChartSettings(enabled, colours)


def build_charts(
    assessments: Sequence[Mapping[str, Any]],
    instruments: Mapping[str, Instrument],
    goals: Sequence[Mapping[str, Any]],
    labels: Mapping[str, Any],
) -> dict[str, ChartSpec]:
    """A chart for every instrument given at least twice with scores, by instrument id, in the
    order of the instruments (as the progress tables are)."""
    charts = {}
    for instrument_id, instrument in instruments.items():
        given = scored_administrations(assessments, instrument_id)
        if len(given) < 2:
            continue
        series = _series(instrument, given)
        bands = _bands(instrument, series)
        markers = _thresholds(instrument, given, labels) + _targets(instrument, goals, labels)
        title = f"{short_name(instrument)}: {_label(labels, 'chart_title', 'scores over time')}"
        charts[instrument_id] = ChartSpec(instrument_id, title, series, bands, markers, _alt(title, series, bands, markers, labels))
    return charts


def _series(instrument: Instrument, given: list[Mapping[str, Any]]) -> tuple[Series, ...]:
    """One series per score. A score summarising a set of parts (``computed_from``, such as the
    ECR-RS means over the relationships rated) is split by that set, so that a line never joins
    values that are not comparable; per-relationship scores are lines of their own."""
    lines: dict[tuple[str, str | None], list[tuple[str, float]]] = {}
    for assessment in given:
        result = assessment["score_result"]
        for name, value in result.scores.items():
            lines.setdefault((name, result.computed_from.get(name)), []).append((assessment["date"], float(value)))
    declared = list(instrument.score_labels)
    order = sorted(lines, key=lambda key: (declared.index(key[0]) if key[0] in declared else len(declared), key[0], key[1] or ""))
    bases = {name: {basis for n, basis in lines if n == name} for name, _ in lines}
    out = []
    for name, basis in order:
        label = instrument.label(name)
        if basis is not None and (len(bases[name]) > 1 or basis != "global"):
            label = f"{label} ({basis.replace('+', ', ')})"
        out.append(Series(label, tuple(lines[(name, basis)])))
    return tuple(out)


def _bands(instrument: Instrument, series: tuple[Series, ...]) -> tuple[Band, ...]:
    """The instrument's bands, when it charts one score that has them."""
    if len(series) != 1:
        return ()
    for score, bands in instrument.bands.items():
        if instrument.label(score) == series[0].label:
            return tuple(Band(float(low), float(high), label) for low, high, label in bands)
    return ()


def _thresholds(instrument: Instrument, given: list[Mapping[str, Any]], labels: Mapping[str, Any]) -> tuple[Marker, ...]:
    """Each published change threshold as the value it takes from the baseline, in the direction
    of improvement (a PHQ-9 baseline of 12 and a 5-point threshold: a line at 7)."""
    markers = []
    for threshold in instrument.thresholds:
        baseline = next((a["score_result"].scores[threshold.score] for a in given if threshold.score in a["score_result"].scores), None)
        if baseline is None:
            continue
        sign = -1 if threshold.better == "lower" else 1
        value = exact(baseline) + sign * exact(threshold.points)
        wording = _translated(labels, threshold.label)
        from_baseline = _label(labels, "from_baseline", "from baseline")
        markers.append(Marker(float(value), f"{wording}: {_signed(sign, threshold.points)} {from_baseline} ({number(value)})", "threshold"))
    return tuple(markers)


def _targets(instrument: Instrument, goals: Sequence[Mapping[str, Any]], labels: Mapping[str, Any]) -> tuple[Marker, ...]:
    """The target of every objective measured with this instrument, as a line at its value."""
    markers = []
    for goal in goals:
        for objective in goal.get("objectives") or []:
            measure = objective.get("measure")
            if not measure or measure.get("instrument") != instrument.id:
                continue
            bound, sign = (measure["at_most"], "\u2264") if measure.get("at_most") is not None else (measure["at_least"], "\u2265")
            target = _label(labels, "target", "target")
            markers.append(Marker(float(bound), f"{target} {objective['id']}: {instrument.label(measure['score'])} {sign} {number(bound)}", "target"))
    return tuple(markers)


def _alt(title: str, series: tuple[Series, ...], bands: tuple[Band, ...], markers: tuple[Marker, ...], labels: Mapping[str, Any]) -> str:
    """The chart in words: every value with its date, then the bands and lines drawn."""
    parts = [f"{title}."]
    for line in series:
        values = ", ".join(f"{number(value)} ({date})" for date, value in line.points)
        parts.append(f"{line.label}: {values}.")
    if bands:
        shaded = _label(labels, "chart_bands", "Bands")
        parts.append(f"{shaded}: " + ", ".join(f"{number(b.low)}-{number(b.high)} {b.label}" for b in bands) + ".")
    parts.extend(f"{marker.label[:1].upper()}{marker.label[1:]}." for marker in markers)
    return " ".join(parts)


def _signed(sign: int, points: float) -> str:
    mark = "+" if sign > 0 else "\u2212"
    return f"{mark}{number(exact(points))}"


def _label(labels: Mapping[str, Any], key: str, fallback: str) -> str:
    value = labels.get(key)
    return value if isinstance(value, str) else fallback


def _translated(labels: Mapping[str, Any], wording: str) -> str:
    table = labels.get("threshold_labels")
    return table[wording] if isinstance(table, Mapping) and isinstance(table.get(wording), str) else wording



def without_chart_references(markdown: str) -> str:
    """``markdown`` without its chart references (and the blank line each leaves), for a format
    that shows no pictures or a document whose charts are off."""
    if CHART_SCHEME not in markdown:
        return markdown
    return re.sub(r"\n*" + CHART_REFERENCE.pattern.lstrip("^").rstrip("$") + r"(?=\n|$)", "", markdown, flags=re.MULTILINE)


def charts_available() -> bool:
    """Whether matplotlib is installed, so that charts can be drawn (found without importing it)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def charts_status() -> str:
    """One line for ``txplan plugins``: whether score charts are drawn, and how to turn them on."""
    if not charts_available():
        return "score charts: off (matplotlib is not installed; pip install 'txplan[charts]' to draw them)"
    from importlib import metadata

    try:
        version = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        version = "?"
    return f"score charts: on (matplotlib {version}); a pack turns them off with charts: {{enabled: false}}"
