"""GAD-7: Generalized Anxiety Disorder seven-item scale (Spitzer, Kroenke, Williams & Löwe, 2006).

Seven items scored 0-3 over the last two weeks; total 0-21 with cut-points 5, 10 and 15
(Spitzer et al., 2006).
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import ChangeThreshold, FhirMapping, Instrument, ScoreResult

from ._scales import DIFFICULTY_ITEM, FREQUENCY_ANSWER_DISPLAYS, FREQUENCY_ANSWERS, band, difficulty_details, ratings_schema

#: LOINC: panel 69737-5, items 69725-0 ... 69736-7 in the form's order, answers from list LL358-3,
#: total 70274-6 (loinc.org/69737-5). No LOINC code for the GAD-7's own difficulty item was
#: confirmed, so that item is written in txplan's code system (linkId ``difficulty``).
FHIR = FhirMapping(
    form="69737-5",
    form_display="Generalized anxiety disorder 7 item (GAD-7)",
    items=("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"),
    item_system="http://loinc.org",
    answers=FREQUENCY_ANSWERS,
    answer_displays=FREQUENCY_ANSWER_DISPLAYS,
    scores={"total": "70274-6"},
    extras={"difficulty": ("difficulty", ())},
)

BANDS = ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe"))


def score(data: Any) -> ScoreResult:
    """Total, severity band, and the difficulty answer where recorded."""
    total = sum(data["responses"])
    return ScoreResult(scores={"total": total}, severity=band(total, BANDS), details=difficulty_details(data))


GAD7 = Instrument(
    id="gad-7",
    name="Generalized Anxiety Disorder scale (GAD-7)",
    citation="Spitzer, R. L., Kroenke, K., Williams, J. B. W., & Löwe, B. (2006). A brief measure for assessing "
    "generalized anxiety disorder: the GAD-7. Archives of Internal Medicine, 166(10), 1092-1097.",
    licence="Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant "
    "from Pfizer Inc. No permission required to reproduce, translate, display or distribute.",
    schema={
        "type": "object",
        "required": ["responses"],
        "properties": {
            "responses": ratings_schema(7, 0, 3, "GAD-7 answers, 0 (not at all) to 3 (nearly every day):"),
            "difficulty": DIFFICULTY_ITEM,
        },
    },
    score=score,
    bands={"total": BANDS},
    score_labels={"total": "Total"},
    codes={"total": "LOINC 70274-6"},
    thresholds=(
        ChangeThreshold("total", 4, "clinically meaningful change", "Toussaint, A., Hüsing, P., Gumz, A., Wingenfeld, K., Härter, M., "
                        "Schramm, E., & Löwe, B. (2020). Sensitivity to change and minimal clinically important difference of "
                        "the 7-item Generalized Anxiety Disorder Questionnaire (GAD-7). Journal of Affective Disorders, 265, 395-401"),
        ChangeThreshold("total", 6, "reliable change", "Bischoff, T., Anderson, S. R., Heafner, J., & Tambling, R. (2020). "
                        "Establishment of a reliable change index for the GAD-7. Psychology, Community & Health, 8(1), 176-187"),
    ),
    fhir=FHIR,
    interpretation="Total 0-21: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.",
)


@hookimpl
def register_instruments(register):
    """Register the GAD-7."""
    register(GAD7)
