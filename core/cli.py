"""The ``txplan`` command line: parses options, runs the command, and turns errors into messages
and exit codes, here and only here. The commands live in :mod:`txplan.commands`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .commands import catalogue, lifecycle, packs, plans
from .commands import fhir as fhir_command
from .commands import render as render_command
from .console import silence
from .errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, Interrupted, TxplanError


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``txplan`` with ``argv`` (default: the process arguments); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with _sigterm_as_interrupt():
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
        # The reader went away (`txplan schema | head`): not an error of ours. `render` never
        # gets here: it keeps rendering when its output is closed (txplan.console).
        silence(sys.stdout)
        return EXIT_OK
    except KeyboardInterrupt as exc:
        # Ctrl-C, SIGTERM (see _sigterm_as_interrupt) or either while a plugin was loading.
        if isinstance(exc, Interrupted):
            message, code = exc.message, exc.exit_code
        else:
            message, code = "interrupted; no output was written for the plan in progress", EXIT_INTERRUPTED
        with contextlib.suppress(OSError):
            print(f"txplan: {message}", file=sys.stderr)
        return code
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


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While the command runs, SIGTERM (what `kill`, systemd and container runtimes send) stops
    txplan the way Ctrl-C does: the plan in progress is abandoned, its temporary files removed,
    worker processes stopped, and the exit code is 143. The previous handler is put back after.
    Signal handlers can only be set from the main thread; elsewhere nothing changes."""
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigterm(signum: int, frame: object) -> None:
        # A second SIGTERM during the clean-up would cut it short: ignore it (SIGKILL still works).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted("terminated; no output was written for the plan in progress", EXIT_TERMINATED)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _own_frame(exc: BaseException) -> str:
    """Where in txplan's own code (the core and the built-in plugins installed inside it) the error
    happened (no values, no locals: no plan content)."""
    root = str(Path(__file__).parent)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
    if not frames:
        return ""
    last = frames[-1]
    return f" in {Path(last.filename).name}:{last.lineno}"


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
        epilog="Exit codes: 0 success, 1 check found problems, 2 bad plan input, 3 bad template pack or plugin, 4 cannot write output, 70 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).",
        parents=[_common_options(default=False)],
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show txplan's version and exit")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    render = commands.add_parser("render", parents=[common], help="render plans into documents", description="Render plans into documents.")
    render.add_argument("plans", nargs="+", metavar="PLAN", help="plan files (.yaml, .yml or .json)")
    render.add_argument("-f", "--format", metavar="FORMAT[,FORMAT]", help="output formats (default: the one the pack's render.format names); see 'txplan plugins'")
    render.add_argument("-o", "--output", metavar="PATH", help="output file (one plan, one format) or folder (created if missing); default: the current folder")
    render.add_argument("--pack", metavar="NAME|DIR", help="template pack: an installed pack's name or a pack folder (default: default)")
    render.add_argument("--check", action="store_true", help="refuse to write a plan that the insurer-readiness check finds errors in")
    render.add_argument("--payer", metavar="PROFILE", help="payer profile for --check (default: the one the pack's check.profile names)")
    render.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="render in N processes (0: one per CPU; default 1)")
    render.add_argument("--deidentify", action="store_true", help="de-identify for supervision (HIPAA Safe Harbor: names, identifiers, contacts removed, dates reduced to the year); review before sharing")
    render.add_argument("--shift-dates", action="store_true", help="with --deidentify: move every date by one secret random offset instead (intervals kept; not Safe Harbor)")
    render.add_argument("--charts", action="store_true", help="also write each score chart as a PNG beside a Markdown output, linked from it (needs txplan[charts])")
    render.add_argument("--pdf-a", action="store_true", help="write PDF output as PDF/A-2b, for archiving (with -f pdf)")
    render.add_argument("--as-of", metavar="DATE", help="the date objectives' status is stated at, and --check judges at (default: today)")
    render.add_argument("--document", choices=("plan", "review", "discharge"), default="plan", help="which document: the plan (default), the review of its latest revision, or the discharge summary")
    render.set_defaults(command=render_command.cmd_render)

    validate = commands.add_parser("validate", parents=[common], help="check plans and list every problem", description="Check plans against the effective schema and list every problem.")
    validate.add_argument("plans", nargs="+", metavar="PLAN")
    validate.add_argument("--pack", metavar="NAME|DIR", help="also apply this pack's requirements")
    validate.set_defaults(command=plans.cmd_validate)

    check = commands.add_parser("check", parents=[common], help="find what a payer or surveyor would reject", description="Check plans against what a payer or accreditor requires. Exit 1 if any error is found.")
    check.add_argument("plans", nargs="+", metavar="PLAN")
    check.add_argument("--payer", metavar="PROFILE", help="payer profile; 'txplan plugins' lists them (default: the one the pack's check.profile names)")
    check.add_argument("--as-of", metavar="DATE", help="the date the plan is judged at (default: today)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--pack", metavar="NAME|DIR", help="template pack (its requirements and check settings)")
    check.set_defaults(command=plans.cmd_check)

    schema = commands.add_parser("schema", parents=[common], help="print the effective JSON Schema", description="Print the effective JSON Schema for plans (core, plugins and pack).")
    schema.add_argument("--pack", metavar="NAME|DIR", help="include this pack's requirements")
    schema.set_defaults(command=plans.cmd_schema)

    plugins = commands.add_parser("plugins", parents=[common], help="list loaded plugins", description="List loaded plugins, their versions and what they register.")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.set_defaults(command=catalogue.cmd_plugins)

    pack = commands.add_parser("pack", help="list, create and check template packs", description="Template packs: a practice's paperwork (letterhead, sections, labels, requirements).")
    pack_commands = pack.add_subparsers(title="pack commands", metavar="PACK-COMMAND")

    def pack_without_command(_args: argparse.Namespace) -> int:
        pack.print_help(sys.stderr)
        return EXIT_BAD_INPUT

    pack.set_defaults(command=pack_without_command)
    pack_list = pack_commands.add_parser("list", parents=[common], help="list installed packs", description="List installed template packs and where each comes from.")
    pack_list.set_defaults(command=packs.cmd_pack_list)
    pack_new = pack_commands.add_parser("new", parents=[common], help="scaffold a new pack", description="Scaffold a template pack that renders at once, with comments that explain each file.")
    pack_new.add_argument("name", metavar="NAME", help="the pack's name (lower case, digits, hyphens)")
    pack_new.add_argument("--extends", default="default", metavar="PACK", help="the pack it builds on (default: default)")
    pack_new.add_argument("-o", "--output", metavar="DIR", help="folder to create (default: NAME)")
    pack_new.set_defaults(command=packs.cmd_pack_new)
    pack_check = pack_commands.add_parser("check", parents=[common], help="report every problem in a pack", description="Check a template pack and report every problem at once (exit 3 if any).")
    pack_check.add_argument("pack_dir", metavar="DIR|NAME", help="the pack's folder, or an installed pack's name")
    pack_check.set_defaults(command=packs.cmd_pack_check)

    interventions = commands.add_parser("interventions", parents=[common], help="list intervention library entries", description="List the entries of the intervention libraries (plugins' and the pack's).")
    interventions.add_argument("--library", metavar="ID", help="only this library (e.g. cbt)")
    interventions.add_argument("--json", action="store_true", help="print JSON")
    interventions.add_argument("--pack", metavar="NAME|DIR", help="include this pack's own libraries")
    interventions.set_defaults(command=catalogue.cmd_interventions)

    instruments = commands.add_parser("instruments", parents=[common], help="list assessment instruments", description="List assessment instruments with their citation and licence note.")
    instruments.add_argument("--json", action="store_true", help="print JSON")
    instruments.set_defaults(command=catalogue.cmd_instruments)

    score = commands.add_parser("score", parents=[common], help="score one set of answers", description="Score one administration: a YAML or JSON file holding the answers alone or a whole assessment entry.")
    score.add_argument("instrument", metavar="INSTRUMENT", help="instrument id (see 'txplan instruments')")
    score.add_argument("file", metavar="FILE", help="YAML or JSON file with the answers")
    score.add_argument("--json", action="store_true", help="print JSON")
    score.set_defaults(command=catalogue.cmd_score)

    due = commands.add_parser("due", parents=[common], help="list reviews and reassessments due across a caseload", description="List what is due for each plan under the paths given (folders are searched recursively): reviews, reassessments, plan ends, missing signatures, objectives past their target date, and each plan's check status. Exit 1 when anything is overdue, 2 when a plan cannot be read or is not valid (the others are still listed).")
    due.add_argument("paths", nargs="+", metavar="PATH", help="plan files and folders of plans")
    due.add_argument("--within", type=int, metavar="DAYS", help="only plans with a review, reassessment or plan end due within DAYS days (overdue included)")
    due.add_argument("--as-of", metavar="DATE", help="the date to judge at (default: today)")
    due.add_argument("--clinician", metavar="NAME", help="only plans whose clinician's name contains NAME (any case)")
    due.add_argument("--payer", metavar="PROFILE", help="the check profile for each plan's check status (default: the pack's, else commercial-default)")
    due.add_argument("--pack", metavar="NAME|DIR", help="template pack (its requirements and check settings)")
    due.add_argument("--json", action="store_true", help="print JSON")
    due.add_argument("--ics", metavar="FILE", help="also write an iCalendar file of what is due (client initials and what is due only); never replaces a file")
    due.set_defaults(command=lifecycle.cmd_due)

    diff = commands.add_parser("diff", parents=[common], help="show what changed between two versions of a plan", description="Show what changed from OLD to NEW, two versions of one client's plan, by field path, in a clinician's words (goal G2 added; objective G1.1 met on 2026-11-30; PHQ-9 given 2026-11-09).")
    diff.add_argument("old", metavar="OLD", help="the earlier version")
    diff.add_argument("new", metavar="NEW", help="the later version")
    diff.add_argument("--json", action="store_true", help="print JSON: a list of {path, change, message}")
    diff.set_defaults(command=lifecycle.cmd_diff)

    renew = commands.add_parser("renew", parents=[common], help="start the next plan period from a plan", description="Write the next period's plan: client, clinician, practice, diagnoses and strengths carried; met objectives closed into renewal.closed; open ones carried with baselines from the latest administrations; new dates proposed from the old period's length; signatures cleared. Never replaces a file; `txplan check` then lists what is still to decide.")
    renew.add_argument("plan", metavar="PLAN", help="the current plan")
    renew.add_argument("-o", "--output", required=True, metavar="NEXT", help="the new plan file to write (must not exist)")
    renew.add_argument("--payer", metavar="PROFILE", help="the check profile for the list of what is still to decide")
    renew.add_argument("--pack", metavar="NAME|DIR", help="template pack (its requirements and check settings)")
    renew.set_defaults(command=lifecycle.cmd_renew)

    serve = commands.add_parser("serve", parents=[common], help="open a local web app over a folder of plans", description="Open a local web app over a folder of plans (a caseload): write, check and print plans in the browser. Needs: pip install 'txplan[serve]'.")
    serve.add_argument("folder", nargs="?", default=".", metavar="FOLDER", help="the folder that holds the plans (default: the current folder)")
    serve.add_argument("--pack", metavar="NAME|DIR", help="template pack for checks, preview and downloads (default: default)")
    serve.add_argument("--port", type=int, default=8765, metavar="N", help="port to listen on (default 8765)")
    serve.add_argument("--host", default="127.0.0.1", metavar="ADDRESS", help="address to listen on (default 127.0.0.1, this computer only; anything else prints a warning)")
    serve.add_argument("--idle-minutes", type=float, default=15, metavar="M", help="lock the page after M minutes without use (default 15; 0: never)")
    serve.add_argument("--no-browser", action="store_true", help="print the address but do not open a browser")
    serve.set_defaults(command=_cmd_serve)

    example = commands.add_parser("example", parents=[common], help="write the bundled example plan", description="Write the bundled example plan, to start a plan of your own from it.")
    example.add_argument("-o", "--output", metavar="FILE", help="file to write (default: standard output); never replaces an existing file")
    example.add_argument("--force", action="store_true", help="replace FILE if it exists")
    example.set_defaults(command=plans.cmd_example)
    fhir_command.add_parsers(commands, common)
    return parser


def _cmd_serve(args: argparse.Namespace) -> int:
    # Imported only when used: the web app's modules are not needed by any other command.
    from .commands.common import engine_from_args
    from .serve.command import cmd_serve

    return cmd_serve(args, lambda: engine_from_args(args))


def run() -> None:
    """The ``txplan`` script: :func:`main` in a process that ends with it, so the objects the
    command built are kept out of the garbage collector's reach while it runs and at exit (a
    last full collection over everything imported costs more than the exit itself)."""
    from .heap import own_process, settle

    own_process()
    code = main()
    settle()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
