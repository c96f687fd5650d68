"""``txplan plugins``, ``instruments``, ``score`` and ``interventions``: what the plugins provide."""

from __future__ import annotations

import argparse

from ..errors import EXIT_OK, UsageError
from .common import engine_for, host_for, print_json


def cmd_plugins(args: argparse.Namespace) -> int:
    """List loaded plugins with their versions and what they register."""

    host = host_for(args)
    plugins = host.plugins()
    if args.json:
        payload = [
            {"name": p.name, "distribution": p.distribution, "version": p.version, "builtin": p.builtin, "registers": p.registered}
            for p in plugins
        ]
        print_json(payload)
        return EXIT_OK
    for p in plugins:
        kind = "built-in" if p.builtin else "plugin"
        print(f"{p.name} ({p.distribution} {p.version}, {kind})")
        for what, ids in p.registered.items():
            print(f"    {what}: {', '.join(ids)}")
    from ..charts import charts_status

    print(charts_status())
    return EXIT_OK


def cmd_instruments(args: argparse.Namespace) -> int:
    """List the assessment instruments with their citation and licence note."""

    host = host_for(args)
    instruments = sorted(host.instruments.values(), key=lambda i: i.id)
    if args.json:
        payload = [
            {
                "id": i.id,
                "name": i.name,
                "citation": i.citation,
                "licence": i.licence,
                "scores": {name: i.label(name) for name in i.score_labels},
                "codes": dict(i.codes),
                "thresholds": [{"score": t.score, "points": t.points, "label": t.label, "citation": t.citation} for t in i.thresholds],
                "plugin": (host.plugin_of(i).name if host.plugin_of(i) else None),
            }
            for i in instruments
        ]
        print_json(payload)
        return EXIT_OK
    for i in instruments:
        print(f"{i.id}: {i.name}")
        print(f"    citation: {i.citation}")
        print(f"    licence: {i.licence}")
        if i.score_labels:
            print(f"    scores: {', '.join(i.score_labels)}")
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    """Score one response set and print the scores."""
    from ..scoring import result_json, score_file

    host = host_for(args)
    instrument = host.instruments.get(args.instrument)
    if instrument is None:
        raise UsageError(f"unknown instrument '{args.instrument}' (available: {', '.join(sorted(host.instruments))})")
    result = score_file(instrument, args.file)
    if args.json:
        print_json(result_json(instrument, result))
        return EXIT_OK
    print(instrument.name)
    if result.summary:
        print(f"    {result.summary}")
    for name, value in result.scores.items():
        print(f"    {instrument.label(name)}: {_number(value)}")
    if result.severity:
        print(f"    severity: {result.severity}")
    for flag in result.flags:
        print(f"    flag {flag}: {instrument.flags.get(flag, flag)}")
    return EXIT_OK


def _number(value: float) -> str:
    from ..measures import number

    return number(value)


def cmd_interventions(args: argparse.Namespace) -> int:
    """List intervention library entries with their descriptions."""
    engine = engine_for(args)
    libraries = sorted(engine.libraries.values(), key=lambda lib: lib.namespace)
    if args.library:
        libraries = [lib for lib in libraries if lib.namespace == args.library]
        if not libraries:
            raise UsageError(f"unknown intervention library '{args.library}' (available: {', '.join(sorted(engine.libraries))})")
    if args.json:
        payload = [
            {
                "namespace": lib.namespace,
                "name": lib.name,
                "description": lib.description,
                "entries": [
                    {"id": f"{lib.namespace}.{e.id}", "name": e.name, "description": e.description, "rationale": e.rationale,
                     "frequency": e.frequency, "problems": list(e.problems), "goals": list(e.goals), "citation": e.citation}
                    for e in lib.entries
                ],
            }
            for lib in libraries
        ]
        print_json(payload)
        return EXIT_OK
    for lib in libraries:
        print(f"{lib.namespace}: {lib.name}")
        for e in lib.entries:
            print(f"  {lib.namespace}.{e.id}: {e.name}")
            print(f"      {e.description}")
            if e.frequency:
                print(f"      typical frequency: {e.frequency}")
    return EXIT_OK
