"""The objects plugins register, and the rendered document output formats receive.

These are the contracts between the core and its plugins: a plugin builds one of these and passes
it to the ``register`` callback of the matching hook (see :mod:`txplan.hookspecs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # Python 3.11+
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

#: Ids of instruments, libraries, entries, formats and packs: lower case, digits and hyphens.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Section:
    """One rendered section of a plan: its name (``goals``) and its Markdown text."""

    name: str
    markdown: str


@dataclass(frozen=True)
class RenderedDocument:
    """What an output format turns into bytes.

    ``markdown`` is the whole document as Markdown (the sections joined); ``sections`` keeps them
    apart for formats that treat sections differently. ``context`` is the render context the
    templates saw (the plan with derived values); ``pack`` is the template pack used, which carries
    the pack's folder (for a ``reference.docx``) and its labels.
    """

    title: str
    sections: tuple[Section, ...]
    context: Mapping[str, Any]
    pack: Any

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
    """An output format: ``render(document) -> bytes`` plus how the file is named and typed, and
    optionally ``prepare(pack)`` to check the pack up front."""

    name: str
    extension: str
    media_type: str
    render: Callable[[RenderedDocument], bytes]
    description: str = ""
    aliases: tuple[str, ...] = ()
    #: Called once per template pack before anything is rendered with it, to check what the
    #: format needs from the pack (a reference document, say); raises PackError if unusable.
    prepare: Callable[[Any], object] | None = None

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        for value in (self.name, *self.aliases):
            if not isinstance(value, str) or not ID_PATTERN.match(value):
                out.append(f"format name {value!r} must be lower case letters, digits and hyphens")
        if not isinstance(self.extension, str) or not re.match(r"^[a-z0-9]+$", self.extension):
            out.append(f"extension {self.extension!r} must be lower case letters and digits, no dot")
        if not callable(self.render):
            out.append("render must be callable")
        if self.prepare is not None and not callable(self.prepare):
            out.append("prepare must be callable or None")
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

    def problems(self) -> list[str]:
        """What is wrong with this registration (empty when it is well formed)."""
        out = []
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id) or self.id == "custom":
            out.append(f"instrument id {self.id!r} must be lower case letters, digits and hyphens, not 'custom'")
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
        if not isinstance(self.computed_from_kind, str) or not ID_PATTERN.match(self.computed_from_kind):
            out.append(f"computed_from_kind {self.computed_from_kind!r} must be lower case letters, digits and hyphens")
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
    rising = all(a[1] < b[0] for a, b in zip(triples, triples[1:]))
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
        if not isinstance(self.namespace, str) or not ID_PATTERN.match(self.namespace):
            out.append(f"library namespace {self.namespace!r} must be lower case letters, digits and hyphens")
        seen: set[str] = set()
        for entry in self.entries:
            if not isinstance(entry, InterventionEntry):
                out.append(f"entry {entry!r} is not an InterventionEntry")
                continue
            if not ID_PATTERN.match(entry.id):
                out.append(f"entry id {entry.id!r} must be lower case letters, digits and hyphens")
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
        if not isinstance(self.name, str) or not ID_PATTERN.match(self.name):
            return [f"pack name {self.name!r} must be lower case letters, digits and hyphens"]
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
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            out.append(f"check id {self.id!r} must be lower case letters, digits and hyphens")
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
        if not isinstance(self.id, str) or not ID_PATTERN.match(self.id):
            out.append(f"profile id {self.id!r} must be lower case letters, digits and hyphens")
        for rule, severity in self.rules.items():
            if severity not in ("error", "warning", "off"):
                out.append(f"rule {rule}: severity {severity!r} must be error, warning or off")
        return out
