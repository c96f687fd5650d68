"""Pieces the instrument plugins share: the schema of a rating list and the arithmetic of
reversed items, means and bands.

Means are computed exactly (as fractions) and turned into a float once, at the end, so that a
mean whose exact value is 4.125 is the float 4.125 (not 4.124999...) and is shown rounded half
up, as a clinician scoring by hand would round it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any


def ratings_schema(count: int, low: int, high: int, description: str) -> dict[str, Any]:
    """A list of exactly ``count`` whole-number ratings from ``low`` to ``high``, item 1 first.
    Missing answers are not allowed: none of these instruments has a published rule for them."""
    return {
        "type": "array",
        "description": f"{description} {count} ratings from {low} to {high}, item 1 first.",
        "minItems": count,
        "maxItems": count,
        "items": {"type": "integer", "minimum": low, "maximum": high, "description": f"A rating from {low} to {high}."},
    }


#: The PHQ's optional "how difficult have these problems made things" item: recorded, never scored.
DIFFICULTY_ITEM = {"type": "integer", "minimum": 0, "maximum": 3, "description": "The optional difficulty item, 0-3; recorded, never scored."}

#: The PHQ's frequency answers 0-3 as LOINC answer codes (answer list LL358-3) and their names.
FREQUENCY_ANSWERS = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")
FREQUENCY_ANSWER_DISPLAYS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

#: The difficulty item's answers (LOINC answer list LL359-1), shown with the result.
DIFFICULTY_ANSWERS = ("not difficult at all", "somewhat difficult", "very difficult", "extremely difficult")


def difficulty_details(data: Any) -> tuple[str, ...]:
    """The difficulty answer in words, where the administration records one."""
    answer = data.get("difficulty")
    return () if answer is None else (f"difficulty: {DIFFICULTY_ANSWERS[answer]}",)


def reverse(rating: int, low: int, high: int) -> int:
    """A reverse-keyed rating: 1 <-> 7 on a 1-7 scale (``low + high - rating``)."""
    return low + high - rating


def exact_mean(values: Iterable[int | Fraction]) -> Fraction:
    """The arithmetic mean of whole numbers (or exact fractions), as an exact fraction."""
    values = list(values)
    return sum((Fraction(v) for v in values), Fraction(0)) / len(values)


def exact_keyed_mean(ratings: Sequence[int], items: Iterable[int], reversed_items: set[int], low: int, high: int) -> Fraction:
    """Exact mean of the given 1-based ``items``, reversing those in ``reversed_items``."""
    return exact_mean(reverse(ratings[i - 1], low, high) if i in reversed_items else ratings[i - 1] for i in items)


def keyed_mean(ratings: Sequence[int], items: Iterable[int], reversed_items: set[int], low: int, high: int) -> float:
    """Mean of the given 1-based ``items``, reversing those in ``reversed_items``: the float
    nearest the exact mean."""
    return float(exact_keyed_mean(ratings, items, reversed_items, low, high))


def band(total: float, bands: Sequence[tuple[float, float, str]]) -> str:
    """The label of the band ``(low, high, label)`` that holds ``total``."""
    for low, high, label in bands:
        if low <= total <= high:
            return label
    raise ValueError(f"total {total} is outside every band")
