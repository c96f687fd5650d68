"""Checks that the codes a claim is made under are real: ICD-10-CM diagnosis codes against the
published code set, and National Provider Identifiers against their check digit.

The ICD-10-CM code set comes from the ``simple-icd-10-cm`` package, which ships CMS's tabular
list; it is imported only when the check runs (it parses the whole list, about a second) so the
command line starts fast. Which release it holds is read from the package's own data file and
stated in every message, since codes are added and retired each fiscal year.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

from txplan.contracts import Check, CheckContext, Finding

#: The longest list of more specific codes a message names; beyond it the message says how many.
MAX_CODES_NAMED = 10
#: CMS prefixes the 10-digit NPI with 80840 (the ISO/IEC 7812 issuer identifier for US health
#: care) before the Luhn formula, so a bare Luhn check of the ten digits would be wrong.
NPI_PREFIX = "80840"
NPI_FIELDS = (("clinician", "the clinician's"), ("practice", "the practice's"))
TABULAR_FILE = re.compile(r"icd10c?m?-tabular-([A-Za-z]+)-(\d{1,2})-(\d{4})\.xml$")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")


@cache
def _icd10cm() -> ModuleType:
    """The ICD-10-CM code set, loaded once per process."""
    with warnings.catch_warnings():
        # simple-icd-10-cm reads its data with importlib.resources.read_text, which Python
        # 3.11-3.12 flag as deprecated; that is the library's business, not the user's.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


@cache
def code_set_release() -> str:
    """The ICD-10-CM release the installed code set holds, e.g. ``ICD-10-CM FY2026 (April 1,
    2026 update)``, read from the name of the tabular list the package ships."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.resources import files

    try:
        package = f"simple-icd-10-cm {version('simple-icd-10-cm')}"
    except PackageNotFoundError:  # pragma: no cover - installed as a dependency
        package = "simple-icd-10-cm"
    for entry in files("simple_icd_10_cm.data").iterdir():
        found = TABULAR_FILE.search(entry.name)
        if found and found.group(1).lower() in MONTHS:
            month, day, year = MONTHS.index(found.group(1).lower()) + 1, int(found.group(2)), int(found.group(3))
            # The US fiscal year starts on 1 October: an October release is next year's code set.
            fiscal_year = year + 1 if month >= 10 else year
            return f"ICD-10-CM FY{fiscal_year} ({found.group(1).capitalize()} {day}, {year} update; {package})"
    return f"ICD-10-CM ({package})"


def _diagnoses(data: Any) -> Iterator[tuple[int, str]]:
    values = data.get("diagnoses") if isinstance(data, dict) else None
    for index, diagnosis in enumerate(values if isinstance(values, list) else []):
        if isinstance(diagnosis, dict) and isinstance(diagnosis.get("code"), str) and diagnosis["code"].strip():
            yield index, diagnosis["code"].strip().upper()


def diagnosis_code_valid(ctx: CheckContext) -> Iterator[Finding]:
    """Every diagnosis code exists in ICD-10-CM and is billable (a code with no more specific
    codes under it, to its full number of characters)."""
    codes = list(_diagnoses(ctx.data))
    if not codes:
        return
    icd = _icd10cm()
    for index, code in codes:
        where = ("diagnoses", index, "code")
        if not icd.is_valid_item(code):
            yield Finding(where, f"{code} is not a code in {code_set_release()}: check it against the code set")
        elif not icd.is_leaf(code):
            children = icd.get_children(code)
            named = ", ".join(children) if len(children) <= MAX_CODES_NAMED else f"one of its {len(children)} more specific codes"
            yield Finding(where, f"{code} is not billable in {code_set_release()}: it has more specific codes under it; "
                          f"code it in full ({named})")


def npi_check_digit_valid(npi: str) -> bool:
    """Whether a 10-digit NPI's last digit is its check digit: the Luhn formula over the NPI
    prefixed with 80840, as CMS specifies for the NPI standard (45 CFR 162.406)."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    total = 0
    # Luhn: from the rightmost digit, double every second digit and add the digits of each product.
    for position, digit in enumerate(int(d) for d in reversed(NPI_PREFIX + npi)):
        if position % 2:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total % 10 == 0


def npi_check_digit(ctx: CheckContext) -> Iterator[Finding]:
    """The clinician's and the practice's NPI, where given, pass the NPI check digit."""
    for block, whose in NPI_FIELDS:
        holder = ctx.data.get(block)
        npi = holder.get("npi") if isinstance(holder, dict) else None
        if isinstance(npi, str) and not npi_check_digit_valid(npi):
            yield Finding((block, "npi"), f"{whose} NPI fails the NPI check digit (Luhn formula with the prefix 80840): "
                          "a digit is wrong or two are swapped; copy it from the NPI registry")


CODE_SET_CHECKS = [
    Check("diagnosis-code-valid", "A claim is rejected when its diagnosis code is not in the current ICD-10-CM code set or is "
          "not coded to its full number of characters.",
          "ICD-10-CM code set (CMS/NCHS; the release is named in each finding), the HIPAA code set for diagnoses (45 CFR "
          "162.1002); ICD-10-CM Official Guidelines for Coding and Reporting, Section I.B.2 (a code is invalid if it has not "
          "been coded to the full number of characters required)", diagnosis_code_valid),
    Check("npi-check-digit", "An NPI whose check digit fails is mistyped, and a claim under it is rejected.",
          "45 CFR 162.406 (the NPI is a 10-position numeric identifier with a check digit in the 10th position); CMS NPI "
          "check digit requirements (Luhn formula over the NPI prefixed with 80840)", npi_check_digit),
]
