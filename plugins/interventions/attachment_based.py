"""The `attachment-based` intervention library (Attachment-based therapy), from `attachment-based.yaml` beside this module."""

from __future__ import annotations

from txplan import hookimpl

from . import builtin_library


@hookimpl
def register_intervention_libraries(register):
    """Register the `attachment-based` library."""
    register(builtin_library("attachment-based.yaml"))
