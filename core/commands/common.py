"""What the commands share: building the plugin host and engine from the options, and printing."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    from ..pipeline import Engine

#: The bundled example plan's file name in ``txplan.examples``.
EXAMPLE_PLAN = "attachment-plan.yaml"


def engine_from_args(args: argparse.Namespace) -> Engine:
    """The engine for these options: plugins (unless --no-plugins) and the --pack given."""
    from ..pipeline import Engine

    host = host_from_args(args)
    as_of = getattr(args, "as_of", None)
    return Engine(getattr(args, "pack", None), host=host, as_of=as_of_date(as_of) if as_of else None)


def host_from_args(args: argparse.Namespace) -> Any:
    """The plugin host; plugins that failed to load are printed as warnings."""
    from ..plugin_host import PluginHost

    host = PluginHost(load_entrypoints=not args.no_plugins)
    print_plugin_warnings(host.problems)
    return host


def print_json(value: Any) -> None:
    """``value`` as indented JSON on standard output."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_plugin_warnings(warnings: list[str]) -> None:
    """Plugins that failed to load, as warnings on standard error."""
    for warning in warnings:
        print(f"txplan: warning: {warning}", file=sys.stderr)


def count(n: int, word: str) -> str:
    """``3 errors``, ``1 warning``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def as_of_date(text: str | None) -> dt.date:
    """The date given with --as-of, or today."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date (YYYY-MM-DD)") from None
