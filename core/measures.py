"""What standardised measures add to a plan's render context: each administration's results,
progress across administrations against the instrument's published change thresholds, safety
alerts, and the status of objectives tied to a score. Scoring itself belongs to the instrument
plugins; this module only arranges what they return."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .contracts import Instrument, ScoreResult


def short_name(instrument: Instrument) -> str:
    """The instrument's abbreviation: the parenthesised end of its name, or its id."""
    match = re.search(r"\(([^()]+)\)\s*$", instrument.name)
    return match.group(1) if match else instrument.id.upper()


def number(value: float) -> str:
    """A score as people read it: whole numbers plainly, means to at most two decimals, a true
    minus sign (as in print)."""
    text = str(int(abs(value))) if float(value).is_integer() else f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return ("\u2212" if value < 0 else "") + text


def signed(value: float) -> str:
    """A change with its sign (a true minus sign, as in print)."""
    if value == 0:
        return "0"
    return ("+" if value > 0 else "\u2212") + number(abs(value))


def add_results(assessments: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> None:
    """Score each instrument administration and add ``result`` (the ScoreResult) and
    ``display_result`` (the result in words, with the instrument's interpretation note)."""
    for assessment in assessments:
        instrument = instruments.get(assessment.get("instrument"))
        if instrument is None:
            assessment["display_name"] = assessment.get("name")
            assessment["display_result"] = assessment.get("result")
            assessment["flags"] = []
            continue
        result = instrument.score(assessment)
        assessment["display_name"] = instrument.name
        assessment["score_result"] = result
        words = result.summary or "; ".join(f"{instrument.label(k)} {number(v)}" for k, v in result.scores.items())
        if result.severity:
            words += f" ({result.severity})"
        if result.details:
            words += "; " + "; ".join(result.details)
        assessment["display_result"] = words
        assessment["interpretation"] = instrument.interpretation or None
        assessment["flags"] = [instrument.flags.get(flag, flag) for flag in result.flags]


def alerts(assessments: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> list[dict[str, Any]]:
    """Every flag raised by any administration, most recent first."""
    found = []
    for assessment in assessments:
        instrument = instruments.get(assessment.get("instrument"))
        for message in assessment.get("flags") or []:
            found.append({"date": assessment["date"], "instrument": short_name(instrument) if instrument else "", "message": message})
    return sorted(found, key=lambda a: a["date"], reverse=True)


def progress(assessments: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> list[dict[str, Any]]:
    """For each instrument given more than once: dates, scores and change from the first
    (baseline) administration, with the published thresholds each change meets."""
    tables = []
    for instrument_id, instrument in instruments.items():
        given = sorted((a for a in assessments if a.get("instrument") == instrument_id and a.get("score_result")), key=lambda a: a["date"])
        if len(given) < 2 or not given[0]["score_result"].scores:
            continue
        names = list(given[0]["score_result"].scores)
        baseline: ScoreResult = given[0]["score_result"]
        rows = []
        for index, assessment in enumerate(given):
            result: ScoreResult = assessment["score_result"]
            cells, marks = [], []
            for name in names:
                value = result.scores[name]
                change = value - baseline.scores[name]
                cells.append({"value": number(value), "change": "" if index == 0 else signed(change)})
                if index:
                    marks.extend(_marks(instrument, name, change))
            rows.append({"date": assessment["date"], "severity": result.severity, "cells": cells, "marks": marks})
        tables.append(
            {
                "instrument": instrument.name,
                "short_name": short_name(instrument),
                "scores": [instrument.label(n) for n in names],
                "rows": rows,
                "thresholds": [
                    {"points": number(t.points), "label": t.label, "citation": t.citation, "score": instrument.label(t.score)}
                    for t in instrument.thresholds
                ],
                "codes": [f"{instrument.label(k)}: {v}" for k, v in instrument.codes.items()],
                "has_severity": any(row["severity"] for row in rows),
            }
        )
    return tables


def _marks(instrument: Instrument, score: str, change: float) -> list[dict[str, Any]]:
    """The thresholds a change meets: ``label`` and ``points``, and ``worse`` when it is a
    change for the worse of that size (templates word them, so packs can translate)."""
    marks = []
    for threshold in instrument.thresholds:
        if threshold.score != score:
            continue
        improved = -change if threshold.better == "lower" else change
        if improved >= threshold.points:
            marks.append({"label": threshold.label, "points": number(threshold.points), "worse": False})
        elif -improved >= threshold.points:
            marks.append({"label": threshold.label, "points": number(threshold.points), "worse": True})
    return marks


def objective_status(objective: dict[str, Any], assessments: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> dict[str, Any] | None:
    """For an objective with a ``measure``: ``state`` (``met``, ``not_met`` or ``no_data``) from
    the latest administration after the baseline, with the value and date it rests on."""
    measure = objective.get("measure")
    if not measure:
        return None
    instrument = instruments.get(measure["instrument"])
    given = sorted((a for a in assessments if a.get("instrument") == measure["instrument"] and a.get("score_result")), key=lambda a: a["date"])
    target = f"\u2264 {number(measure['at_most'])}" if measure.get("at_most") is not None else f"\u2265 {number(measure['at_least'])}"
    described = {
        "instrument": short_name(instrument) if instrument else measure["instrument"],
        "score": instrument.label(measure["score"]) if instrument else measure["score"],
        "target": target,
    }
    if len(given) < 2:
        return {"state": "no_data", **described, "value": None, "date": None}
    latest = given[-1]
    value = latest["score_result"].scores.get(measure["score"])
    if value is None:
        return {"state": "no_data", **described, "value": None, "date": None}
    met = value <= measure["at_most"] if measure.get("at_most") is not None else value >= measure["at_least"]
    return {"state": "met" if met else "not_met", **described, "value": number(value), "date": latest["date"]}


def notes(assessments: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> list[dict[str, str]]:
    """The interpretation note of each instrument the plan uses, once each, in first-use order."""
    seen: dict[str, dict[str, str]] = {}
    for assessment in assessments:
        instrument = instruments.get(assessment.get("instrument"))
        if instrument is not None and instrument.interpretation and instrument.id not in seen:
            seen[instrument.id] = {"instrument": short_name(instrument), "text": instrument.interpretation}
    return list(seen.values())
