"""Formats made by converting another format's output (PDF from Word), in batches.

The command line renders such a format's documents in the source format (:func:`rendered_as`),
then :func:`converted` converts a batch of plans' documents in one call of the format's
``convert_many``: starting LibreOffice costs more than converting a document.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .contracts import OutputFormat
    from .pipeline import Engine

#: What the command line holds for a plan: (its result, the files to write or ``None``, messages).
Outcome = tuple[Any, "list[tuple[Path, bytes]] | None", list[str]]
Targets = dict[Path, list[tuple["OutputFormat", Path]]]


def rendered_as(engine: Engine, fmt: OutputFormat) -> OutputFormat:
    """The format the command line renders for ``fmt``: for a converting format (PDF from Word),
    its source format, converted later for a whole batch at once (:func:`converted`)."""
    return engine.output_format(fmt.convert_from) if fmt.convert_many is not None else fmt


#: How many documents one converter call takes at most (LibreOffice: one start for all of them).
CONVERT_BATCH = 50


def converted(outcomes: Iterable[tuple[Path, Outcome]], targets: Targets, not_converted: list[Path]) -> Generator[tuple[Path, Outcome], None, None]:
    """Yield ``outcomes`` in order with each converting format's output converted: outcomes are
    held until :data:`CONVERT_BATCH` documents wait (or the plans end), then each converting
    format converts its documents in one call. A plan with a document the converter could not
    convert is added to ``not_converted`` and yielded with a message and nothing to write (all
    or nothing per plan); a converter that fails outright (missing, timed out) stops the run."""
    held: list[tuple[Path, Outcome]] = []
    waiting = 0
    for plan_path, outcome in outcomes:
        pending = sum(1 for fmt, _ in targets[plan_path] if fmt.convert_many is not None) if outcome[1] is not None else 0
        if not pending and not held:
            yield plan_path, outcome
            continue
        held.append((plan_path, outcome))
        waiting += pending
        if waiting >= CONVERT_BATCH:
            yield from _convert_held(held, targets, not_converted)
            held, waiting = [], 0
    yield from _convert_held(held, targets, not_converted)


def _convert_held(held: list[tuple[Path, Outcome]], targets: Targets, not_converted: list[Path]) -> Iterator[tuple[Path, Outcome]]:
    jobs: dict[str, tuple[OutputFormat, list[tuple[int, int]]]] = {}
    for number, (plan_path, (_, rendered, _)) in enumerate(held):
        for index, (fmt, _) in enumerate(targets[plan_path]):
            if rendered is not None and fmt.convert_many is not None:
                jobs.setdefault(fmt.name, (fmt, []))[1].append((number, index))
    results: dict[tuple[int, int], bytes | None] = {}
    for fmt, places in jobs.values():
        sources = [_files(held[n][1])[i][1] for n, i in places]
        assert fmt.convert_many is not None  # only converting formats are in jobs
        done = list(fmt.convert_many(sources))
        results.update(zip(places, done + [None] * (len(places) - len(done)), strict=True))
    for number, (plan_path, (payload, rendered, messages)) in enumerate(held):
        if rendered is not None:
            outputs = [(path, results[(number, i)] if (number, i) in results else content) for i, (path, content) in enumerate(rendered)]
            missing = [path for path, content in outputs if content is None]
            if missing:
                not_converted.append(plan_path)
                said = [f"txplan: {path}: the converter produced no file; nothing was written for {plan_path}" for path in missing]
                yield plan_path, (payload, None, [*messages, *said])
                continue
            rendered = [(path, content) for path, content in outputs if content is not None]
        yield plan_path, (payload, rendered, messages)


def _files(outcome: Outcome) -> list[tuple[Path, bytes]]:
    return outcome[1] or []
