"""Warnings that a plan reads like a template rather than this client's plan: library text used
word for word, a library intervention with nothing about this client, and (across several plans
checked together) goal statements that are identical between clients. Accreditors ask for
individualised plans with goals in the person's own words (CARF Section 2.C; The Joint Commission
CTS.03.01.03), which copied text is not."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .contracts import InterventionLibrary
from .errors import Problem
from .fieldpath import PathTuple
from .loader import Plan


def normalise(text: str) -> str:
    """Text compared for sameness: case, spacing and end punctuation ignored."""
    return re.sub(r"\s+", " ", text).strip().strip(".!?;:").lower()


def library_texts(libraries: Iterable[InterventionLibrary]) -> dict[str, str]:
    """Every name, description and rationale in the libraries, normalised, to its entry id."""
    texts = {}
    for library in libraries:
        for entry in library.entries:
            for text in (entry.name, entry.description, entry.rationale):
                if text and len(text) > 20:  # a short phrase ("Grounding") is not copying
                    texts[normalise(text)] = f"{library.namespace}.{entry.id}"
    return texts


def library_warnings(plan: Plan, libraries: Mapping[str, InterventionLibrary], texts: Mapping[str, str]) -> list[Problem]:
    """Goals, objectives and interventions that copy library text or say nothing about the client."""
    out: list[Problem] = []
    data = plan.data

    def copied(path: PathTuple, value: Any, advice: str) -> None:
        if isinstance(value, str) and normalise(value) in texts:
            out.append(plan.problem(path, f"is the text of library entry {texts[normalise(value)]} word for word; {advice}", "warning"))

    for gi, goal in _items(data.get("goals")):
        copied(("goals", gi, "statement"), goal.get("statement"), "write the goal in the client's own words")
        copied(("goals", gi, "clinical_statement"), goal.get("clinical_statement"), "say what this client is working towards")
        for oi, objective in _items(goal.get("objectives")):
            base: PathTuple = ("goals", gi, "objectives", oi)
            copied((*base, "description"), objective.get("description"), "say what this client will do")
            copied((*base, "criterion"), objective.get("criterion"), "say how this client's progress will be measured")
    entries = {f"{lib.namespace}.{e.id}": e for lib in libraries.values() for e in lib.entries}
    for ii, intervention in _items(data.get("interventions")):
        base = ("interventions", ii)
        reference = intervention.get("library")
        copied((*base, "application"), intervention.get("application"), "say how it is applied for this client")
        if reference in entries:
            if isinstance(intervention.get("description"), str) and normalise(intervention["description"]) == normalise(entries[reference].description):
                out.append(plan.problem((*base, "description"), f"repeats the description of {reference}; leave it out (the library's is used) and say in 'application' how it applies to this client", "warning"))
            if not str(intervention.get("application") or "").strip():
                out.append(plan.problem((*base, "library"), f"uses {reference} with nothing about this client; add 'application': how it is applied for this client", "warning"))
        else:
            copied((*base, "description"), intervention.get("description"), "refer to the entry with 'library' and say in 'application' how it applies to this client")
    return out


def shared_goal_warnings(plans: Iterable[Plan]) -> dict[int, list[Problem]]:
    """Goal statements identical between plans checked together, by plan (index): each plan's
    copy is reported, naming where the other one is."""
    first: dict[str, tuple[Plan, PathTuple]] = {}
    found: dict[int, list[Problem]] = {}
    for index, plan in enumerate(plans):
        for gi, goal in _items(plan.data.get("goals")):
            statement = goal.get("statement")
            if not isinstance(statement, str):
                continue
            key = normalise(statement)
            path = ("goals", gi, "statement")
            if key in first and first[key][0] is not plan:
                other, other_path = first[key]
                where = f"{other.source}:{other.line_of(other_path)}"
                found.setdefault(index, []).append(
                    plan.problem(path, f"is the same goal statement as {where}; each client's goals should be in their own words", "warning")
                )
            first.setdefault(key, (plan, path))
    return found


def _items(values: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, v) for i, v in enumerate(values) if isinstance(v, dict)] if isinstance(values, list) else []
