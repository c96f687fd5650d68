"""``txplan render``: plans into documents, one process or several, all-or-nothing per plan.

What it prints (``wrote ...`` lines, progress, warnings) never decides whether the work is done:
a closed or full standard output stops the printing, not the rendering (see
:mod:`txplan.console`). Worker processes of ``--jobs`` are stopped when the run stops for any
reason, and die with it if it is killed (see :mod:`txplan.batch`).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..console import Console
from ..errors import EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_CHECK_FAILED, EXIT_OK, UsageError
from ..heap import settle
from ..write_behind import WriteBehind
from .common import engine_from_args

if TYPE_CHECKING:
    from ..contracts import OutputFormat
    from ..jobs import PlanResult
    from ..pipeline import Engine

def cmd_render(args: argparse.Namespace) -> int:
    """Render each plan into each requested format, in parallel with ``--jobs``."""
    from ..batch import run_plans
    from ..conversion import converted, rendered_as
    from ..jobs import prepare_to_render
    from ..readiness import checker_for

    engine = engine_from_args(args).build()
    deidentify = deidentify_option(args)
    kind = getattr(args, "document", "plan")
    if kind != "plan":
        if deidentify is not None:
            raise UsageError("--deidentify renders the plan document only; the review and the discharge summary cannot be de-identified yet")
        engine.pack.sections_for(kind)  # a pack without this document fails before any plan
    formats = output_formats(engine, args.format or engine.pack.setting("render", "format"), getattr(args, "pdf_a", False))
    prepare_to_render(engine, formats)
    settle()  # the engine lives as long as this process: keep the collector off it
    checker = checker_for(engine, args.payer) if args.check else None
    suffix = ".deidentified" if deidentify is not None else "" if kind == "plan" else f"-{kind}"
    targets = output_targets([Path(p) for p in args.plans], formats, args.output, suffix=suffix)
    with_files = companion_formats(engine, formats, getattr(args, "charts", False))
    stems = {plan: {fmt.name: path.stem for fmt, path in outputs if fmt in with_files} for plan, outputs in targets}
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    console = Console()
    progress = Progress(len(targets), enabled=len(targets) > 1 and _is_terminal(sys.stderr), console=console)
    # A converting format (PDF) is rendered in its source format (Word) and converted in batches.
    work = [(plan, list(dict.fromkeys(rendered_as(engine, fmt) for fmt, _ in outputs))) for plan, outputs in targets]
    writer = _Writer(targets, console, engine, deidentify is not None)
    not_converted: list[Path] = []
    results = run_plans(engine, work, checker=checker, jobs=jobs, load_entrypoints=not args.no_plugins, deidentify=deidentify, companion_stems=stems, kind=kind)
    # Each plan's files are flushed to disk while the next plan renders (txplan.write_behind).
    with WriteBehind() as behind, contextlib.closing(results), contextlib.closing(converted(writer.outcomes(results), dict(targets), not_converted)) as outcomes:
        for plan_path, (result, rendered, messages) in outcomes:
            behind.submit(functools.partial(_report, progress, writer, plan_path, result, rendered, messages))
    progress.done()
    if not_converted:
        console.err(f"txplan: {len(not_converted)} of {len(targets)} plans could not be converted")
        return console.exit_code(EXIT_CANNOT_WRITE)
    if writer.failed:
        console.err(f"txplan: {writer.failed} of {len(targets)} plans could not be rendered")
        return console.exit_code(EXIT_BAD_INPUT)
    if writer.check_failed:
        return console.exit_code(EXIT_CHECK_FAILED)
    return console.exit_code(EXIT_OK)


def _report(progress: Progress, writer: _Writer, plan_path: Path, result: PlanResult, rendered: list[tuple[Path, bytes]] | None, messages: list[str]) -> None:
    """One plan's messages and files, with the progress counter around them."""
    progress.clear()
    writer.take(plan_path, result, rendered, messages)
    progress.step()


class _Writer:
    """Prints each plan's result and writes its outputs, counting the plans not written."""

    def __init__(self, targets: list[tuple[Path, list[tuple[OutputFormat, Path]]]], console: Console, engine: Engine, deidentified: bool = False) -> None:
        self.targets, self.console, self.engine, self.deidentified = targets, console, engine, deidentified
        self.outputs = dict(targets)
        self.failed = self.check_failed = 0
        self.folders_ready = False
        self.taken: set[Any] | None = None  # plans and outputs: what an extra file may not replace

    def outcomes(self, results: Any) -> Any:
        """``(plan, (result, files to write or None, messages))`` for each ``(plan, result)``:
        each output path with the bytes of the format it is rendered in (a converting format's
        still in its source format, for :func:`txplan.conversion.converted`)."""
        from ..conversion import rendered_as

        for plan_path, result in results:
            files = None
            if result.outputs:
                files = [(path, result.outputs[rendered_as(self.engine, fmt).name]) for fmt, path in self.outputs[plan_path]]
                # Extra files come after the outputs: conversion finds each output at its index.
                files += [(path.with_name(name), content) for fmt, path in self.outputs[plan_path] for name, content in result.companions.get(fmt.name, [])]
                self._refuse_taken(plan_path, files[len(self.outputs[plan_path]) :])
            yield plan_path, (result, files, [])

    def _refuse_taken(self, plan_path: Path, extras: list[tuple[Path, bytes]]) -> None:
        if self.taken is None:
            self.taken = {file_identity(path) for plan, outs in self.targets for path in [plan, *(p for _, p in outs)]}
        claim_extra_files(plan_path, [path for path, _ in extras], self.taken)

    def take(self, plan_path: Path, result: PlanResult, rendered: list[tuple[Path, bytes]] | None, messages: list[str]) -> None:
        """Report one plan: an invalid one shows its errors; a valid one its warnings and the
        check's findings, then its files are written unless the check found errors (or a
        conversion failed: ``rendered`` is then ``None`` and ``messages`` say why)."""
        for problem in result.errors if not result.valid else [*result.warnings, *(result.findings or [])]:
            self.console.err(str(problem))
        for line in messages:
            self.console.err(line)
        if self.deidentified and result.valid:
            from ..deidentify import file_name_warnings

            for line in file_name_warnings(result.name_parts, [path for _, path in self.outputs[plan_path]]):
                self.console.err(line)
        if messages and rendered is None:
            return  # counted by the caller as not converted
        if result.check_failed:
            self.check_failed += 1
            self.console.err(f"txplan: {plan_path}: not written: the insurer-readiness check found errors")
        elif not result.valid:
            self.failed += 1
            self.console.err(f"txplan: {plan_path}: not rendered")
        else:
            from ..output import ensure_folder, write_outputs

            if not self.folders_ready:
                for folder in {path.parent for _, outs in self.targets for _, path in outs}:
                    ensure_folder(folder)
                self.folders_ready = True
            files = rendered or []
            write_outputs(files)
            for path, _ in files:
                self.console.out(f"wrote {path}" + (f" ({DEIDENTIFIED_SAYS})" if self.deidentified else ""))


#: What the command says of every de-identified file it writes.
DEIDENTIFIED_SAYS = "de-identified for supervision — review before sharing"


def deidentify_option(args: argparse.Namespace) -> Any:
    """The de-identification asked for (one secret date offset for the whole run), or None."""
    if getattr(args, "shift_dates", False) and not getattr(args, "deidentify", False):
        raise UsageError("--shift-dates works only with --deidentify")
    if not getattr(args, "deidentify", False):
        return None
    from ..deidentify import Deidentify

    return Deidentify.shifted() if args.shift_dates else Deidentify()


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (OSError, ValueError):
        return False


class Progress:
    """``[12/500]`` on the terminal while a batch renders; silent when stderr is not a terminal.
    Printed through a :class:`Console`, so a terminal that goes away does not stop the batch."""

    def __init__(self, total: int, enabled: bool, console: Console | None = None) -> None:
        """Count to ``total``; print only when ``enabled``."""
        self.total, self.enabled, self.count = total, enabled, 0
        self.console = console or Console()

    def step(self) -> None:
        """One more plan done."""
        self.count += 1
        if self.enabled:
            self.console.err(f"\r[{self.count}/{self.total}] plans rendered", end="")

    def clear(self) -> None:
        """Wipe the counter's line before other messages are printed."""
        if self.enabled and self.count:
            self.console.err("\r\033[K", end="")

    def done(self) -> None:
        """End the counter's line."""
        if self.enabled:
            self.console.err("")


def companion_formats(engine: Engine, formats: list[OutputFormat], charts: bool) -> list[OutputFormat]:
    """The formats of ``formats`` written with their charts as files beside them (``--charts``):
    those with ``companions``. Without ``charts``, none. Refused (:class:`UsageError`, before
    anything is written) where matplotlib is missing or no format asked for has such files."""
    if not charts:
        return []
    from ..charts import charts_available

    if not charts_available():
        raise UsageError("--charts needs matplotlib, which is not installed: pip install 'txplan[charts]'")
    chosen = [fmt for fmt in formats if fmt.companions is not None and fmt.convert_many is None]
    if not chosen:
        able = sorted(fmt.name for fmt in engine.host.output_formats.values() if fmt.companions is not None and fmt.convert_many is None)
        raise UsageError(f"--charts writes chart files beside {', '.join(able) or 'no installed format'} output: add it to the formats (-f)")
    return chosen


def output_formats(engine: Engine, spec: str, pdf_a: bool = False) -> list[OutputFormat]:
    """The formats ``spec`` names (comma-separated names or aliases), each once; with ``pdf_a``
    each format that has an archival variant is replaced by it."""
    formats: list[OutputFormat] = []
    for name in (n.strip() for n in spec.split(",")):
        if not name:
            raise UsageError(f"empty format name in '{spec}'")
        fmt = engine.output_format(name)
        if fmt not in formats:
            formats.append(fmt)
    if pdf_a:
        # Each format with an archival variant (PDF -> PDF/A-2b) is written as that variant.
        variants = {fmt.archival_variant: fmt for fmt in engine.host.output_formats.values() if fmt.archival_variant}
        if not any(fmt.archival_variant or fmt.name in variants for fmt in formats):
            raise UsageError("--pdf-a is for PDF output: add pdf to the formats (-f pdf)")
        formats = [engine.output_format(fmt.archival_variant) if fmt.archival_variant else fmt for fmt in formats]
        formats = [fmt for n, fmt in enumerate(formats) if fmt not in formats[:n]]
    return formats


def output_targets(
    plans: list[Path], formats: list[OutputFormat], output: str | None, *, suffix: str = ""
) -> list[tuple[Path, list[tuple[OutputFormat, Path]]]]:
    """Where each plan's outputs go: ``-o`` is a file for one plan in one format (unless it
    names a folder), a folder otherwise; by default the current folder, as
    ``<plan><suffix>.<extension>``: a de-identified output is ``<plan>.deidentified.<ext>``, a
    review ``<plan>-review.<ext>``, so neither replaces the plan's own document."""
    single_file = (
        output is not None
        and len(plans) == 1
        and len(formats) == 1
        and not output.endswith(("/", "\\"))
        and not Path(output).is_dir()
    )
    folder = Path(output) if output is not None and not single_file else Path(".")
    targets = []
    for plan in plans:
        if single_file:
            targets.append((plan, [(formats[0], Path(output))]))  # type: ignore[arg-type]
        else:
            targets.append((plan, [(fmt, folder / f"{plan.stem}{suffix}.{fmt.extension}") for fmt in formats]))
    inputs = {file_identity(p): p for p in plans}
    seen: dict[Any, Path] = {}
    for plan, outs in targets:
        for _, path in outs:
            key = file_identity(path)
            if key in inputs:
                raise UsageError(f"output {path} is the input plan {inputs[key]}; txplan never overwrites a plan")
            if key in seen:
                raise UsageError(f"plans {seen[key]} and {plan} would both be written to {path}; render them into different folders")
            seen[key] = plan
    return targets


def claim_extra_files(plan_path: Path, paths: list[Path], taken: set[Any]) -> None:
    """Add ``paths`` (a format's extra files, ``--charts``) to ``taken`` (the identities of the
    run's plans, outputs and extra files so far); stop the run (:class:`PluginError`) before one
    would replace any of them."""
    from ..errors import PluginError

    for path in paths:
        key = file_identity(path)
        if key in taken:
            raise PluginError(f"{plan_path}: an output format's extra file {path} would replace a plan or another output; nothing more was written")
        taken.add(key)


def file_identity(path: Path) -> Any:
    """What identifies a file on disk (device and inode; its resolved path when it does not exist yet)."""
    try:
        stat = path.stat()
        return (stat.st_dev, stat.st_ino)
    except OSError:
        return str(path.resolve())
