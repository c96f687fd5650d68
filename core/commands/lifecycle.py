"""The plan over time: ``txplan due`` across a caseload, and ``txplan render --document review|discharge``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, OutputError, PlanError, Problem, UsageError
from .common import as_of_date, count, engine_from_args, print_json


def cmd_due(args: argparse.Namespace) -> int:
    """List what is due for each plan under the paths given, most overdue first. Exit 1 when
    anything is overdue, 2 when a plan could not be read or is not valid (the others are still
    listed), 0 otherwise. ``--ics`` also writes an iCalendar file, never over an existing one."""
    from ..due import caseload

    if args.within is not None and args.within < 0:
        raise UsageError("--within must be 0 or more days")
    ics_target = Path(args.ics) if args.ics else None
    if ics_target is not None:
        _refuse_existing(ics_target)
    engine = engine_from_args(args)
    due = caseload(args.paths, as_of=as_of_date(args.as_of), within=args.within, clinician=args.clinician, engine=engine, payer=args.payer)
    if ics_target is not None:
        from ..ics import caseload_calendar
        from ..output import write_outputs

        content = caseload_calendar(due)
        _refuse_existing(ics_target)  # it may have appeared while the caseload was read
        write_outputs([(ics_target, content)])
    for problem in due["problems"]:
        where = problem["file"] if problem["line"] is None else f"{problem['file']}:{problem['line']}"
        print(f"{where}: {problem['path'] + ': ' if problem['path'] else ''}{problem['message']}", file=sys.stderr)
    if args.json:
        print_json(due)
    else:
        _print_text(due)
    if ics_target is not None:
        print(f"wrote {ics_target}", file=sys.stderr)
    if due["problems"]:
        return EXIT_BAD_INPUT
    return EXIT_CHECK_FAILED if due["overdue"] else EXIT_OK


def _refuse_existing(target: Path) -> None:
    if target.exists() or target.is_symlink():
        raise OutputError(f"{target} already exists; txplan never replaces it here: choose another name")
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {target}: the folder {target.parent} does not exist")


def _print_text(due: dict[str, Any]) -> None:
    plans = due["plans"]
    overdue = sum(p["overdue"] for p in plans)
    for plan in plans:
        period = f"{plan['period']['start']} to {plan['period']['end']}" if plan["period"]["end"] else f"from {plan['period']['start']}"
        print(f"{'OVERDUE' if plan['overdue'] else 'ok'}  {plan['file']}: {plan['client']} ({plan['clinician']}), plan {period}")
        if plan["next_review"] is None:
            print("    review: no scheduled review left (add review_dates)")
        for item in plan["items"]:
            print(f"    {_item_words(item)}")
        if plan["signatures_missing"]:
            print(f"    signatures missing: {', '.join(plan['signatures_missing'])}")
        if plan["objectives_past_target"]:
            print(f"    target date passed, not met: {', '.join(plan['objectives_past_target'])}")
        check = plan["check"]
        print(f"    check ({check['profile']}): {count(check['errors'], 'error')}, {count(check['warnings'], 'warning')}")
    summary = f"as of {due['as_of']}: {count(len(plans), 'plan')} listed, {overdue} overdue"
    if due["discharged"]:
        summary += f"; {count(len(due['discharged']), 'discharged plan')} not listed"
    if due["problems"]:
        files = len({p["file"] for p in due["problems"]})
        summary += f"; {count(files, 'file')} could not be listed (see above)"
    print(summary)


def _item_words(item: dict[str, Any]) -> str:
    """``PHQ-9 reassessment due since 2026-11-08 (29 days overdue)``."""
    what = {"review": "review", "plan_end": "plan end"}.get(item["kind"], f"{item['what']} reassessment")
    days = item["days"]
    if days < 0:
        return f"{what} due since {item['date']} ({count(-days, 'day')} overdue)" if item["kind"] != "plan_end" else f"plan end passed on {item['date']} ({count(-days, 'day')} ago)"
    when = "today" if days == 0 else f"in {count(days, 'day')}"
    return f"{what} due {item['date']} ({when})" if item["kind"] != "plan_end" else f"plan ends {item['date']} ({when})"


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed from OLD to NEW, two versions of one client's plan, by field path. Both must
    be valid; plans of different clients (name or date of birth differ) are refused."""
    from ..diff import plan_diff

    engine = engine_from_args(args)
    plans = []
    problems: list[Problem] = []
    for name in (args.old, args.new):
        try:
            plan = engine.load(name)
            problems.extend(p for p in engine.validate(plan) if p.severity == "error")
            plans.append(plan)
        except PlanError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PlanError("cannot compare: fix these first (txplan validate)", problems)
    old, new = plans
    for key in ("name", "date_of_birth"):
        if old.data["client"][key] != new.data["client"][key]:
            raise UsageError(f"{args.old} and {args.new} are plans of different clients (client.{key} differs); txplan diff compares versions of one client's plan")
    changes = plan_diff(old.data, new.data, engine.host.instruments)
    if args.json:
        print_json(changes)
        return EXIT_OK
    for change in changes:
        print(f"{change['path']}: {change['message']}")
    print(f"{count(len(changes), 'change')} from {args.old} to {args.new}")
    return EXIT_OK


def cmd_renew(args: argparse.Namespace) -> int:
    """Write the next period's plan from PLAN to NEXT (never over an existing file), check that
    it validates, and list what the clinician must still decide."""
    from ..output import write_outputs
    from ..readiness import run_checks, select_profile
    from ..renew import renew, renewed_yaml

    target = Path(args.output)
    _refuse_existing(target)
    engine = engine_from_args(args)
    plan = engine.load(args.plan)
    errors = [p for p in engine.validate(plan) if p.severity == "error"]
    if errors:
        raise PlanError("cannot renew: fix these first (txplan validate)", errors)
    if isinstance(plan.data.get("discharge"), dict):
        raise UsageError(f"{args.plan}: the client was discharged (discharge.date); a discharged plan is not renewed")
    content = renewed_yaml(renew(plan.data, engine.host.instruments), Path(args.plan).name)
    renewed = _written_back(content, str(target))
    problems = [p for p in engine.validate(renewed) if p.severity == "error"]
    if problems:  # a bug of ours, never the user's: say so rather than write a plan that does not load
        raise PlanError("the renewed plan does not validate; nothing was written (please report this)", problems)
    _refuse_existing(target)
    write_outputs([(target, content)])
    print(f"wrote {target}")
    profile, params = select_profile(engine, args.payer)
    # Judged as of the new period's start when that is still to come: the plan is for then.
    starts = dt.date.fromisoformat(renewed.data["plan"]["start_date"])
    findings = run_checks(engine, renewed, profile, params, max(as_of_date(None), starts))
    for finding in findings:
        print(finding)
    print(f"{count(sum(f.severity == 'error' for f in findings), 'thing')} still to decide or complete before signing ({profile.id}); see renewal.to_decide")
    return EXIT_OK


def _written_back(content: bytes, source: str) -> Any:
    """The renewed plan as it will be read from its file (with its lines), before it is written."""
    from ..loader import load_plan_bytes

    return load_plan_bytes(content, source)
