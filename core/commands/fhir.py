"""``txplan export --to fhir`` and ``txplan import``: a plan out as a FHIR R4 Bundle, and
instrument answers from FHIR into a plan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import EXIT_OK, OutputError, UsageError
from .common import as_of_date, engine_from_args

#: Export targets (one for now: the issue asks for FHIR R4 only).
TARGETS = ("fhir",)


def cmd_export(args: argparse.Namespace) -> int:
    """Write the plan as one FHIR R4 Bundle to ``-o FILE`` or standard output."""
    from ..fhir.export import exported
    from .render import DEIDENTIFIED_SAYS, deidentify_option

    if args.to not in TARGETS:
        raise UsageError(f"unknown export target '{args.to}' (available: {', '.join(TARGETS)})")
    deidentify = deidentify_option(args)
    engine = engine_from_args(args)
    plan = engine.load(args.plan)
    bundle, review = exported(engine, plan, as_of=as_of_date(args.as_of) if args.as_of else None, deidentify=deidentify or False)
    # What a person must check, by field and line (never the value), before the bundle leaves.
    for problem in review:
        print(problem, file=sys.stderr)
    said = f" ({DEIDENTIFIED_SAYS})" if deidentify is not None else ""
    if said:
        from ..deidentify import client_name_parts, file_name_warnings

        named = [Path(args.output)] if args.output not in (None, "-") else []
        for warning in file_name_warnings(client_name_parts(plan.data), named):
            print(warning, file=sys.stderr)
    content = (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    if args.output in (None, "-"):
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        if said:
            print(f"txplan: exported{said}", file=sys.stderr)
        return EXIT_OK
    target = Path(args.output)
    if target.exists() and Path(args.plan).exists() and target.resolve() == Path(args.plan).resolve():
        raise OutputError(f"{target} is the plan itself; choose another output file")
    from ..output import write_outputs

    write_outputs([(target, content)])
    print(f"wrote {target}{said}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Print (or, with ``--write``, add to the plan) the assessment entries in a FHIR file."""
    from ..datafile import kind_for
    from ..fhir.importer import administrations
    from ..fhir.plan_edit import checked_update, entry_yaml, new_entries
    from ..fhir.read import read_fhir

    engine = engine_from_args(args)
    plan = engine.load(args.plan)
    resource = read_fhir(args.source)
    client_identifier = (plan.data.get("client") or {}).get("identifier")
    found, skipped = administrations(resource, engine.host.instruments, client_identifier, args.source)
    entries, already = new_entries(plan, [a.entry() for a in found])
    note = f" ({already} already in the plan)" if already else ""
    if skipped:
        print(f"txplan: {args.source}: skipped {skipped} Observation{'s' if skipped != 1 else ''} holding a txplan score alone (no answers to import)", file=sys.stderr)
    if not entries:
        print(f"{args.plan}: nothing to add{note}", file=sys.stderr)
        return EXIT_OK
    if not args.write:
        sys.stdout.write("".join(entry_yaml(entry, 2) for entry in entries))
        print(f"{args.plan}: would add {len(entries)} assessment entr{'y' if len(entries) == 1 else 'ies'}{note}; run with --write to add them", file=sys.stderr)
        return EXIT_OK
    assert plan.path is not None
    raw = plan.path.read_bytes()
    kind = kind_for(plan.path, raw)
    text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    new_text = checked_update(plan, text, kind, entries, engine.validate)
    if b"\r\n" in raw:  # a file written on Windows keeps its line endings
        new_text = new_text.replace("\n", "\r\n")
    from ..output import write_outputs

    write_outputs([(plan.path, new_text.encode("utf-8"))])
    print(f"{args.plan}: added {len(entries)} assessment entr{'y' if len(entries) == 1 else 'ies'}{note}")
    return EXIT_OK


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``export`` and ``import`` to the command line."""
    export = commands.add_parser(
        "export", parents=[common], help="export a plan as FHIR R4", description="Write a plan as one HL7 FHIR R4 (4.0.1) Bundle with US Core profiles."
    )
    export.add_argument("plan", metavar="PLAN", help="the plan file (YAML or JSON)")
    export.add_argument("--to", required=True, metavar="TARGET", help="what to export to: fhir")
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default, or '-': standard output)")
    export.add_argument("--pack", metavar="NAME|DIR", help="template pack for the attached documents")
    export.add_argument("--as-of", metavar="DATE", help="the date the attached documents state objectives' status at (default: today)")
    export.add_argument(
        "--deidentify",
        action="store_true",
        help="de-identify for supervision (HIPAA Safe Harbor: names, identifiers, contacts removed, dates reduced to the year; random ids); review before sharing",
    )
    export.add_argument("--shift-dates", action="store_true", help="with --deidentify: move every date by one secret random offset instead (intervals kept; not Safe Harbor)")
    export.set_defaults(command=cmd_export)

    imports = commands.add_parser(
        "import",
        parents=[common],
        help="add instrument answers from FHIR to a plan",
        description="Read a FHIR R4 QuestionnaireResponse, Observation or Bundle of them and print the assessment entries "
        "they give; with --write, add the new ones to the plan file.",
    )
    imports.add_argument("plan", metavar="PLAN", help="the plan file to add the entries to")
    imports.add_argument("source", metavar="FROM.json", help="the FHIR JSON file")
    imports.add_argument("--write", action="store_true", help="add the entries to PLAN (atomically; an invalid result is never written)")
    imports.set_defaults(command=cmd_import)
