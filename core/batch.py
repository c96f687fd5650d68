"""Rendering many plans in worker processes (``txplan render --jobs N``).

Each worker builds its own :class:`~txplan.pipeline.Engine` once and renders plan after plan
with it; rendered bytes go back to the main process, which alone writes files, so the output
rules (atomic, 0600, all-or-nothing per plan) hold exactly as in a single process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_ENGINE: list[Any] = []


def start_worker(pack: str | None, no_plugins: bool, check: bool = False, payer: str | None = None, as_of: Any = None) -> None:
    """Build this worker's engine (plugins, pack, validator, templates) once, with the main
    process's ``--as-of`` date, and its checker when ``render --check`` was asked for."""
    from .commands.render import checker_for
    from .pipeline import Engine
    from .plugin_host import PluginHost

    engine = Engine(pack, host=PluginHost(load_entrypoints=not no_plugins), as_of=as_of)
    _ENGINE[:] = [engine, checker_for(engine, check, payer)]


def render_in_worker(job: tuple[str, list[tuple[str, str]]]) -> Any:
    """Render one plan: ``(plan path, [(format name, output path)])`` -> the CLI's outcome."""
    from .commands.render import render_one

    engine, checker = _ENGINE
    plan, outputs = job
    return render_one(engine, Path(plan), [(engine.output_format(name), Path(path)) for name, path in outputs], checker)
