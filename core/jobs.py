"""One plan's job: load -> validate -> check (optional) -> render (zero or more formats).

:func:`run_plan` is the one place a plan goes through these steps. ``txplan validate``,
``check`` and ``render`` (in one process or in ``--jobs`` worker processes) and the Python API
all call it and differ only in what they ask for and how they report the :class:`PlanResult`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PlanError, Problem
from .loader import Plan

if TYPE_CHECKING:
    from .contracts import OutputFormat
    from .deidentify import Deidentify
    from .pipeline import Engine
    from .readiness import Checker

PlanSource = str | Path | Mapping[str, Any] | Plan


@dataclass
class PlanResult:
    """What became of one plan.

    ``problems`` are those found loading and validating it (errors and warnings, in line order);
    ``findings`` are the insurer-readiness check's (``None`` when it did not run: not asked for,
    or the plan is invalid); ``outputs`` are the rendered bytes by output format name, in the
    order asked for (empty when nothing was rendered: not asked for, the plan is invalid, or the
    check found errors). ``companions`` are the files to write beside an output, by format
    name, as (file name, bytes), for the formats :func:`run_plan` was given stems for.
    ``plan`` is the loaded plan (``None`` when it could not be loaded, and
    in results sent back by worker processes).
    """

    source: str
    problems: list[Problem]
    findings: list[Problem] | None = None
    outputs: dict[str, bytes] = field(default_factory=dict)
    companions: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    plan: Plan | None = None
    #: With de-identification: the parts of the client's name, lower case, so that an output file
    #: named after the client can be warned about (kept in memory only, never printed).
    name_parts: frozenset[str] = frozenset()

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the plan invalid."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that do not."""
        return [p for p in self.problems if p.severity != "error"]

    @property
    def valid(self) -> bool:
        """Whether the plan was loaded and has no errors."""
        return not self.errors

    @property
    def check_failed(self) -> bool:
        """Whether the readiness check ran and found an error."""
        return any(f.severity == "error" for f in self.findings or [])


def run_plan(
    engine: Engine,
    source: PlanSource,
    *,
    checker: Checker | None = None,
    formats: Sequence[OutputFormat] = (),
    as_of: dt.date | None = None,
    deidentify: Deidentify | None = None,
    companion_stems: Mapping[str, str] | None = None,
    kind: str = "plan",
) -> PlanResult:
    """Take one plan (a file path, a mapping, or a loaded :class:`Plan`) as far as it goes:
    load and validate it; if it is valid, run ``checker`` over it (when given); if that finds no
    error, render it into each of ``formats``, stating objectives' status as of ``as_of`` (default:
    the engine's date, else today), de-identified with ``deidentify`` when given (what a person
    must review is added to the result's warnings). A format named in ``companion_stems`` (format
    name -> the output file's stem) that has ``companions`` is rendered with the files that go
    beside it (``txplan render --charts``). ``kind`` is the document rendered: the ``plan``, or
    another kind of the pack (``review``, ``discharge``; see :mod:`txplan.documents`). Each assessment is scored once, for the
    check and the document alike. A plan's own faults end up in the result; a broken pack or plugin raises
    (:class:`~txplan.errors.PackError`, :class:`~txplan.errors.PluginError`): it stops every plan."""
    try:
        plan = source if isinstance(source, Plan) else engine.load(source)
    except PlanError as exc:
        return PlanResult(_name(source), exc.problems)
    result = PlanResult(plan.source, engine.validate(plan), plan=plan)
    if not result.valid or (checker is None and not formats):
        return result
    scores = engine.score(plan)
    if checker is not None:
        result.findings = checker.run(engine, plan, scores)
        if result.check_failed:
            return result
    if formats:
        if kind == "plan":
            document = engine.render_document(plan, result.problems, as_of=as_of, scores=scores, deidentify=deidentify)
        else:
            from .documents import render_kind

            try:
                document = render_kind(engine, plan, kind, as_of=as_of)
            except PlanError as exc:  # a valid plan that cannot give this document (no discharge)
                result.problems = [*result.problems, *exc.problems]
                return result
        if document.context.deidentified:
            from .deidentify import client_name_parts

            result.problems = [*result.problems, *document.context.deidentified["for_review"]]
            result.name_parts = client_name_parts(plan.data)
        stems = companion_stems or {}
        for fmt in formats:
            if fmt.name in stems and fmt.companions is not None:
                result.outputs[fmt.name], result.companions[fmt.name] = engine.render_with_companions(fmt, document, stems[fmt.name])
            else:
                result.outputs[fmt.name] = engine.render_with(fmt, document)
    return result


def validate_together(engine: Engine, sources: Sequence[PlanSource]) -> list[PlanResult]:
    """:func:`run_plan` (load and validate) for each plan, then compare the plans loaded with
    each other: a goal statement two plans share is a warning in each (a plan is written for
    one client). Each result's problems stay in line order."""
    from .individualisation import shared_goal_warnings

    results = [run_plan(engine, source) for source in sources]
    loaded = [result for result in results if result.plan is not None]
    shared = shared_goal_warnings([result.plan for result in loaded if result.plan is not None])
    for index, result in enumerate(loaded):
        if index in shared:
            result.problems = sorted([*result.problems, *shared[index]], key=lambda p: (p.line or 0, p.path))
    return results


def prepare_to_render(engine: Engine, formats: Sequence[OutputFormat]) -> None:
    """Build the engine's templates and let each format check the pack, before any plan: a broken
    pack is reported once, up front, whatever the plans."""
    engine.templates  # noqa: B018 - compiled now for their errors
    for fmt in formats:
        engine.prepare(fmt)


def _name(source: PlanSource) -> str:
    return str(source) if isinstance(source, (str, Path)) else "<mapping>"
