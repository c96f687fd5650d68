"""ECR-R: Experiences in Close Relationships - Revised (Fraley, Waller & Brennan, 2000).

36 ratings from 1 (strongly disagree) to 7 (strongly agree); anxiety and avoidance are each the
mean of 18 items after reverse-keying (8 - rating). Two item orders are in use and the sources
disagree on which the authors' own page uses, so a plan must say
which order its responses follow: ``grouped`` (items 1-18 anxiety, 19-36 avoidance) or
``interleaved`` (odd items avoidance, even items anxiety). Attachment is dimensional: no
categories or cut-offs are derived (Fraley et al., 2015). The repository's
docs/sources/instrument-scoring.md sets out both keys, their sources and why neither is assumed.
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import Instrument, ScoreResult

from ._scales import keyed_mean, ratings_schema

# Item keys per order: (anxiety items, avoidance items, reverse-keyed items), as two public scoring
# implementations that both point to Fraley's ECR-R items page give them (grouped: GitHub
# delphifissure/thegreatmerging config/instruments/ecr_r.json; interleaved: GitHub
# UNCDEPENdLab/dependlab R/score_ecr.R).
KEYS: dict[str, tuple[range, range, set[int]]] = {
    "grouped": (range(1, 19), range(19, 37), {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}),
    "interleaved": (range(2, 37, 2), range(1, 37, 2), {2, 22, 3, 5, 11, 15, 17, 19, 25, 27, 29, 31, 33, 35}),
}


def score(data: Any) -> ScoreResult:
    """Anxiety and avoidance subscale means (1-7) with the published reverse keys."""
    anxiety_items, avoidance_items, reversed_items = KEYS[data["item_order"]]
    ratings = data["responses"]
    return ScoreResult(
        scores={
            "anxiety": keyed_mean(ratings, anxiety_items, reversed_items, 1, 7),
            "avoidance": keyed_mean(ratings, avoidance_items, reversed_items, 1, 7),
        }
    )


ECR_R = Instrument(
    id="ecr-r",
    name="Experiences in Close Relationships - Revised (ECR-R)",
    citation="Fraley, R. C., Waller, N. G., & Brennan, K. A. (2000). An item response theory analysis of self-report "
    "measures of adult attachment. Journal of Personality and Social Psychology, 78(2), 350-365.",
    licence="Scoring key only: the item text's licence for redistribution is unconfirmed, so txplan does not ship it; "
    "administer the items from the authors' published source.",
    schema={
        "type": "object",
        "required": ["responses", "item_order"],
        "properties": {
            "responses": ratings_schema(36, 1, 7, "ECR-R answers, 1 (strongly disagree) to 7 (strongly agree):"),
            "item_order": {
                "type": "string",
                "enum": ["grouped", "interleaved"],
                "description": "The item order the responses follow: 'grouped' (items 1-18 anxiety, 19-36 avoidance) or "
                "'interleaved' (odd items avoidance, even items anxiety). Check the form that was used.",
            },
        },
    },
    score=score,
    score_labels={"anxiety": "Anxiety", "avoidance": "Avoidance"},
    interpretation="Subscale means range from 1 to 7; higher means more attachment anxiety or avoidance. "
    "The scales are dimensional: no categories or cut-offs are applied (Fraley et al., 2015).",
)


@hookimpl
def register_instruments(register):
    """Register the ECR-R."""
    register(ECR_R)
