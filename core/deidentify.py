"""De-identified rendering for supervision (``render --deidentify``), after HIPAA's Safe Harbor
list (45 CFR 164.514(b)(2)(i)); the repository's docs/sources/deidentification.md maps each
identifier on that list to what is done here.

It works on the render context, after the context is built (so progress, objective status and
every derived value are computed from the real data) and before any template or format sees it:
every format, and any export built on the context, gets the same de-identified data.

- Names of the client and of everyone the plan names (clinician, supervisor, coder, the person
  who administered an assessment or assessed risk) become "Client", "Clinician", "Supervisor" or
  "[name removed]", in their fields and wherever they appear in free text. Initials are not used:
  they are derived from the name, and Safe Harbor removes names (a code kept with de-identified
  data must not be derived from information about the person, 164.514(c)(1)).
- Every date becomes its year (164.514(b)(2)(i)(C)); a date of birth that shows an age over 89
  becomes "90 or older", as do ages over 89 written in free text. With ``shift_days``, every date
  is moved by that one offset instead (intervals kept), and the document says plainly that
  shifted dates are not Safe Harbor.
- Identifiers (client id, member and group numbers, NPI, licence number), the practice's address,
  phone, fax, e-mail and NPI are removed; the letterhead becomes a neutral one.
- Free text is searched for those names and values, for dates, phone numbers, e-mail and web
  addresses, IP addresses, street addresses and identifier-like strings (five digits or more);
  each match is replaced. What cannot be decided (a capitalised word in mid-sentence that may be
  a name or a place, a year standing alone when dates are shifted) is reported by field and
  line, never by value, for a person to review.

Searching is not understanding: the document and the command say "de-identified for supervision
— review before sharing", never that the text is safe.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .contracts import Section
from .errors import Problem

#: What the document and the command say, always.
NOTICE = "De-identified for supervision — review before sharing"
REMOVED = "[removed]"
NAME_REMOVED = "[name removed]"
#: Ages above this are grouped (Safe Harbor: "all ages over 89").
OLDEST_AGE = 89
AGE_GROUP = "90 or older"
#: The range of a secret date offset, in days either way; never 0.
SHIFT_RANGE = 365


@dataclass(frozen=True)
class Deidentify:
    """How to de-identify: every date reduced to its year (the default, Safe Harbor), or moved
    by ``shift_days`` (not Safe Harbor). Use :meth:`shifted` for a secret random offset; keep
    one object for every document of a run, so intervals agree across them."""

    shift_days: int | None = None

    @classmethod
    def shifted(cls) -> Deidentify:
        """Dates moved by one secret random offset of 1 to 365 days, earlier or later."""
        days = secrets.randbelow(SHIFT_RANGE) + 1
        return cls(days if secrets.randbelow(2) else -days)

    def __repr__(self) -> str:  # the offset is a secret: never in a log or a traceback
        return f"Deidentify(shift_days={'<secret>' if self.shift_days is not None else None})"

    # -- what the document says ------------------------------------------------------------

    def notice_section(self) -> Section:
        """The note placed near the top of the document."""
        if self.shift_days is None:
            how = ("Names, identifiers, contact details and addresses were removed and every date reduced to its year, "
                   "following HIPAA's Safe Harbor list (45 CFR 164.514(b)(2)).")
        else:
            how = ("Names, identifiers, contact details and addresses were removed. Every date was moved by one secret "
                   "offset, so intervals between dates are kept: shifted dates are not Safe Harbor de-identification, "
                   "which keeps only the year (45 CFR 164.514(b)(2)(i)(C)).")
        text = (f"**{NOTICE}.** {how} Free text was searched for names, dates, numbers and addresses, not understood: "
                "read it before sharing.")
        return Section("deidentified", f"::: note\n{text}\n:::\n")

    # -- the work ---------------------------------------------------------------------------

    def apply(self, context: Mapping[str, Any], data: Mapping[str, Any], where: Callable[[tuple[Any, ...], str], Problem]) -> tuple[dict[str, Any], list[Problem]]:
        """A de-identified copy of the render ``context`` built from the plan ``data``, and the
        warnings for review; ``where(path, message)`` makes a located :class:`Problem`."""
        as_of = _date(context.get("as_of")) or dt.date.today()
        scrubber = _Scrubber(self, data, as_of, context.get("letterhead") or {})
        plan = scrubber.plan(context["plan"], data)
        # Score charts are left out: each point is an administration's own date (in the picture
        # and its alt text), which neither year-only dates nor a shift would leave readable.
        for table in plan.get("progress") or []:
            table["chart"] = None
        out = dict(context)
        out["plan"] = plan
        out["charts"] = {}
        out["letterhead"] = {"name": NOTICE, "address": None, "phone": None, "fax": None, "email": None, "npi": None}
        out["as_of"] = scrubber.date(str(context.get("as_of", "")))
        review = [where(path, message) for path, message in scrubber.review]
        out["deidentified"] = {"notice": NOTICE, "dates": "year" if self.shift_days is None else "shifted", "for_review": review}
        return out, review


    def plan_data(self, data: Mapping[str, Any], as_of: dt.date, where: Callable[[tuple[Any, ...], str], Problem]) -> tuple[dict[str, Any], list[Problem]]:
        """A de-identified copy of the plan's own ``data`` (for an export built from the data, not
        from the render context: ``txplan export --deidentify``), with the same replacements as
        :meth:`apply`, and the warnings for review."""
        scrubber = _Scrubber(self, data, as_of, {})
        out = scrubber.plan(data, data)
        return out, [where(path, message) for path, message in scrubber.review]


def client_name_parts(data: Mapping[str, Any]) -> frozenset[str]:
    """The parts of the client's name and preferred name (three letters or more), lower case:
    what :func:`file_name_warnings` looks for in file names."""
    client = data.get("client") or {}
    return frozenset(p.lower() for name in (client.get("name"), client.get("preferred_name")) if isinstance(name, str) for p in re.split(r"[\s,.'-]+", name) if len(p) >= 3)


def file_name_warnings(parts: Iterable[str], paths: Iterable[Any]) -> list[str]:
    """A warning for each de-identified output whose file name holds one of ``parts`` of the
    client's name (a plan file named after its client): the name would travel with the file."""
    parts = list(parts)
    return [f"txplan: warning: {path}: the file name holds part of the client's name; rename it before sharing"
            for path in paths if any(part in path.name.lower() for part in parts)]


# -- patterns ----------------------------------------------------------------------------------

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
_MONTH = r"(?P<month>" + "|".join(m for m in _MONTHS) + r"|" + "|".join(m[:3] for m in _MONTHS if m != "May") + r"|Sept)\.?"
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_NUMERIC = re.compile(r"\b\d{1,4}[/.]\d{1,2}[/.]\d{2,4}\b")
_TEXT_DATES = [
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b{_MONTH},?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b"),
]
#: A month named alone is still an element of a date; "May" alone is left (and reported): it is
#: as often a verb.
_MONTH_ALONE = re.compile(r"\b(?:" + "|".join(m for m in _MONTHS if m != "May") + r")\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()]+", re.IGNORECASE)
_IP = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_PHONE = re.compile(r"(?<![\w-])(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])")
_STREET = re.compile(
    r"\b\d{1,6}\s+(?:[A-Z][\w'.-]*\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|"
    r"Place|Pl|Terrace|Parkway|Pkwy|Highway|Hwy|Square|Sq|Close|Crescent)\b\.?(?:,?\s+(?:Suite|Apt|Apartment|Unit|#)\s*[\w-]+)?"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+",
)
_LABELLED_ID = re.compile(r"\b(?:MRN|SSN|NPI|ID|member|account|acct|policy|licen[cs]e|record|chart)\s*(?:#|no\.?|number)?\s*[:#]?\s*(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,}\b", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9#./-]*[A-Za-z0-9]|\d")
_AGE = re.compile(r"\b(?P<age>\d{2,3})(?P<tail>[- ](?:years?|yrs?)[- ]old|-year-old|\s+years of age)\b|\b(?P<lead>aged?\s+)(?P<age2>\d{2,3})\b", re.IGNORECASE)
_YEAR_ALONE = re.compile(r"\b(?:1[89]|20)\d{2}\b")
_CAPITALISED = re.compile(r"(?<=\s)(?P<capitalised>[A-Z][a-zà-ÿ]+(?:[-'][A-Za-zà-ÿ][a-zà-ÿ]+)*)\b")
#: What may come before a capitalised word that starts a sentence, a quotation or a list item.
_STARTS = re.compile(r"(?:^|[.!?:;\"'(\[\u201c\u2018*\-])\s*$")
_TITLES = {"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "sir", "dame", "rev", "phd", "md", "psyd", "lcsw", "lpc", "jr", "sr"}
#: Capitalised words that are not names: they are not reported for review.
_COMMON = {
    "I", "Client", "Clinician", "Supervisor", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "English", "Spanish", "French", "Christmas", "Easter", "Internet", "Zoom", "Skype", "Teams", "DBT", "CBT",
    "Safe", "Harbor", "Word", "PDF", "May", "Dr", "Mr", "Mrs", "Ms", "Mx", "Prof",
}


class _Scrubber:
    """One plan's de-identification: the names and values to look for, and what to review."""

    def __init__(self, options: Deidentify, data: Mapping[str, Any], as_of: dt.date, letterhead: Mapping[str, Any]) -> None:
        self.shift = options.shift_days
        self.as_of = as_of
        self.review: list[tuple[tuple[Any, ...], str]] = []
        client = data.get("client") or {}
        clinician = data.get("clinician") or {}
        self.names: list[tuple[str, str]] = []  # (name or name part, replacement), longest first
        self.full_names: set[str] = set()
        self._person([client.get("name"), client.get("preferred_name")], "Client")
        self._person([clinician.get("name")], "Clinician")
        self._person([(clinician.get("supervisor") or {}).get("name")], "Supervisor")
        others = [a.get("administered_by") for a in data.get("assessments") or []]
        others += [(a.get("classification") or {}).get("coder") for a in data.get("assessments") or [] if isinstance(a.get("classification"), Mapping)]
        others.append((data.get("risk_assessment") or {}).get("assessed_by"))
        self._person(others, NAME_REMOVED)
        self.names.sort(key=lambda pair: -len(pair[0]))
        insurance = client.get("insurance") or {}
        licence = clinician.get("license") or {}
        values = [client.get("identifier"), insurance.get("member_id"), insurance.get("group_number"), licence.get("number"), clinician.get("npi")]
        # The practice as the plan gives it and as the pack's letterhead overrides it.
        for practice in (data.get("practice") or {}, letterhead):
            values += [practice.get(key) for key in ("npi", "phone", "fax", "email", "name")]
            address = practice.get("address") or ""
            values += [part.strip() for line in address.splitlines() for part in line.split(",")]
        # A value too short or too common to search for ("OR", "3") would remove ordinary words.
        self.values = sorted({v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= 4}, key=len, reverse=True)
        self.plan_texts = set(_strings(data))

    def _person(self, names: Iterable[Any], replacement: str) -> None:
        for name in names:
            if not isinstance(name, str) or not name.strip():
                continue
            words = [w for w in re.split(r"\s+", name.strip()) if w.lower().strip(".,") not in _TITLES]
            for whole in {name.strip(), " ".join(words)} - {""}:
                self.names.append((whole, replacement))
                self.full_names.add(whole)
            for part in re.split(r"[\s,]+", name):
                part = part.strip(".'\u2019")
                if len(part) >= 2 and part.lower().rstrip(".") not in _TITLES:
                    self.names.append((part, replacement))
                    for piece in part.split("-"):
                        if len(piece) >= 3 and piece != part:
                            self.names.append((piece, replacement))

    # -- structured fields ------------------------------------------------------------------

    #: Fields replaced whole, by their path in the plan (``*`` for any list index).
    FIELDS: Mapping[tuple[str, ...], str | None] = {
        ("client", "name"): "Client",
        ("client", "preferred_name"): None,
        ("client", "identifier"): REMOVED,
        ("client", "insurance", "member_id"): REMOVED,
        ("client", "insurance", "group_number"): REMOVED,
        ("clinician", "name"): "Clinician",
        ("clinician", "npi"): REMOVED,
        ("clinician", "license", "number"): REMOVED,
        ("clinician", "supervisor", "name"): "Supervisor",
        ("practice", "name"): NOTICE,
        ("practice", "address"): None,
        ("practice", "phone"): None,
        ("practice", "fax"): None,
        ("practice", "email"): None,
        ("practice", "npi"): None,
        ("assessments", "*", "administered_by"): NAME_REMOVED,
        ("assessments", "*", "classification", "coder"): NAME_REMOVED,
        ("risk_assessment", "assessed_by"): NAME_REMOVED,
    }

    def plan(self, value: Any, source: Any, path: tuple[Any, ...] = ()) -> Any:
        """A de-identified copy of ``value`` (part of the context's plan); ``source`` is the same
        part of the plan's own data (``None`` for a value the context derived)."""
        if isinstance(value, Mapping):
            return {key: self.plan(item, source.get(key) if isinstance(source, Mapping) else None, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.plan(item, source[n] if isinstance(source, list) and n < len(source) else None, (*path, n)) for n, item in enumerate(value)]
        if not isinstance(value, str):
            return value
        pattern = tuple("*" if isinstance(p, int) else p for p in path)
        if pattern in _CODES:
            return value
        if pattern in self.FIELDS and value:
            return self.FIELDS[pattern]
        if pattern == ("client", "date_of_birth"):
            return self.birth_date(value)
        if isinstance(source, str):
            return self.text(value, path, review=path[-1] not in _LABEL_FIELDS)
        if value in self.plan_texts:  # plan text the context copied elsewhere (the primary diagnosis)
            return self.text(value, path, review=False)
        return self.derived(value)

    def birth_date(self, value: str) -> str:
        """A date of birth: its year (or shifted), or "90 or older" when it shows such an age."""
        born = _date(value)
        if born is not None and _age(born, self.as_of) > OLDEST_AGE:
            return AGE_GROUP
        return self.date(value)

    def date(self, value: str) -> str:
        """An ISO date as its year, or moved by the offset; anything else is searched as text."""
        when = _date(value)
        if when is None:
            return self.derived(value)
        if when.year < self.as_of.year - OLDEST_AGE:  # could give an age over 89
            return "[year removed]"
        if self.shift is None:
            return str(when.year)
        return (when + dt.timedelta(days=self.shift)).isoformat()

    # -- free text ----------------------------------------------------------------------------

    def derived(self, text: str) -> str:
        """A value the context computed (a progress row, a status): only dates and names in it
        are changed; instrument citations and the like are left as they are."""
        return self._names(self._iso_dates(text))

    def text(self, text: str, path: tuple[Any, ...], review: bool = True) -> str:
        """Plan text: every pattern replaced; what cannot be decided reported for ``path``
        (unless ``review`` is false)."""
        if _date(text) is not None:
            return self.date(text)
        held: list[str] = []

        def hold(replacement: str) -> str:
            # A replacement with digits in it (a year, a shifted date) is kept out of the later
            # searches (a shifted date has eight digits: not an identifier). Plan text never
            # holds NUL (the loader refuses control characters), so the marker is unambiguous.
            held.append(replacement)
            return f"\x00{len(held) - 1}\x00"

        text = _EMAIL.sub("[e-mail removed]", text)
        text = _URL.sub("[web address removed]", text)
        for value in self.values:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", REMOVED, text, flags=re.IGNORECASE)
        text = self._iso_dates(text, hold)
        text = _IP.sub("[IP address removed]", text)
        text = _NUMERIC.sub(lambda m: hold(self._numeric_date(m.group(0))), text)
        text = _PHONE.sub("[phone removed]", text)
        text = _STREET.sub("[address removed]", text)
        for pattern in _TEXT_DATES:
            text = pattern.sub(lambda m: hold(self._text_date(m)), text)
        text = _MONTH_ALONE.sub("[month]", text)
        text = _AGE.sub(lambda m: hold(_age_text(m)), text)
        text = _YEAR_ALONE.sub(self._old_year, text)
        text = _LABELLED_ID.sub("[identifier removed]", text)
        text = _TOKEN.sub(_identifier_like, text)
        text = self._names(text)
        if review:
            self._undecided(text, path)
        return re.sub(r"\x00(\d+)\x00", lambda m: held[int(m.group(1))], text)

    def _names(self, text: str) -> str:
        # Whole names in any case; a part of a name only as written (capitalised): a client
        # named Hope or Will must not turn every "hope" and "will" into "Client".
        for name, replacement in self.names:
            flags = re.IGNORECASE if name in self.full_names else 0
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", replacement, text, flags=flags)
        return text

    def _iso_dates(self, text: str, hold: Callable[[str], str] = str) -> str:
        def one(match: re.Match[str]) -> str:
            return hold(self.date(match.group(0))) if _date(match.group(0)) else match.group(0)

        return _ISO.sub(one, text)

    def _numeric_date(self, found: str) -> str:
        """31/12/2026, 12/31/2026, 2026.12.31: day and month cannot be told apart, so the year
        is kept (year mode) or the whole date removed (shift mode, where a real year would give
        the offset away)."""
        year = next((part for part in re.split(r"[/.]", found) if len(part) == 4), None)
        if self.shift is None and year:
            return year
        return "[date removed]"

    def _text_date(self, match: re.Match[str]) -> str:
        groups = match.groupdict()
        year = groups.get("year")
        if year and int(year) < self.as_of.year - OLDEST_AGE:
            return "[year removed]"
        if self.shift is None:
            return year if year else "[date removed]"
        if not year:
            return "[date removed]"
        month = _month_number(groups["month"])
        day = int(groups["day"]) if groups.get("day") else 15  # mid-month: a month-and-year moves as a whole
        try:
            moved = dt.date(int(year), month, day) + dt.timedelta(days=self.shift)
        except ValueError:
            return "[date removed]"
        return moved.isoformat() if groups.get("day") else f"{_MONTHS[moved.month - 1]} {moved.year}"

    def _old_year(self, match: re.Match[str]) -> str:
        """A year written alone more than 89 years ago can give an age over 89 (a year of
        birth): Safe Harbor removes it too."""
        return "[year removed]" if int(match.group(0)) < self.as_of.year - OLDEST_AGE else match.group(0)

    def _undecided(self, text: str, path: tuple[Any, ...]) -> None:
        """Report, without the value, what a search cannot decide."""
        suspects = [m for m in _CAPITALISED.finditer(text) if m.group("capitalised") not in _COMMON and not _STARTS.search(text[max(0, m.start() - 3):m.start()])]
        if suspects:
            self.review.append((path, f"de-identification: {len(suspects)} capitalised word(s) in mid-sentence may be a name or a place; review this text before sharing"))
        if self.shift is not None and _YEAR_ALONE.search(text):
            self.review.append((path, "de-identification: a year written alone was not shifted; review this text before sharing"))
        if re.search(r"\bMay\b", text):
            self.review.append((path, "de-identification: 'May' may be a month; review this text before sharing"))


#: Fields that hold a code from a public code set (CPT, ICD-10-CM): never an identifier.
_CODES = frozenset({("therapy", "cpt_codes", "*"), ("diagnoses", "*", "code")})
#: Fields that hold a label, not prose: a capitalised word in them (a payer's or a state's
#: name, "Licensed Psychologist") is not reported for review.
_LABEL_FIELDS = frozenset({"payer", "credentials", "state", "level_of_care", "pronouns", "instrument", "status", "code", "library", "modality", "type"})


def _strings(value: Any) -> Iterable[str]:
    """Every string in plain plan data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _identifier_like(match: re.Match[str]) -> str:
    """A token holding five digits or more (a record, member or account number, a ZIP code)."""
    token = match.group(0)
    return "[identifier removed]" if sum(c.isdigit() for c in token) >= 5 else token


def _age_text(match: re.Match[str]) -> str:
    if match.group("age") is not None:
        return f"{AGE_GROUP} years old" if int(match.group("age")) > OLDEST_AGE else match.group(0)
    return f"{match.group('lead')}{AGE_GROUP}" if int(match.group("age2")) > OLDEST_AGE else match.group(0)


def _month_number(name: str) -> int:
    name = name.rstrip(".").lower()
    return next(n for n, month in enumerate(_MONTHS, 1) if month.lower().startswith(name[:3]))


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
