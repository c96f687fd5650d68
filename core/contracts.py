"""The objects plugins register, and the rendered document output formats receive.

These are the contracts between the core and its plugins: a plugin builds one of these and passes
it to the ``register`` callback of the matching hook (see :mod:`txplan.hookspecs`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

#: Ids of instruments, libraries, entries, formats and packs: lower case, digits and hyphens.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def id_problem(what: str, value: object, *, reserved: tuple[str, ...] = ()) -> str | None:
    """Why ``value`` cannot be the id ``what`` names (``"instrument id"``): not text of lower
    case letters, digits and hyphens, or one of the ``reserved`` ids; ``None`` when it can."""
    if isinstance(value, str) and ID_PATTERN.match(value) and value not in reserved:
        return None
    refused = "".join(f", not {r!r}" for r in reserved)
    return f"{what} {value!r} must be lower case letters, digits and hyphens{refused}"


@dataclass(frozen=True)
class Section:
    """One rendered section of a plan: its name (``goals``) and its Markdown text."""

    name: str
    markdown: str


@dataclass(frozen=True)
class PackFile:
    """A file of a template pack that an output format may read: found inside the pack's folder,
    a regular file, no link on the way, within its size limit. ``pack`` names the pack it was
    found in (the nearest in the chain that has it), ``name`` is its path relative to that pack,
    ``path`` where it is, and ``read()`` its bytes (read without following a link or blocking on
    a pipe; :class:`~txplan.errors.PackError` naming the pack when that fails)."""

    pack: str
    name: str
    path: Path
    read: Callable[[], bytes] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PackView:
    """What an output format may read of the template pack a document was rendered with.

    ``name`` is the pack's name; ``labels`` its headings and fixed text (merged along the chain
    of packs it extends); ``practice`` the practice identity its ``pack.yaml`` gives (without
    the logo); ``sections`` the sections it renders, in order. ``find_logo()`` is the letterhead
    image its ``practice.logo`` names (nearest pack first) or ``None``; it is located safely
    but not checked as an image: a format that places it checks it. ``find_file(name)`` is the nearest pack's file ``name`` (a
    ``reference.docx``, say) or ``None``; a pack whose file is there but unsafe (a link, a
    folder, too large) is a :class:`~txplan.errors.PackError`, never replaced by the parent's.
    ``language`` is the documents' language (BCP 47, nearest pack first, else ``en``);
    ``charts`` the chart settings merged along the chain (``enabled``, ``colours``);
    ``find_named_file(group, key)`` the file the nearest pack's ``pack.yaml`` names at
    ``group.key`` (a format's own setting, such as the HTML format's ``html.stylesheet``), or
    ``None``; it is located as ``find_file`` locates, with a 256 KB cap.
    """

    name: str
    labels: Mapping[str, Any]
    practice: Mapping[str, str]
    sections: tuple[str, ...]
    find_logo: Callable[[], PackFile | None] = field(compare=False, repr=False)
    find_file: Callable[[str], PackFile | None] = field(compare=False, repr=False)
    language: str = "en"
    charts: Mapping[str, Any] = field(default_factory=dict)
    find_named_file: Callable[[str, str], PackFile | None] = field(default=lambda group, key: None, compare=False, repr=False)


@dataclass(frozen=True)
class RenderContext:
    """The render context the section templates saw, typed for output formats.

    ``plan`` is the plan's data, completed (every optional field present) and with the values
    the core derives (results, progress, alerts, attestations); ``labels`` the pack's labels;
    ``title`` the document title; ``letterhead`` the practice identity shown on the letterhead
    (the plan's practice block, overridden by the pack's); ``as_of`` the ISO date the document
    states objectives' status at; ``charts`` what each score chart shows, by instrument id
    (:mod:`txplan.charts`); ``deidentified`` is set on a de-identified document.
    """

    plan: Mapping[str, Any]
    labels: Mapping[str, Any]
    title: str
    letterhead: Mapping[str, Any]
    as_of: str
    charts: Mapping[str, Any] = field(default_factory=dict)
    #: Set when the document was de-identified for supervision (:mod:`txplan.deidentify`): the
    #: notice, how dates were treated, and what a person must review; formats then leave the
    #: pack's logo out (the letterhead is neutral).
    deidentified: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, template_vars: Mapping[str, Any]) -> RenderContext:
        """The typed view of the variables the templates were rendered with."""
        return cls(
            plan=template_vars["plan"],
            labels=template_vars["labels"],
            title=str(template_vars["title"]),
            letterhead=template_vars["letterhead"],
            as_of=str(template_vars["as_of"]),
            charts=template_vars.get("charts") or {},
            deidentified=template_vars.get("deidentified"),
        )

    @property
    def client(self) -> Mapping[str, Any]:
        """The plan's client block (empty when the plan has none)."""
        return self.plan.get("client") or {}

    @property
    def start_date(self) -> str | None:
        """The plan's start date (ISO), if it gives one."""
        return (self.plan.get("plan") or {}).get("start_date")


@dataclass(frozen=True)
class RenderedDocument:
    """What an output format turns into bytes.

    ``markdown`` is the whole document as Markdown (the sections joined); ``sections`` keeps them
    apart for formats that treat sections differently. ``context`` is the render context the
    templates saw; ``pack`` what a format may read of the template pack used (its labels,
    practice identity and files such as a ``reference.docx``).
    """

    title: str
    sections: tuple[Section, ...]
    context: RenderContext
    pack: PackView

    @property
    def markdown(self) -> str:
        """The sections joined by blank lines, ending in one newline."""
        return self.markdown_without()

    def markdown_without(self, skipped: frozenset[str] = frozenset()) -> str:
        """The sections not named in ``skipped``, joined as :attr:`markdown` joins them (a format
        whose page header carries the letterhead skips the ``letterhead`` section)."""
        return "\n\n".join(s.markdown.strip("\n") for s in self.sections if s.name not in skipped) + "\n"


@dataclass(frozen=True)
class OutputFormat:
    """An output format: ``render(document) -> bytes`` plus how the file is named and typed.

    A format that needs something from the template pack (a reference document, a logo) also
    gives ``prepare(pack) -> state``: it is called once per template pack per process, before
    any plan is rendered with that pack, with the :class:`PackView`; it raises
    :class:`~txplan.errors.PackError` when the pack is unusable, and ``render`` is then called
    as ``render(document, state)`` with what it returned. Without ``prepare``, ``render`` gets
    the document alone.
    """

    name: str
    extension: str
    media_type: str
    render: Callable[..., bytes]
    description: str = ""
    aliases: tuple[str, ...] = ()
    prepare: Callable[[PackView], object] | None = None
    #: For a format made by converting another format's output (PDF from Word): that format's
    #: name, and ``convert_many(list of its bytes) -> list of bytes`` (``None`` for a document
    #: the converter could not convert). The command line renders a batch of plans in the source
    #: format and converts them in one call; ``render`` still does one document from start to end.
    convert_from: str = ""
    convert_many: Callable[[Sequence[bytes]], Sequence[bytes | None]] | None = None
    #: The name of this format's archival variant (``pdf`` -> ``pdf-a``, PDF/A-2b), which
    #: ``txplan render --pdf-a`` writes instead of it.
    archival_variant: str = ""
    #: For a format that can come with files beside it (Markdown with its charts as PNG files,
    #: ``txplan render --charts``): ``companions(document, state, stem) -> (main bytes, [(file
    #: name, bytes)])``, given the document, what :attr:`prepare` returned (``None`` without it)
    #: and the output file's stem. The main bytes may link the extra files by name; each name is
    #: a plain file name starting with ``stem.``, written in the output's folder together with it.
    companions: Callable[[RenderedDocument, object, str], tuple[bytes, Sequence[tuple[str, bytes]]]] | None = None

    def render_prepared(self, document: RenderedDocument, state: object = None) -> bytes:
        """Call :attr:`render` as this format expects: with ``state`` (what :attr:`prepare`
        returned for the document's pack) when the format has ``prepare``, else without."""
        if self.prepare is None:
            return self.render(document)
        return self.render(document, state)

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        for value in (self.name, *self.aliases):
            if problem := id_problem("format name", value):
                out.append(problem)
        if not isinstance(self.extension, str) or not re.match(r"^[a-z0-9]+$", self.extension):
            out.append(f"extension {self.extension!r} must be lower case letters and digits, no dot")
        if not callable(self.render):
            out.append("render must be callable")
        if self.prepare is not None and not callable(self.prepare):
            out.append("prepare must be callable or None")
        if self.companions is not None and not callable(self.companions):
            out.append("companions must be callable or None")
        if bool(self.convert_from) != (self.convert_many is not None) or (self.convert_many is not None and not callable(self.convert_many)):
            out.append("convert_from and convert_many go together: a source format's name and a callable")
        return out


@dataclass(frozen=True)
class ScoreResult:
    """What scoring one administration gives: named scores (``{"total": 14}``), the severity
    band where the instrument has bands, flags (ids from :attr:`Instrument.flags`), for
    instruments without numbers (a human-coded classification) a ``summary`` in words, and
    ``details``: what was recorded but not scored, in words.

    Scores are numbers: ``int`` for whole-number scores (a total), ``float`` for means. A score
    is missing from an administration that does not give it (an ECR-RS without a mother rating
    has no ``mother.anxiety``); progress tables then leave its cell empty.

    ``computed_from`` is optional and only for a score that summarises a set of parts that can
    differ between administrations: it maps the score's name to a key naming the parts it was
    computed from (the ECR-RS ``anxiety`` mean over mother and partner: ``"mother+partner"``; over
    the one global rating: ``"global"``). Such a score is compared across administrations only
    where the key is the same; elsewhere the document says the values are not comparable. A
    score not listed is compared with every administration that gives it.
    """

    scores: Mapping[str, float] = field(default_factory=dict)
    severity: str | None = None
    flags: tuple[str, ...] = ()
    summary: str | None = None
    #: Answers recorded with the administration but not scored, in words, shown with the result
    #: (the PHQ-9's difficulty item, the RQ prototype the client chose).
    details: tuple[str, ...] = ()
    computed_from: Mapping[str, str] = field(default_factory=dict)


#: The last word of a threshold's label that names its direction-free meaning; the wording for
#: the worse direction replaces it (``reliable improvement`` -> ``reliable deterioration``).
_BETTER_WORDS = ("change", "improvement")


@dataclass(frozen=True)
class ChangeThreshold:
    """A published amount of change in one score that counts for something, e.g. a 5-point drop
    in the PHQ-9 total as clinically meaningful. ``better`` says which direction is improvement.

    ``label`` names a change of at least ``points`` in the better direction (``reliable
    improvement``); ``worse_label`` names one in the worse direction (``reliable
    deterioration``). When ``worse_label`` is not given it is derived from ``label``: a last word
    ``change`` or ``improvement`` becomes ``deterioration``; any other label gets
    ``deterioration:`` in front.
    """

    score: str
    points: float
    label: str
    citation: str
    better: str = "lower"
    worse_label: str = ""

    def __post_init__(self) -> None:
        """Derive ``worse_label`` from ``label`` when it is not given."""
        if not self.worse_label and isinstance(self.label, str):
            head, _, last = self.label.rpartition(" ")
            derived = f"{head} deterioration" if head and last in _BETTER_WORDS else f"deterioration: {self.label}"
            object.__setattr__(self, "worse_label", derived)


@dataclass(frozen=True)
class FhirMapping:
    """How an instrument's administrations are written as HL7 FHIR R4 and recognised on import.

    ``form`` is the LOINC code of the instrument's published panel (``44249-1`` for the PHQ-9),
    or ``""`` when none is published (then no QuestionnaireResponse is exported). ``items`` are
    the linkIds of the rated items in order, item 1 first; with ``item_system`` set (LOINC) they
    are also the items' codes. ``answers`` are the LOINC answer codes for the ratings
    ``low`` .. ``low + len(answers) - 1``; without them answers are written as integers.
    ``scores`` maps a score name to its LOINC code; a score without one is coded in txplan's
    own code system. ``extras`` maps an optional whole-number field of the administration (the
    PHQ-9 ``difficulty``) to ``(linkId, answer codes)``. Only instruments whose ``data_key``
    holds a list of whole-number ratings can declare items.
    """

    form: str = ""
    form_display: str = ""
    items: tuple[str, ...] = ()
    item_system: str = ""
    answers: tuple[str, ...] = ()
    answer_displays: tuple[str, ...] = ()
    low: int = 0
    high: int | None = None
    scores: Mapping[str, str] = field(default_factory=dict)
    extras: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def top(self) -> int:
        """The highest rating."""
        if self.high is not None:
            return self.high
        return self.low + len(self.answers) - 1

    def problems(self) -> list[str]:
        """What is wrong with this mapping (empty when it is well formed)."""
        out = []
        if self.items and len(set(self.items)) != len(self.items):
            out.append("fhir.items: a linkId appears twice")
        if self.items and not self.answers and self.high is None:
            out.append("fhir: give the answer codes or the highest rating (high)")
        if self.answer_displays and len(self.answer_displays) != len(self.answers):
            out.append("fhir.answer_displays: one display per answer code")
        return out


@dataclass(frozen=True)
class Instrument:
    """A standardised assessment instrument.

    ``schema`` is the JSON Schema fragment an assessment with ``instrument: <id>`` must satisfy
    besides the common fields (``instrument``, ``date``, ``administered_by``, ``notes``): it
    declares its own properties and required ones, and the core refuses any other field.
    ``data_key`` names the field holding the responses (``txplan score`` wraps a bare value in
    it). ``score`` is a pure function from a valid assessment mapping to a :class:`ScoreResult`.
    ``score_labels`` names each score for people; ``codes`` gives a code per score where one
    exists (``{"total": "LOINC 44261-6"}``); ``flags`` maps each flag id to the message every
    output shows; ``thresholds`` are the published change thresholds; ``interpretation`` is a
    note every output shows with the results.
    """

    id: str
    name: str
    citation: str
    licence: str
    schema: Mapping[str, Any]
    score: Callable[[Mapping[str, Any]], ScoreResult]
    data_key: str = "responses"
    score_labels: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)
    flags: Mapping[str, str] = field(default_factory=dict)
    thresholds: tuple[ChangeThreshold, ...] = ()
    interpretation: str = ""
    #: Flags that mean a safety concern (a check then wants a documented safety plan).
    safety_flags: tuple[str, ...] = ()
    #: What the parts named in :attr:`ScoreResult.computed_from` are, as a key of the template
    #: pack's ``not_comparable`` labels: ``relationships`` for the ECR-RS, so that a document says
    #: "not comparable: different relationships rated". Packs word ``parts`` and
    #: ``relationships``; any other key falls back to the ``parts`` wording.
    computed_from_kind: str = "parts"
    #: Severity bands by score name, each ``(low, high, label)`` inclusive, lowest first: score
    #: charts shade them (``{"total": ((0, 4, "minimal"), ...)}``).
    bands: Mapping[str, tuple[tuple[float, float, str], ...]] = field(default_factory=dict)
    #: How administrations are exchanged as FHIR R4 (``txplan export --to fhir``, ``txplan
    #: import``): LOINC codes of the form, items, answers and scores. Optional.
    fhir: FhirMapping | None = None

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        if self.fhir is not None:
            out.extend(self.fhir.problems() if isinstance(self.fhir, FhirMapping) else ["fhir must be a FhirMapping or None"])
            ratings = self.schema.get("properties", {}).get(self.data_key, {}) if isinstance(self.schema, Mapping) else {}
            items = getattr(self.fhir, "items", ())
            if items and (ratings.get("type") != "array" or ratings.get("maxItems") != len(items)):
                out.append(f"fhir.items: {len(items)} linkIds, but '{self.data_key}' is not a list of exactly that many ratings")
            bounds = ratings.get("items", {}) if isinstance(ratings.get("items"), Mapping) else {}
            if items and isinstance(self.fhir, FhirMapping) and (bounds.get("minimum"), bounds.get("maximum")) != (self.fhir.low, self.fhir.top):
                out.append(f"fhir: ratings {self.fhir.low}-{self.fhir.top}, but '{self.data_key}' allows {bounds.get('minimum')}-{bounds.get('maximum')}")
        if problem := id_problem("instrument id", self.id, reserved=("custom",)):
            out.append(problem)
        if not isinstance(self.schema, Mapping) or self.schema.get("type", "object") != "object":
            out.append("schema must be a JSON Schema object fragment")
        elif self.data_key not in self.schema.get("properties", {}):
            out.append(f"schema declares no '{self.data_key}' property (its data_key)")
        if not callable(self.score):
            out.append("score must be callable")
        for attribute in ("name", "citation", "licence"):
            if not isinstance(getattr(self, attribute), str) or not getattr(self, attribute).strip():
                out.append(f"{attribute} must be a non-empty string")
        for threshold in self.thresholds:
            if not isinstance(threshold, ChangeThreshold) or threshold.better not in ("lower", "higher"):
                out.append(f"threshold {threshold!r} must be a ChangeThreshold with better 'lower' or 'higher'")
        if not isinstance(self.bands, Mapping) or not all(_bands_ok(b) for b in self.bands.values()):
            out.append("bands must map score names to (low, high, label) triples, lowest first")
        if problem := id_problem("computed_from_kind", self.computed_from_kind):
            out.append(problem)
        return out

    def label(self, score: str) -> str:
        """The name people read for ``score``."""
        return self.score_labels.get(score, score.replace("_", " ").capitalize())


def _bands_ok(bands: Any) -> bool:
    """Whether ``bands`` is a sequence of (low, high, label) triples in rising order."""
    try:
        triples = [(float(low), float(high), label) for low, high, label in bands]
    except (TypeError, ValueError):
        return False
    rising = all(a[1] < b[0] for a, b in zip(triples, triples[1:], strict=False))
    return rising and all(low <= high and isinstance(label, str) for low, high, label in triples)


@dataclass(frozen=True)
class InterventionEntry:
    """One entry of an intervention library, in the project's (or the practice's) own words."""

    id: str
    name: str
    description: str
    rationale: str = ""
    frequency: str = ""
    citation: str = ""
    problems: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()


@dataclass(frozen=True)
class InterventionLibrary:
    """A namespace of intervention entries (``cbt``); plans refer to ``<namespace>.<entry id>``."""

    namespace: str
    name: str
    entries: Sequence[InterventionEntry]
    description: str = ""

    def qualified_ids(self) -> list[str]:
        """The ids plans use to refer to this library's entries."""
        return [f"{self.namespace}.{entry.id}" for entry in self.entries]

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        if problem := id_problem("library namespace", self.namespace):
            out.append(problem)
        seen: set[str] = set()
        for entry in self.entries:
            if not isinstance(entry, InterventionEntry):
                out.append(f"entry {entry!r} is not an InterventionEntry")
                continue
            if problem := id_problem("entry id", entry.id):
                out.append(problem)
            if entry.id in seen:
                out.append(f"entry id {entry.id!r} appears twice")
            seen.add(entry.id)
        return out


@dataclass(frozen=True)
class PackSource:
    """An installed template pack: its name and the folder holding ``pack.yaml``."""

    name: str
    root: Path | Traversable
    description: str = ""

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        if problem := id_problem("pack name", self.name):
            return [problem]
        return []


@dataclass(frozen=True)
class Finding:
    """One thing a check found: where (a field path in the plan) and what. The payer profile sets
    how serious a rule's findings are; a finding marked ``warning`` stays at most a warning (a
    milder case the rule knows of)."""

    path: tuple[str | int, ...]
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class CheckContext:
    """What a check sees: the plan's data and positions (``plan``), the date it is judged at,
    the profile's parameters, and the instruments and libraries in use. ``results`` pairs each
    scored assessment (by index) with its :class:`ScoreResult`."""

    plan: Any
    as_of: Any
    params: Mapping[str, Any]
    instruments: Mapping[str, Instrument]
    libraries: Mapping[str, InterventionLibrary]
    results: Mapping[int, ScoreResult]

    @property
    def data(self) -> Mapping[str, Any]:
        """The plan's data."""
        return self.plan.data


@dataclass(frozen=True)
class Check:
    """An insurer-readiness rule: an id, a one-line rationale, the public source it rests on (a
    payer's LCD or article, a CFR section, an accreditation standard and element, or a paper,
    named so a reader can look it up), and ``run(context)`` yielding :class:`Finding` objects."""

    id: str
    rationale: str
    source: str
    run: Callable[[CheckContext], Iterable[Finding]]

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        if problem := id_problem("check id", self.id):
            out.append(problem)
        if not callable(self.run):
            out.append("run must be callable")
        if not self.rationale or not self.source:
            out.append("a check needs a rationale and a source")
        return out


@dataclass(frozen=True)
class PayerProfile:
    """Which checks a payer or accreditor cares about and how seriously: ``rules`` maps a check
    id to ``error``, ``warning`` or ``off``; checks it does not name are off. ``params`` tunes
    them (``review_interval_days``, ``max_plan_age_days``, ``client_signature_required``)."""

    id: str
    description: str
    rules: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        if problem := id_problem("profile id", self.id):
            out.append(problem)
        for rule, severity in self.rules.items():
            if severity not in ("error", "warning", "off"):
                out.append(f"rule {rule}: severity {severity!r} must be error, warning or off")
        return out
