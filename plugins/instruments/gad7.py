"""GAD-7: Generalized Anxiety Disorder seven-item scale (Spitzer, Kroenke, Williams & Löwe, 2006).

Seven items scored 0-3 over the last two weeks; total 0-21 with cut-points 5, 10 and 15
(Spitzer et al., 2006).
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import ChangeThreshold, Instrument, ScoreResult

from ._scales import DIFFICULTY_ITEM, band, difficulty_details, ratings_schema

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
    interpretation="Total 0-21: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.",
)


@hookimpl
def register_instruments(register):  # type: ignore[no-untyped-def]
    """Register the GAD-7."""
    register(GAD7)
