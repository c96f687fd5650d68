"""What standardised measures add to a plan's render context: each administration's results,
progress across administrations against the instrument's published change thresholds, safety
alerts, and the status of objectives tied to a score. Scoring itself belongs to the instrument
plugins; this module only arranges what they return."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from .contracts import ChangeThreshold, Instrument, ScoreResult

TWO_PLACES = Decimal("0.01")


def short_name(instrument: Instrument) -> str:
    """The instrument's abbreviation: the parenthesised end of its name, or its id."""
    match = re.search(r"\(([^()]+)\)\s*$", instrument.name)
    return match.group(1) if match else instrument.id.upper()


def exact(value: float | Decimal | Fraction) -> Decimal:
    """``value`` as the decimal it stands for: a float's shortest round-tripping text (4.125, not
    the binary 4.12499999...), so that rounding it half up is rounding what the scorer meant. (A
    fraction, which a plugin may return for an exact mean, is divided out to 28 digits.)"""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value))


def rounded(value: float | Decimal) -> Decimal:
    """``value`` rounded half up to two decimals, as a clinician scoring by hand rounds (4.125 ->
    4.13, not the 4.12 of round-half-even on a binary float)."""
    value = exact(value)
    with localcontext() as context:  # a plan's own number (a target of 1e300) must not overflow
        context.prec = max(28, value.adjusted() + 4)
        return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def number(value: float | Decimal) -> str:
    """A score as people read it: rounded half up to two decimals, trailing zeros dropped
    (whole numbers plainly), a true minus sign (as in print)."""
    shown = rounded(value)
    if shown == 0:
        return "0"
    text = format(abs(shown), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("\u2212" if shown < 0 else "") + text


def signed(value: float | Decimal) -> str:
    """A change with its sign (a true minus sign, as in print); ``0`` when it rounds to nothing."""
    shown = rounded(value)
    if shown == 0:
        return "0"
    return ("+" if shown > 0 else "\u2212") + number(abs(shown))


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
    """For each instrument given more than once: dates, scores and change, with the published
    thresholds each change meets.

    Like is compared with like. A score an administration does not give has an empty cell (an
    ECR-RS without a mother rating). A score's change is from the first administration that
    gave it (``since`` names that date when it is not the table's first row); a score computed
    from a set of parts (``ScoreResult.computed_from``) is compared only with an administration
    computed from the same parts, and is marked ``not_comparable`` where there is none."""
    tables = []
    for instrument_id, instrument in instruments.items():
        given = scored_administrations(assessments, instrument_id)
        if len(given) < 2:
            continue
        names = _score_names(instrument, [a["score_result"] for a in given])
        rows = [_row(instrument, names, given, index) for index in range(len(given))]
        tables.append(
            {
                "id": instrument_id,
                "instrument": instrument.name,
                "short_name": short_name(instrument),
                "scores": [instrument.label(n) for n in names],
                "rows": rows,
                "thresholds": [
                    {
                        "points": number(t.points),
                        "label": t.label,
                        "worse_label": t.worse_label,
                        "citation": t.citation,
                        "score": instrument.label(t.score),
                    }
                    for t in instrument.thresholds
                ],
                "codes": [f"{instrument.label(k)}: {v}" for k, v in instrument.codes.items()],
                "has_severity": any(row["severity"] for row in rows),
            }
        )
    return tables


def scored_administrations(assessments: Sequence[Mapping[str, Any]], instrument_id: str) -> list[Mapping[str, Any]]:
    """The administrations of ``instrument_id`` that gave scores, oldest first."""
    return sorted(
        (a for a in assessments if a.get("instrument") == instrument_id and a.get("score_result") and a["score_result"].scores),
        key=lambda a: a["date"],
    )


def _score_names(instrument: Instrument, results: list[ScoreResult]) -> list[str]:
    """Every score any administration gives, in the instrument's declared order (then in order
    of first appearance for any it does not declare)."""
    seen: dict[str, None] = {}
    for result in results:
        seen.update(dict.fromkeys(result.scores))
    declared = list(instrument.score_labels)
    return sorted(seen, key=lambda n: (declared.index(n), 0) if n in declared else (len(declared), list(seen).index(n)))


def _row(instrument: Instrument, names: list[str], given: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """One administration's row: a cell per score and the thresholds its changes meet."""
    assessment = given[index]
    result: ScoreResult = assessment["score_result"]
    cells, marks = [], []
    for name in names:
        value = result.scores.get(name)
        cell: dict[str, Any] = {"value": "" if value is None else number(value), "change": "", "since": None, "not_comparable": None}
        cells.append(cell)
        earlier = [a for a in given[:index] if name in a["score_result"].scores]
        if value is None or not earlier:
            continue
        basis = result.computed_from.get(name)
        comparable = [a for a in earlier if a["score_result"].computed_from.get(name) == basis]
        if not comparable:
            cell["not_comparable"] = instrument.computed_from_kind
            continue
        reference = comparable[0]
        change = exact(value) - exact(reference["score_result"].scores[name])
        cell["change"] = signed(change)
        cell["since"] = reference["date"] if reference is not given[0] else None
        marks.extend(_marks(instrument, name, change))
    return {"date": assessment["date"], "severity": result.severity, "cells": cells, "marks": marks}


def _marks(instrument: Instrument, score: str, change: Decimal) -> list[dict[str, Any]]:
    """What a change in ``score`` amounts to, once: the largest published threshold it meets,
    named for its direction (``label`` for improvement, ``worse_label`` for deterioration, with
    ``worse`` true), with its ``points`` and the ``score``'s name. Thresholds of the same size
    with different wording are all given. A rise of 6 on the PHQ-9 is "reliable deterioration
    (>= 6 points)", not also the 5-point threshold it necessarily passes on the way; the table's
    footnote lists every threshold with its source."""
    met: list[tuple[Decimal, ChangeThreshold, bool]] = []
    for threshold in instrument.thresholds:
        if threshold.score != score:
            continue
        points = exact(threshold.points)
        improvement = -change if threshold.better == "lower" else change
        if improvement >= points:
            met.append((points, threshold, False))
        elif -improvement >= points:
            met.append((points, threshold, True))
    if not met:
        return []
    largest = max(points for points, _, _ in met)
    return [
        {
            "score": instrument.label(score),
            "label": threshold.worse_label if worse else threshold.label,
            "points": number(points),
            "worse": worse,
        }
        for points, threshold, worse in met
        if points == largest
    ]


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
