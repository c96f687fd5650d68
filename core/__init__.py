"""txplan: a psychotherapy treatment plan, written once as data, rendered into every document a
practice needs.

Plugins import :data:`hookimpl` from here to implement the hooks in :mod:`txplan.hookspecs`.
The Python API (:func:`load_plan`, :func:`validate_plan`, :func:`render_plan`, :class:`Engine`,
and :func:`run_plan`, one plan's whole job) is what the command line uses too.
"""

from __future__ import annotations

import pluggy

from .hookspecs import PROJECT_NAME

#: txplan's version; pyproject.toml reads it from here.
__version__ = "0.1.0.dev0"

#: Marker for plugin hook implementations: ``@txplan.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

from .errors import (  # noqa: E402
    OutputError,
    PackError,
    PlanError,
    PluginError,
    Problem,
    TxplanError,
    UsageError,
)

__all__ = [
    "Deidentify",
    "Engine",
    "OutputError",
    "PackError",
    "PlanError",
    "PlanResult",
    "PluginError",
    "Problem",
    "TxplanError",
    "UsageError",
    "hookimpl",
    "load_plan",
    "render_plan",
    "run_plan",
    "validate_plan",
]

_LAZY = {
    "Deidentify": "deidentify",
    "Engine": "pipeline",
    "PlanResult": "jobs",
    "load_plan": "api",
    "render_plan": "api",
    "run_plan": "jobs",
    "validate_plan": "api",
}


def __getattr__(name: str) -> object:
    # The API pulls in Jinja2 and jsonschema; importing them only when used keeps
    # `txplan --help` and plugin imports fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'txplan' has no attribute {name!r}")
