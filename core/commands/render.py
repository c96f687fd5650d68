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
from ..errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, PlanError, UsageError
from .common import as_of_date, engine_for

if TYPE_CHECKING:
    from ..contracts import OutputFormat
    from ..pipeline import Engine

#: The format `txplan render` writes when none is asked for.
DEFAULT_FORMAT = "docx"


def cmd_render(args: argparse.Namespace) -> int:
    """Render each plan into each requested format, in parallel with ``--jobs``."""
    engine = engine_for(args)
    formats = _formats(engine, args.format)
    if getattr(args, "charts", False):
        from ..charts import charts_available

        if not charts_available():
            raise UsageError("--charts needs matplotlib, which is not installed: pip install 'txplan[charts]'")
    for fmt in formats:
        engine.prepare(fmt)
    targets = _targets([Path(p) for p in args.plans], formats, args.output)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    console = Console()
    progress = Progress(len(targets), enabled=len(targets) > 1 and _is_terminal(sys.stderr), console=console)
    failed = 0
    folders_ready = False
    check_failed = 0
    with contextlib.closing(_render_all(engine, args, targets, jobs)) as outcomes:
        for plan_path, (messages, rendered, refused) in outcomes:
            progress.clear()
            for line in messages:
                console.err(line)
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
                    console.out(f"wrote {path}")
            progress.step()
    progress.done()
    if failed:
        console.err(f"txplan: {failed} of {len(targets)} plans could not be rendered")
        return console.exit_code(EXIT_BAD_INPUT)
    if check_failed:
        return console.exit_code(EXIT_CHECK_FAILED)
    return console.exit_code(EXIT_OK)


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


def render_one(engine: Engine, plan_path: Path, outputs: list[tuple[OutputFormat, Path]], checker: Any = None, chart_files: bool = False) -> Outcome:
    """Render one plan into its outputs, in memory: (messages to print, rendered files or
    ``None`` when the plan has errors, whether ``checker`` found check errors and so the plan
    must not be written). With ``chart_files`` (``--charts``), a Markdown output comes with its
    score charts as PNG files beside it. Pack and plugin errors are raised: they stop the run."""
    try:
        plan = engine.load(plan_path)
        problems = engine.validate(plan)
        warnings = [str(p) for p in problems if p.severity != "error"]
        document = engine.render_document(plan, problems)
    except PlanError as exc:
        return [str(p) for p in exc.problems], None, False
    if checker is not None:
        findings = checker(plan)
        warnings += [str(f) for f in findings]
        if any(f.severity == "error" for f in findings):
            return warnings, None, True
    files: list[tuple[Path, bytes]] = []
    for fmt, path in outputs:
        if chart_files and fmt.name == "markdown":
            from ..plugins.formats.markdown_charts import markdown_with_chart_files

            files += markdown_with_chart_files(document, path)
        else:
            files.append((path, engine.render_with(fmt, document)))
    return warnings, files, False


def _render_all(engine: Engine, args: argparse.Namespace, targets: list[Any], jobs: int) -> Any:
    """Yield (plan, outcome) in the order the plans were given, rendering in ``jobs`` processes."""
    if jobs <= 1 or len(targets) <= 1:
        checker = checker_for(engine, args.check, args.payer)
        for plan_path, outputs in targets:
            yield plan_path, render_one(engine, plan_path, outputs, checker, getattr(args, "charts", False))
        return
    from concurrent.futures import ProcessPoolExecutor

    from .. import batch

    work = [(str(plan), [(fmt.name, str(path)) for fmt, path in outputs]) for plan, outputs in targets]
    initargs = (getattr(args, "pack", None), args.no_plugins, args.check, args.payer, engine.as_of, os.getpid(), getattr(args, "charts", False))
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


def _formats(engine: Engine, spec: str) -> list[OutputFormat]:
    formats: list[OutputFormat] = []
    for name in (n.strip() for n in spec.split(",")):
        if not name:
            raise UsageError(f"empty format name in '{spec}'")
        fmt = engine.output_format(name)
        if fmt not in formats:
            formats.append(fmt)
    return formats


def _targets(plans: list[Path], formats: list[OutputFormat], output: str | None) -> list[tuple[Path, list[tuple[OutputFormat, Path]]]]:
    """Where each plan's outputs go: ``-o`` is a file for one plan in one format (unless it
    names a folder), a folder otherwise; by default the current folder."""
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
            targets.append((plan, [(fmt, folder / f"{plan.stem}.{fmt.extension}") for fmt in formats]))
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
