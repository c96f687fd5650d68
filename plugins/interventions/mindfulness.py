"""The `mindfulness` intervention library (Mindfulness techniques), from `mindfulness.yaml` beside this module."""

from __future__ import annotations

from txplan import hookimpl

from . import builtin_library


@hookimpl
def register_intervention_libraries(register):
    """Register the `mindfulness` library."""
    register(builtin_library("mindfulness.yaml"))
