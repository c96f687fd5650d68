"""The one exception hierarchy of txplan.

Every error the user can cause is a :class:`TxplanError` subclass carrying an exit code; the CLI
turns them into messages in one place (:func:`txplan.cli.main`). Messages never quote free plan
text: they are built from file names, line numbers, field paths and the expectation that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Exit codes, as listed in the README ("Exit codes") and in ``txplan --help``.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BAD_PACK_OR_PLUGIN = 3
EXIT_CANNOT_WRITE = 4
EXIT_INTERNAL = 70
#: Stopped by Ctrl-C (SIGINT) or by SIGTERM: 128 + the signal number, as shells report it.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in an input file, printed compiler-style.

    ``line`` is 1-based, or ``None`` when the problem concerns the file as a whole; ``path`` is the
    dotted field path (``goals[0].objectives[1].target_date``) or ``""``. ``rule`` names the
    insurer-readiness rule that found it (``txplan check``), or is ``""`` for a problem found
    while loading or validating; a rule's finding always states its severity and rule.
    """

    file: str
    line: int | None
    path: str = ""
    message: str = field(default="", compare=False)
    severity: str = field(default="error", compare=False)
    rule: str = field(default="", compare=False)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.rule:
            prefix = f"{self.severity}: {self.rule}: "
        else:
            prefix = "" if self.severity == "error" else f"{self.severity}: "
        subject = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{subject}{self.message}"

    def as_json(self) -> dict[str, Any]:
        """The problem as ``txplan check --json`` prints it: file, line, path, severity, rule
        and message, in that order."""
        return {"file": self.file, "line": self.line, "path": self.path, "severity": self.severity, "rule": self.rule, "message": self.message}


class TxplanError(Exception):
    """Base class of every error txplan reports to its user."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str = "", problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = sorted(problems or [], key=_line_order)

    def lines(self) -> list[str]:
        """The lines the CLI prints for this error: the message, then one line per problem."""
        out = [self.message] if self.message else []
        out.extend(str(p) for p in self.problems)
        return out


def _line_order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, problem.line or 0, problem.path)


class UsageError(TxplanError):
    """The command was called with options that cannot work (an unknown format name, say)."""

    exit_code = EXIT_BAD_INPUT


class PlanError(TxplanError):
    """A plan file cannot be read, parsed or validated; ``problems`` lists every problem found."""

    exit_code = EXIT_BAD_INPUT


class PackError(TxplanError):
    """A template pack is missing, malformed, or its templates fail."""

    exit_code = EXIT_BAD_PACK_OR_PLUGIN


class PluginError(TxplanError):
    """A plugin failed to load, registered something invalid, or raised while it was used."""

    exit_code = EXIT_BAD_PACK_OR_PLUGIN


class OutputError(TxplanError):
    """An output file cannot be written (folder missing or read-only, file locked, disk full)."""

    exit_code = EXIT_CANNOT_WRITE


class Interrupted(KeyboardInterrupt):
    """The run was stopped from outside: Ctrl-C (exit 130) or SIGTERM (exit 143).

    A :class:`KeyboardInterrupt`, not a :class:`TxplanError`, so that no ``except Exception``
    on the way up swallows it and every ``finally`` (removing temporary files, stopping
    workers) runs as for Ctrl-C. ``message`` says what was being done when it came.
    """

    def __init__(self, message: str = "interrupted", exit_code: int = EXIT_INTERRUPTED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
