"""The `cbt` intervention library (Cognitive behavioural therapy (CBT)), from `cbt.yaml` beside this module."""

from __future__ import annotations

from txplan import hookimpl

from . import builtin_library


@hookimpl
def register_intervention_libraries(register):
    """Register the `cbt` library."""
    register(builtin_library("cbt.yaml"))
