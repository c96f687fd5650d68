"""PHQ-9: Patient Health Questionnaire, nine items (Kroenke, Spitzer & Williams, 2001).

Nine items scored 0-3 over the last two weeks; total 0-27 with the severity bands of LOINC
answer list LL382-3. Any answer above 0 on item 9 raises a safety flag whatever the total
(Simon et al., 2013, Psychiatric Services 64(12):1195-1202, on item 9 and later suicide attempts).
The optional difficulty item is recorded, never scored.
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import ChangeThreshold, Instrument, ScoreResult

from ._scales import DIFFICULTY_ITEM, band, difficulty_details, ratings_schema

BANDS = ((0, 4, "none to minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 19, "moderately severe"), (20, 27, "severe"))


def score(data: Any) -> ScoreResult:
    """Total, severity band, the item-9 flag, and the difficulty answer where recorded."""
    responses = data["responses"]
    total = sum(responses)
    flags = ("item9_positive",) if responses[8] > 0 else ()
    return ScoreResult(scores={"total": total}, severity=band(total, BANDS), flags=flags, details=difficulty_details(data))


PHQ9 = Instrument(
    id="phq-9",
    name="Patient Health Questionnaire (PHQ-9)",
    citation="Kroenke, K., Spitzer, R. L., & Williams, J. B. W. (2001). The PHQ-9: Validity of a brief depression severity "
    "measure. Journal of General Internal Medicine, 16(9), 606-613. Bands: LOINC answer list LL382-3.",
    licence="Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational grant "
    "from Pfizer Inc. No permission required to reproduce, translate, display or distribute.",
    schema={
        "type": "object",
        "required": ["responses"],
        "properties": {
            "responses": ratings_schema(9, 0, 3, "PHQ-9 answers, 0 (not at all) to 3 (nearly every day):"),
            "difficulty": DIFFICULTY_ITEM,
        },
    },
    score=score,
    bands={"total": BANDS},
    score_labels={"total": "Total"},
    codes={"total": "LOINC 44261-6", "item 9": "LOINC 44260-8"},
    flags={
        "item9_positive": "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) was answered above 'not at all': "
        "assess and document safety, whatever the total score."
    },
    thresholds=(
        ChangeThreshold("total", 5, "clinically meaningful change", "Löwe, B., Unützer, J., Callahan, C. M., Perkins, A. J., & "
                        "Kroenke, K. (2004). Monitoring depression treatment outcomes with the Patient Health Questionnaire-9. "
                        "Medical Care, 42(12), 1194-1201"),
    ),
    safety_flags=("item9_positive",),
    interpretation="Total 0-27: 0-4 none to minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe.",
)


@hookimpl
def register_instruments(register):  # type: ignore[no-untyped-def]
    """Register the PHQ-9."""
    register(PHQ9)
