"""``txplan validate``, ``check``, ``schema`` and ``example``: commands about plans themselves."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, OutputError, PlanError
from .common import EXAMPLE_PLAN, as_of_date, count, engine_for, print_json


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each plan and report every problem; plans checked together are also compared
    with each other (identical goal statements)."""
    from ..individualisation import shared_goal_warnings

    engine = engine_for(args)
    loaded: list[tuple[str, Any, list[Any]]] = []
    bad = 0
    for name in args.plans:
        try:
            plan = engine.load(name)
        except PlanError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        loaded.append((name, plan, engine.validate(plan)))
    shared = shared_goal_warnings([plan for _, plan, _ in loaded])
    for index, (name, _, problems) in enumerate(loaded):
        problems = sorted([*problems, *shared.get(index, [])], key=lambda p: (p.line or 0, p.path))
        for problem in problems:
            print(problem, file=sys.stderr)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        if errors:
            bad += 1
            print(f"{name}: invalid ({count(errors, 'error')}, {count(warnings, 'warning')})", file=sys.stderr)
        else:
            print(f"{name}: valid ({count(warnings, 'warning')})")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Check plans against what a payer or accreditor requires; exit 1 if any error is found.
    A plan that is not valid is not checked: its problems are printed as ``validate`` prints
    them (and, with ``--json``, listed under the rule ``validation``), and the run exits 2: the
    output never reads as a clean result for a plan nobody could check."""
    from ..readiness import Reported, run_checks, select_profile

    engine = engine_for(args)
    profile, params = select_profile(engine, args.payer)
    as_of = as_of_date(args.as_of)
    findings: list[Reported] = []
    invalid: list[Reported] = []
    checked, not_checked = 0, 0
    for name in args.plans:
        try:
            plan = engine.load(name)
            problems = engine.validate(plan)
        except PlanError as exc:
            problems = exc.problems
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            not_checked += 1
            invalid.extend(Reported(p.file, p.line, p.path, p.severity, VALIDATION_RULE, p.message) for p in errors)
            if not args.json:
                for problem in errors:
                    print(problem, file=sys.stderr)
                print(f"txplan: {name}: not checked: invalid ({count(len(errors), 'error')}); fix these first (txplan validate)", file=sys.stderr)
            continue
        checked += 1
        findings.extend(run_checks(engine, plan, profile, params, as_of))
    error_count = sum(f.severity == "error" for f in findings)
    if args.json:
        print_json([f.as_json() for f in [*invalid, *findings]])
    else:
        for finding in findings:
            print(finding)
        if checked:
            summary = f"{count(error_count, 'error')}, {count(len(findings) - error_count, 'warning')} ({profile.id}, as of {as_of.isoformat()})"
            print(summary + (f" in {count(checked, 'plan')} checked; {not_checked} not checked (invalid)" if not_checked else ""))
        else:
            print(f"txplan: no plan checked: {count(not_checked, 'plan')} invalid", file=sys.stderr)
    if not_checked:
        return EXIT_BAD_INPUT
    return EXIT_CHECK_FAILED if error_count else EXIT_OK


#: The rule name ``check --json`` gives a problem that kept a plan from being checked at all.
VALIDATION_RULE = "validation"


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the effective JSON Schema (core + plugins + pack)."""
    engine = engine_for(args)
    print_json(engine.schema)
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    """Write the bundled example plan to a file (never over an existing one) or to stdout."""
    content = resources.files("txplan.examples").joinpath(EXAMPLE_PLAN).read_bytes()
    if args.output is None:
        sys.stdout.write(content.decode("utf-8"))
        return EXIT_OK
    target = Path(args.output)
    if target.is_dir():
        target = target / EXAMPLE_PLAN
    if target.exists() and not args.force:
        raise OutputError(f"{target} already exists; choose another name or pass --force to replace it")
    from ..output import write_outputs

    write_outputs([(target, content)])
    print(f"wrote {target}")
    return EXIT_OK
