"""``txplan validate``, ``check``, ``schema`` and ``example``: commands about plans themselves."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, OutputError
from .common import EXAMPLE_PLAN, as_of_date, count, engine_from_args, print_json

if TYPE_CHECKING:
    from ..errors import Problem


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each plan and report every problem; plans checked together are also compared
    with each other (identical goal statements). Plans that cannot be loaded are reported first."""
    from ..jobs import validate_together

    results = validate_together(engine_from_args(args), args.plans)
    bad = 0
    for result in results:
        if result.plan is None:
            bad += 1
            for problem in result.problems:
                print(problem, file=sys.stderr)
    for name, result in zip(args.plans, results, strict=True):
        if result.plan is None:
            continue
        for problem in result.problems:
            print(problem, file=sys.stderr)
        errors, warnings = len(result.errors), len(result.warnings)
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
    from ..jobs import run_plan
    from ..readiness import checker_for

    engine = engine_from_args(args)
    as_of = as_of_date(args.as_of)
    checker = checker_for(engine, args.payer, as_of)
    findings: list[Problem] = []
    invalid: list[Problem] = []
    checked, not_checked = 0, 0
    for name in args.plans:
        result = run_plan(engine, name, checker=checker)
        if not result.valid:
            not_checked += 1
            invalid.extend(dataclasses.replace(p, rule=VALIDATION_RULE) for p in result.errors)
            if not args.json:
                for problem in result.errors:
                    print(problem, file=sys.stderr)
                print(f"txplan: {name}: not checked: invalid ({count(len(result.errors), 'error')}); fix these first (txplan validate)", file=sys.stderr)
            continue
        checked += 1
        findings.extend(result.findings or [])
    error_count = sum(f.severity == "error" for f in findings)
    if args.json:
        print_json([f.as_json() for f in [*invalid, *findings]])
    else:
        for finding in findings:
            print(finding)
        if checked:
            summary = f"{count(error_count, 'error')}, {count(len(findings) - error_count, 'warning')} ({checker.profile.id}, as of {as_of.isoformat()})"
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
    engine = engine_from_args(args)
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
