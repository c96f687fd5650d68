"""txplan-pcl5: the PTSD Checklist for DSM-5 (PCL-5) as a txplan instrument plugin.

An example of a third-party plugin, written the way a contributor would write one: an
``Instrument`` with a schema fragment, a pure scoring function, flags and change thresholds,
registered through the ``register_instruments`` hook and declared as a ``txplan`` entry point.

Facts, and where they come from:

- 20 items, each 0 (not at all) to 4 (extremely), about the past month; total 0-80; clusters
  B items 1-5, C items 6-7, D items 8-14, E items 15-20 (Weathers et al., 2013; scoring summary at
  https://comorbidityguidelines.org.au/appendix-s-ptsd-checklist-for-dsm5-pcl5/pcl5-scoring-and-interpretation).
- A provisional diagnosis: a total at or above a cut-point in the range 31-33, or the DSM-5 rule
  with items rated 2 or higher counted as endorsed (at least 1 B, 1 C, 2 D, 2 E); either needs a
  structured interview to confirm; no empirically derived severity ranges (same source).
- Change: the 5-10 / 10-20 point figures often quoted come from the DSM-IV PCL and do not carry
  over, since the PCL-5 has 20 items rated 0-4 (the National Center for PTSD says its scores
  cannot be used interchangeably with the DSM-IV PCL's). The PCL-5 threshold used here is its own:
  a reliable change index of 15 points in one sample of male veterans and 18 in another (Marx et
  al., 2022, Psychological Assessment 34(2):197-203); the lower is marked, and a clinician should
  read it against the population it came from.
- Public domain: created by staff of the US Department of Veterans Affairs National Center for
  PTSD (https://mhscales.com/pcl5). This plugin needs no item text and ships none.
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import ChangeThreshold, FhirMapping, Instrument, ScoreResult

CLUSTERS = {"intrusion": range(1, 6), "avoidance": range(6, 8), "cognition_mood": range(8, 15), "arousal": range(15, 21)}
#: How many endorsed items (rated 2 or more) each cluster needs under the DSM-5 rule.
RULE = {"intrusion": 1, "avoidance": 1, "cognition_mood": 2, "arousal": 2}
LOWEST_CUT_POINT = 31


def score(data: Any) -> ScoreResult:
    """Total and cluster severities; flags for the cut-point and the DSM-5 symptom pattern."""
    answers = data["responses"]
    scores = {"total": sum(answers)}
    flags = []
    endorsed = {}
    for cluster, items in CLUSTERS.items():
        scores[cluster] = sum(answers[i - 1] for i in items)
        endorsed[cluster] = sum(1 for i in items if answers[i - 1] >= 2)
    if scores["total"] >= LOWEST_CUT_POINT:
        flags.append("at_cut_point")
    if all(endorsed[cluster] >= needed for cluster, needed in RULE.items()):
        flags.append("dsm5_pattern")
    return ScoreResult(scores=scores, flags=tuple(flags))


#: How PCL-5 administrations travel as FHIR R4. LOINC (from version 2.75) has a PCL-5 panel,
#: 101697-1, and a score, 101698-9 (loinc.org/101697-1); the item codes of that panel were not
#: checked here, so the items are written with their numbers as linkIds ("1" to "20") and the
#: ratings as integers 0-4, and the cluster scores go in txplan's own code system.
FHIR = FhirMapping(
    form="101697-1",
    form_display="Post traumatic stress disorder checklist - civilian version DSM-5 [PCL-5]",
    items=tuple(str(n) for n in range(1, 21)),
    low=0,
    high=4,
    scores={"total": "101698-9"},
)

PCL5 = Instrument(
    id="pcl-5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    citation="Weathers, F. W., Litz, B. T., Keane, T. M., Palmieri, P. A., Marx, B. P., & Schnurr, P. P. (2013). "
    "The PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD. Blevins, C. A., Weathers, F. W., Davis, M. T., "
    "Witte, T. K., & Domino, J. L. (2015). The Posttraumatic Stress Disorder Checklist for DSM-5 (PCL-5): Development "
    "and initial psychometric evaluation. Journal of Traumatic Stress, 28(6), 489-498.",
    licence="Public domain (a work of the US Department of Veterans Affairs National Center for PTSD).",
    schema={
        "type": "object",
        "required": ["responses"],
        "properties": {
            "responses": {
                "type": "array",
                "description": "PCL-5 answers for the past month, 0 (not at all) to 4 (extremely): 20 ratings, item 1 first.",
                "minItems": 20,
                "maxItems": 20,
                "items": {"type": "integer", "minimum": 0, "maximum": 4, "description": "A rating from 0 to 4."},
            }
        },
    },
    score=score,
    score_labels={
        "total": "Total",
        "intrusion": "Intrusion (B)",
        "avoidance": "Avoidance (C)",
        "cognition_mood": "Cognition and mood (D)",
        "arousal": "Arousal and reactivity (E)",
    },
    flags={
        "at_cut_point": "PCL-5 total is at or above the suggested cut-point range (31-33): PTSD is probable and needs "
        "a structured interview to confirm.",
        "dsm5_pattern": "PCL-5 answers follow the DSM-5 symptom pattern (items rated 2 or more in every cluster): "
        "a provisional PTSD diagnosis to confirm with a structured interview.",
    },
    thresholds=(
        ChangeThreshold("total", 15, "reliable change", "Marx, B. P., Lee, D. J., Norman, S. B., Bovin, M. J., Sloan, D. M., "
                        "Weathers, F. W., Keane, T. M., & Schnurr, P. P. (2022). Reliable and clinically significant change in "
                        "the Clinician-Administered PTSD Scale for DSM-5 and PTSD Checklist for DSM-5 among male veterans. "
                        "Psychological Assessment, 34(2), 197-203 (15 and 18 points in two samples)"),
    ),
    fhir=FHIR,
    interpretation="Total 0-80; no empirically derived severity ranges. Cut-point range 31-33 for probable PTSD.",
)


@hookimpl
def register_instruments(register):  # type: ignore[no-untyped-def]
    """Register the PCL-5."""
    register(PCL5)
