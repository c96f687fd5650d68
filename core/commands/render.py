"""``txplan render``: plans into documents, one process or several, all-or-nothing per plan.

What it prints (``wrote ...`` lines, progress, warnings) never decides whether the work is done:
a closed or full standard output stops the printing, not the rendering (see
:mod:`txplan.console`). Worker processes of ``--jobs`` are stopped when the run stops for any
reason, and die with it if it is killed (see :mod:`txplan.batch`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..console import Console
from ..conversion import converted, rendered_as
from ..errors import EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_CHECK_FAILED, EXIT_OK, PlanError, UsageError
from .common import as_of_date, engine_for

if TYPE_CHECKING:
    from ..contracts import OutputFormat
    from ..pipeline import Engine

#: The format `txplan render` writes when none is asked for.
DEFAULT_FORMAT = "docx"


def cmd_render(args: argparse.Namespace) -> int:
    """Render each plan into each requested format, in parallel with ``--jobs``."""
    engine = engine_for(args)
    deidentify = deidentify_option(args)
    formats = _formats(engine, args.format, getattr(args, "pdf_a", False))
    for fmt in formats:
        engine.prepare(fmt)
    targets = _targets([Path(p) for p in args.plans], formats, args.output, deidentified=deidentify is not None)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    console = Console()
    progress = Progress(len(targets), enabled=len(targets) > 1 and _is_terminal(sys.stderr), console=console)
    failed = 0
    folders_ready = False
    check_failed = 0
    not_converted: list[Path] = []
    rendered_all = _render_all(engine, args, targets, jobs, deidentify)
    with contextlib.closing(rendered_all), contextlib.closing(converted(rendered_all, dict(targets), not_converted)) as outcomes:
        for plan_path, (messages, rendered, refused) in outcomes:
            progress.clear()
            for line in messages:
                console.err(line)
            if plan_path in not_converted:
                progress.step()
                continue
            if refused:
                check_failed += 1
                console.err(f"txplan: {plan_path}: not written: the insurer-readiness check found errors")
            elif rendered is None:
                failed += 1
                console.err(f"txplan: {plan_path}: not rendered")
            else:
                from ..output import ensure_folder, write_outputs

                if not folders_ready:
                    for folder in {path.parent for _, outs in targets for _, path in outs}:
                        ensure_folder(folder)
                    folders_ready = True
                write_outputs(rendered)
                for path, _ in rendered:
                    console.out(f"wrote {path}" + (f" ({DEIDENTIFIED_SAYS})" if deidentify is not None else ""))
            progress.step()
    progress.done()
    if not_converted:
        console.err(f"txplan: {len(not_converted)} of {len(targets)} plans could not be converted")
        return console.exit_code(EXIT_CANNOT_WRITE)
    if failed:
        console.err(f"txplan: {failed} of {len(targets)} plans could not be rendered")
        return console.exit_code(EXIT_BAD_INPUT)
    if check_failed:
        return console.exit_code(EXIT_CHECK_FAILED)
    return console.exit_code(EXIT_OK)


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


def checker_for(engine: Engine, check: bool, payer: str | None) -> Any:
    """With ``render --check``: a function from a loaded plan to its check findings, else None."""
    if not check:
        return None
    from ..checks import run_checks, select_profile

    profile, params = select_profile(engine, payer)
    as_of = engine.as_of or as_of_date(None)
    return lambda plan: run_checks(engine, plan, profile, params, as_of)


Outcome = tuple[list[str], "list[tuple[Path, bytes]] | None", bool]


def render_one(engine: Engine, plan_path: Path, outputs: list[tuple[OutputFormat, Path]], checker: Any = None, deidentify: Any = None) -> Outcome:
    """Render one plan into its outputs, in memory: (messages to print, rendered files or
    ``None`` when the plan has errors, whether ``checker`` found check errors and so the plan
    must not be written). With ``deidentify``, the document is de-identified and what a person
    must review is among the messages. A converting format's output (PDF) is left in its source
    format (Word), for :func:`txplan.conversion.converted` to convert with the rest of the batch. Pack and plugin
    errors are raised: they stop the run."""
    try:
        plan = engine.load(plan_path)
        problems = engine.validate(plan)
        warnings = [str(p) for p in problems if p.severity != "error"]
        document = engine.render_document(plan, problems, deidentify=deidentify)
    except PlanError as exc:
        return [str(p) for p in exc.problems], None, False
    if deidentify is not None:
        from ..deidentify import file_name_warnings

        warnings += [str(p) for p in document.context["deidentified"]["review"]]
        warnings += file_name_warnings(plan.data, [path for _, path in outputs])
    if checker is not None:
        findings = checker(plan)
        warnings += [str(f) for f in findings]
        if any(f.severity == "error" for f in findings):
            return warnings, None, True
    return warnings, [(path, engine.render_with(rendered_as(engine, fmt), document)) for fmt, path in outputs], False


def _render_all(engine: Engine, args: argparse.Namespace, targets: list[Any], jobs: int, deidentify: Any = None) -> Any:
    """Yield (plan, outcome) in the order the plans were given, rendering in ``jobs`` processes."""
    if jobs <= 1 or len(targets) <= 1:
        checker = checker_for(engine, args.check, args.payer)
        for plan_path, outputs in targets:
            yield plan_path, render_one(engine, plan_path, outputs, checker, deidentify)
        return
    from concurrent.futures import ProcessPoolExecutor

    from .. import batch

    work = [(str(plan), [(fmt.name, str(path)) for fmt, path in outputs]) for plan, outputs in targets]
    initargs = (getattr(args, "pack", None), args.no_plugins, args.check, args.payer, engine.as_of, os.getpid(), deidentify)
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(targets)), initializer=batch.start_worker, initargs=initargs)
    try:
        with batch.signals_held():
            results = pool.map(batch.render_in_worker, work, chunksize=4)  # submits all: the workers start here
        for (plan_path, _), outcome in zip(targets, results):
            yield plan_path, outcome
    except BaseException:
        # Stopped early (Ctrl-C, SIGTERM, a plugin error, or the caller closed this generator):
        # the queued plans are cancelled and each worker ends after the few plans it already
        # holds (their results are dropped: only this process writes files). The workers are
        # not killed from here: a pool whose workers are killed under it can hang or print
        # tracebacks at exit (CPython issues 107219 and 109047).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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


def _formats(engine: Engine, spec: str, pdf_a: bool = False) -> list[OutputFormat]:
    formats: list[OutputFormat] = []
    for name in (n.strip() for n in spec.split(",")):
        if not name:
            raise UsageError(f"empty format name in '{spec}'")
        fmt = engine.output_format(name)
        if fmt not in formats:
            formats.append(fmt)
    if pdf_a:
        pdf, archival = engine.output_format("pdf"), engine.output_format("pdf-a")
        if pdf not in formats and archival not in formats:
            raise UsageError("--pdf-a is for PDF output: add pdf to the formats (-f pdf)")
        formats = [archival if fmt is pdf else fmt for fmt in formats]
        formats = [fmt for n, fmt in enumerate(formats) if fmt not in formats[:n]]
    return formats


def _targets(
    plans: list[Path], formats: list[OutputFormat], output: str | None, *, deidentified: bool = False
) -> list[tuple[Path, list[tuple[OutputFormat, Path]]]]:
    """Where each plan's outputs go: ``-o`` is a file for one plan in one format (unless it
    names a folder), a folder otherwise; by default the current folder. A de-identified output
    is named ``<plan>.deidentified.<extension>``, so it never replaces the plan's own document."""
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
            stem = f"{plan.stem}.deidentified" if deidentified else plan.stem
            targets.append((plan, [(fmt, folder / f"{stem}.{fmt.extension}") for fmt in formats]))
    inputs = {_identity(p): p for p in plans}
    seen: dict[Any, Path] = {}
    for plan, outs in targets:
        for _, path in outs:
            key = _identity(path)
            if key in inputs:
                raise UsageError(f"output {path} is the input plan {inputs[key]}; txplan never overwrites a plan")
            if key in seen:
                raise UsageError(f"plans {seen[key]} and {plan} would both be written to {path}; render them into different folders")
            seen[key] = plan
    return targets


def _identity(path: Path) -> Any:
    try:
        stat = path.stat()
        return (stat.st_dev, stat.st_ino)
    except OSError:
        return str(path.resolve())
