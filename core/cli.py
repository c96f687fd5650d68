"""The ``txplan`` command line. Errors become messages and exit codes here, and only here."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, OutputError, PlanError, TxplanError, UsageError

if TYPE_CHECKING:
    from .contracts import OutputFormat
    from .pipeline import Engine

DEFAULT_FORMAT = "docx"
EXAMPLE_PLAN = "attachment-plan.yaml"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``txplan`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.command(args))
    except TxplanError as exc:
        if exc.message:
            print(f"txplan: error: {exc.message}", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if args.debug and exc.__cause__ is not None:
            traceback.print_exception(exc.__cause__)
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (`txplan schema | head`): not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
        return EXIT_OK
    except KeyboardInterrupt:
        print("txplan: interrupted; no output was written for the plan in progress", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected error is reported
        if args.debug:
            traceback.print_exc()
        else:
            frame = _own_frame(exc)
            print(
                f"txplan: internal error: {type(exc).__name__}{frame}. Please report it; run with --debug for details.",
                file=sys.stderr,
            )
        return EXIT_INTERNAL


def _own_frame(exc: BaseException) -> str:
    """Where in txplan's own code the error happened (no values, no locals: no plan content)."""
    import txplan.plugins

    roots = (str(Path(__file__).parent), str(Path(txplan.plugins.__file__).parent))
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(roots)]
    if not frames:
        return ""
    last = frames[-1]
    return f" in {Path(last.filename).name}:{last.lineno}"


# -- the commands ---------------------------------------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
    """Render each plan into each requested format, in parallel with ``--jobs``."""
    engine = _engine(args)
    formats = _formats(engine, args.format)
    for fmt in formats:
        engine.prepare(fmt)
    targets = _targets([Path(p) for p in args.plans], formats, args.output)
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    progress = _Progress(len(targets), enabled=len(targets) > 1 and sys.stderr.isatty())
    failed = 0
    folders_ready = False
    checking = _checking(engine, args)
    check_failed = 0
    for plan_path, outcome in _render_all(engine, args, targets, jobs):
        messages, rendered = outcome
        if rendered is not None and checking is not None:
            findings = checking(plan_path)
            messages = [*messages, *(str(f) for f in findings)]
            if any(f.severity == "error" for f in findings):
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
            from .output import ensure_folder, write_outputs

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
        from .errors import EXIT_CHECK_FAILED

        return EXIT_CHECK_FAILED
    return EXIT_OK


def _checking(engine: Engine, args: argparse.Namespace) -> Any:
    """With ``render --check``: a function from a plan path to its check findings."""
    if not args.check:
        return None
    from .checks import run_checks, select_profile

    profile, params = select_profile(engine, args.payer)
    as_of = _as_of(None)
    return lambda path: run_checks(engine, engine.load(path), profile, params, as_of)


Outcome = tuple[list[str], "list[tuple[Path, bytes]] | None"]


def render_one(engine: Engine, plan_path: Path, outputs: list[tuple[OutputFormat, Path]]) -> Outcome:
    """Render one plan into its outputs, in memory: (messages to print, rendered files or
    ``None`` when the plan has errors). Pack and plugin errors are raised: they stop the run."""
    try:
        plan = engine.load(plan_path)
        problems = engine.validate(plan)
        warnings = [str(p) for p in problems if p.severity != "error"]
        document = engine.render_document(plan, problems)
    except PlanError as exc:
        return [str(p) for p in exc.problems], None
    return warnings, [(path, engine.render_with(fmt, document)) for fmt, path in outputs]


def _render_all(engine: Engine, args: argparse.Namespace, targets: list[Any], jobs: int) -> Any:
    """Yield (plan, outcome) in the order the plans were given, rendering in ``jobs`` processes."""
    if jobs <= 1 or len(targets) <= 1:
        for plan_path, outputs in targets:
            yield plan_path, render_one(engine, plan_path, outputs)
        return
    from concurrent.futures import ProcessPoolExecutor

    from . import batch

    work = [(str(plan), [(fmt.name, str(path)) for fmt, path in outputs]) for plan, outputs in targets]
    with ProcessPoolExecutor(max_workers=min(jobs, len(targets)), initializer=batch.start_worker, initargs=(getattr(args, "pack", None), args.no_plugins)) as pool:
        for (plan_path, _), outcome in zip(targets, pool.map(batch.render_in_worker, work, chunksize=4)):
            yield plan_path, outcome


class _Progress:
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


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate each plan and report every problem; plans checked together are also compared
    with each other (identical goal statements)."""
    from .individualisation import shared_goal_warnings

    engine = _engine(args)
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
            print(f"{name}: invalid ({_count(errors, 'error')}, {_count(warnings, 'warning')})", file=sys.stderr)
        else:
            print(f"{name}: valid ({_count(warnings, 'warning')})")
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Check plans against what a payer or accreditor requires; exit 1 if any error is found."""
    from .checks import run_checks, select_profile
    from .errors import EXIT_CHECK_FAILED

    engine = _engine(args)
    profile, params = select_profile(engine, args.payer)
    as_of = _as_of(args.as_of)
    findings, bad_input = [], False
    for name in args.plans:
        try:
            plan = engine.load(name)
            problems = engine.validate(plan)
        except PlanError as exc:
            bad_input = True
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            continue
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            bad_input = True
            for problem in errors:
                print(problem, file=sys.stderr)
            print(f"txplan: {name}: not checked: fix these errors first", file=sys.stderr)
            continue
        findings.extend(run_checks(engine, plan, profile, params, as_of))
    error_count = sum(f.severity == "error" for f in findings)
    if args.json:
        _print_json([f.as_json() for f in findings])
    else:
        for finding in findings:
            print(finding)
        print(f"{_count(error_count, 'error')}, {_count(len(findings) - error_count, 'warning')} ({profile.id}, as of {as_of.isoformat()})")
    if bad_input:
        return EXIT_BAD_INPUT
    return EXIT_CHECK_FAILED if error_count else EXIT_OK


def _as_of(text: str | None) -> Any:
    import datetime as dt

    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the effective JSON Schema (core + plugins + pack)."""
    engine = _engine(args)
    _print_json(engine.schema)
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
    """List loaded plugins with their versions and what they register."""

    host = _host(args)
    plugins = host.plugins()
    if args.json:
        payload = [
            {"name": p.name, "distribution": p.distribution, "version": p.version, "builtin": p.builtin, "registers": p.registered}
            for p in plugins
        ]
        _print_json(payload)
        return EXIT_OK
    for p in plugins:
        kind = "built-in" if p.builtin else "plugin"
        print(f"{p.name} ({p.distribution} {p.version}, {kind})")
        for what, ids in p.registered.items():
            print(f"    {what}: {', '.join(ids)}")
    return EXIT_OK


def cmd_pack_list(args: argparse.Namespace) -> int:
    """List the installed template packs and where each comes from."""
    from .packs import resolve_pack

    host = _host(args)
    for name in sorted(host.template_packs):
        source = host.template_packs[name]
        owner = host.plugin_of(source)
        origin = "built-in" if owner is None or owner.builtin else f"plugin {owner.label}"
        pack = resolve_pack(name, host.template_packs)
        extends = f", extends {pack.parent.name}" if pack.parent else ""
        print(f"{name} ({origin}{extends}): {source.description or pack.manifest.get('description', '')}")
        print(f"    {pack.root}")
    return EXIT_OK


def cmd_pack_new(args: argparse.Namespace) -> int:
    """Scaffold a template pack that renders at once."""
    from .packs import resolve_pack
    from .packtools import new_pack

    parent = resolve_pack(args.extends, _host(args).template_packs)
    folder = Path(args.output or args.name)
    for path in new_pack(args.name, folder, args.extends, parent):
        print(f"wrote {path}")
    print(f"next: txplan pack check {folder}")
    return EXIT_OK


def cmd_pack_check(args: argparse.Namespace) -> int:
    """Report every problem with a template pack at once; exit 3 if there are any."""
    from .errors import EXIT_BAD_PACK_OR_PLUGIN
    from .packtools import check_pack

    host = _host(args)
    sample = resources.files("txplan.examples").joinpath(EXAMPLE_PLAN)
    problems = check_pack(args.pack_dir, host, Path(str(sample)))
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"txplan: pack {args.pack_dir}: {_count(len(problems), 'problem')}", file=sys.stderr)
        return EXIT_BAD_PACK_OR_PLUGIN
    print(f"{args.pack_dir}: no problems found")
    return EXIT_OK


def cmd_interventions(args: argparse.Namespace) -> int:
    """List intervention library entries with their descriptions."""
    engine = _engine(args)
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
        _print_json(payload)
        return EXIT_OK
    for lib in libraries:
        print(f"{lib.namespace}: {lib.name}")
        for e in lib.entries:
            print(f"  {lib.namespace}.{e.id}: {e.name}")
            print(f"      {e.description}")
            if e.frequency:
                print(f"      typical frequency: {e.frequency}")
    return EXIT_OK


def cmd_instruments(args: argparse.Namespace) -> int:
    """List the assessment instruments with their citation and licence note."""

    host = _host(args)
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
        _print_json(payload)
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
    from .scoring import result_json, score_file

    host = _host(args)
    instrument = host.instruments.get(args.instrument)
    if instrument is None:
        raise UsageError(f"unknown instrument '{args.instrument}' (available: {', '.join(sorted(host.instruments))})")
    result = score_file(instrument, args.file)
    if args.json:
        _print_json(result_json(instrument, result))
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
    from .measures import number

    return number(value)


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
    from .output import write_outputs

    write_outputs([(target, content)])
    print(f"wrote {target}")
    return EXIT_OK


# -- helpers ---------------------------------------------------------------------------------


def _engine(args: argparse.Namespace) -> Engine:
    from .pipeline import Engine

    host = _host(args)
    return Engine(getattr(args, "pack", None), host=host)


def _host(args: argparse.Namespace) -> Any:
    """The plugin host, with plugin problems printed as warnings."""
    from .plugin_host import PluginHost

    host = PluginHost(load_entrypoints=not args.no_plugins)
    _print_plugin_problems(host.problems)
    return host


def _print_json(value: Any) -> None:
    """``value`` as indented JSON on standard output."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _print_plugin_problems(problems: list[str]) -> None:
    for problem in problems:
        print(f"txplan: warning: {problem}", file=sys.stderr)


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


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for (reading package metadata slows every start)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from . import __version__

        print(f"txplan {__version__}")
        parser.exit()


def _common_options(default: Any) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=default, help="show tracebacks for errors")
    common.add_argument("--no-plugins", action="store_true", default=default, help="load only built-in plugins, no third-party ones")
    return common


def _parser() -> argparse.ArgumentParser:
    # The global options are accepted before or after the command; the command's copy must not
    # have a default of its own, or it would reset a value given before the command.
    common = _common_options(default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="txplan",
        description="Turn a psychotherapy treatment plan, written once as YAML or JSON, into the documents a practice needs.",
        epilog="Exit codes: 0 success, 1 check found problems, 2 bad plan input, 3 bad template pack or plugin, 4 cannot write output, 70 internal error.",
        parents=[_common_options(default=False)],
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show txplan's version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    render = commands.add_parser("render", parents=[common], help="render plans into documents", description="Render plans into documents.")
    render.add_argument("plans", nargs="+", metavar="PLAN", help="plan files (.yaml, .yml or .json)")
    render.add_argument("-f", "--format", default=DEFAULT_FORMAT, metavar="FORMAT[,FORMAT]", help=f"output formats (default: {DEFAULT_FORMAT}); see 'txplan plugins'")
    render.add_argument("-o", "--output", metavar="PATH", help="output file (one plan, one format) or folder (created if missing); default: the current folder")
    render.add_argument("--pack", metavar="NAME|DIR", help="template pack: an installed pack's name or a pack folder (default: default)")
    render.add_argument("--check", action="store_true", help="refuse to write a plan that the insurer-readiness check finds errors in")
    render.add_argument("--payer", metavar="PROFILE", help="payer profile for --check (default: the pack's, else commercial-default)")
    render.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="render in N processes (0: one per CPU; default 1)")
    render.set_defaults(command=cmd_render)

    validate = commands.add_parser("validate", parents=[common], help="check plans and list every problem", description="Check plans against the effective schema and list every problem.")
    validate.add_argument("plans", nargs="+", metavar="PLAN")
    validate.add_argument("--pack", metavar="NAME|DIR", help="also apply this pack's requirements")
    validate.set_defaults(command=cmd_validate)

    check = commands.add_parser("check", parents=[common], help="find what a payer or surveyor would reject", description="Check plans against what a payer or accreditor requires. Exit 1 if any error is found.")
    check.add_argument("plans", nargs="+", metavar="PLAN")
    check.add_argument("--payer", metavar="PROFILE", help="medicare-outpatient, accreditation, commercial-default (default: the pack's, else commercial-default)")
    check.add_argument("--as-of", metavar="DATE", help="the date the plan is judged at (default: today)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--pack", metavar="NAME|DIR", help="template pack (its requirements and check settings)")
    check.set_defaults(command=cmd_check)

    schema = commands.add_parser("schema", parents=[common], help="print the effective JSON Schema", description="Print the effective JSON Schema for plans (core, plugins and pack).")
    schema.add_argument("--pack", metavar="NAME|DIR", help="include this pack's requirements")
    schema.set_defaults(command=cmd_schema)

    plugins = commands.add_parser("plugins", parents=[common], help="list loaded plugins", description="List loaded plugins, their versions and what they register.")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(command=cmd_plugins)

    pack = commands.add_parser("pack", help="list, create and check template packs", description="Template packs: a practice's paperwork (letterhead, sections, labels, requirements).")
    pack_commands = pack.add_subparsers(title="pack commands", metavar="PACK-COMMAND")
    pack.set_defaults(command=lambda _args: (pack.print_help(sys.stderr), EXIT_BAD_INPUT)[1])
    pack_list = pack_commands.add_parser("list", parents=[common], help="list installed packs", description="List installed template packs and where each comes from.")
    pack_list.set_defaults(command=cmd_pack_list)
    pack_new = pack_commands.add_parser("new", parents=[common], help="scaffold a new pack", description="Scaffold a template pack that renders at once, with comments that explain each file.")
    pack_new.add_argument("name", metavar="NAME", help="the pack's name (lower case, digits, hyphens)")
    pack_new.add_argument("--extends", default="default", metavar="PACK", help="the pack it builds on (default: default)")
    pack_new.add_argument("-o", "--output", metavar="DIR", help="folder to create (default: NAME)")
    pack_new.set_defaults(command=cmd_pack_new)
    pack_check = pack_commands.add_parser("check", parents=[common], help="report every problem in a pack", description="Check a template pack and report every problem at once (exit 3 if any).")
    pack_check.add_argument("pack_dir", metavar="DIR|NAME", help="the pack's folder, or an installed pack's name")
    pack_check.set_defaults(command=cmd_pack_check)

    interventions = commands.add_parser("interventions", parents=[common], help="list intervention library entries", description="List the entries of the intervention libraries (plugins' and the pack's).")
    interventions.add_argument("--library", metavar="ID", help="only this library (e.g. cbt)")
    interventions.add_argument("--json", action="store_true", help="print JSON")
    interventions.add_argument("--pack", metavar="NAME|DIR", help="include this pack's own libraries")
    interventions.set_defaults(command=cmd_interventions)

    instruments = commands.add_parser("instruments", parents=[common], help="list assessment instruments", description="List assessment instruments with their citation and licence note.")
    instruments.add_argument("--json", action="store_true", help="print JSON")
    instruments.set_defaults(command=cmd_instruments)

    score = commands.add_parser("score", parents=[common], help="score one set of answers", description="Score one administration: a YAML or JSON file holding the answers alone or a whole assessment entry.")
    score.add_argument("instrument", metavar="INSTRUMENT", help="instrument id (see 'txplan instruments')")
    score.add_argument("file", metavar="FILE", help="YAML or JSON file with the answers")
    score.add_argument("--json", action="store_true", help="print JSON")
    score.set_defaults(command=cmd_score)

    example = commands.add_parser("example", parents=[common], help="write the bundled example plan", description="Write the bundled example plan, to start a plan of your own from it.")
    example.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output); never replaces an existing file")
    example.add_argument("--force", action="store_true", help="replace FILE if it exists")
    example.set_defaults(command=cmd_example)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
