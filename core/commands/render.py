"""``txplan render``: plans into documents, one process or several, all-or-nothing per plan."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    for fmt in formats:
        engine.prepare(fmt)
    targets = _targets([Path(p) for p in args.plans], formats, args.output)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    progress = Progress(len(targets), enabled=len(targets) > 1 and sys.stderr.isatty())
    failed = 0
    folders_ready = False
    check_failed = 0
    for plan_path, (messages, rendered, refused) in _render_all(engine, args, targets, jobs):
        if refused:
            check_failed += 1
            progress.clear()
            for line in messages:
                print(line, file=sys.stderr)
            print(f"txplan: {plan_path}: not written: the insurer-readiness check found errors", file=sys.stderr)
            progress.step()
            continue
        progress.clear()
        for line in messages:
            print(line, file=sys.stderr)
        if rendered is None:
            failed += 1
            print(f"txplan: {plan_path}: not rendered", file=sys.stderr)
        else:
            from ..output import ensure_folder, write_outputs

            if not folders_ready:
                for folder in {path.parent for _, outs in targets for _, path in outs}:
                    ensure_folder(folder)
                folders_ready = True
            write_outputs(rendered)
            for path, _ in rendered:
                print(f"wrote {path}")
        progress.step()
    progress.done()
    if failed:
        print(f"txplan: {failed} of {len(targets)} plans could not be rendered", file=sys.stderr)
        return EXIT_BAD_INPUT
    if check_failed:
        return EXIT_CHECK_FAILED
    return EXIT_OK


def checker_for(engine: Engine, check: bool, payer: str | None) -> Any:
    """With ``render --check``: a function from a loaded plan to its check findings, else None."""
    if not check:
        return None
    from ..checks import run_checks, select_profile

    profile, params = select_profile(engine, payer)
    as_of = engine.as_of or as_of_date(None)
    return lambda plan: run_checks(engine, plan, profile, params, as_of)


Outcome = tuple[list[str], "list[tuple[Path, bytes]] | None", bool]


def render_one(engine: Engine, plan_path: Path, outputs: list[tuple[OutputFormat, Path]], checker: Any = None) -> Outcome:
    """Render one plan into its outputs, in memory: (messages to print, rendered files or
    ``None`` when the plan has errors, whether ``checker`` found check errors and so the plan
    must not be written). Pack and plugin errors are raised: they stop the run."""
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
    return warnings, [(path, engine.render_with(fmt, document)) for fmt, path in outputs], False


def _render_all(engine: Engine, args: argparse.Namespace, targets: list[Any], jobs: int) -> Any:
    """Yield (plan, outcome) in the order the plans were given, rendering in ``jobs`` processes."""
    if jobs <= 1 or len(targets) <= 1:
        checker = checker_for(engine, args.check, args.payer)
        for plan_path, outputs in targets:
            yield plan_path, render_one(engine, plan_path, outputs, checker)
        return
    from concurrent.futures import ProcessPoolExecutor

    from .. import batch

    work = [(str(plan), [(fmt.name, str(path)) for fmt, path in outputs]) for plan, outputs in targets]
    with ProcessPoolExecutor(max_workers=min(jobs, len(targets)), initializer=batch.start_worker, initargs=(getattr(args, "pack", None), args.no_plugins, args.check, args.payer, engine.as_of)) as pool:
        for (plan_path, _), outcome in zip(targets, pool.map(batch.render_in_worker, work, chunksize=4)):
            yield plan_path, outcome


class Progress:
    """``[12/500]`` on the terminal while a batch renders; silent when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.count = total, enabled, 0

    def step(self) -> None:
        self.count += 1
        if self.enabled:
            print(f"\r[{self.count}/{self.total}] plans rendered", end="", file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.enabled and self.count:
            print("\r\033[K", end="", file=sys.stderr)

    def done(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


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
