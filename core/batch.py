"""Rendering many plans in worker processes (``txplan render --jobs N``).

Each worker builds its own :class:`~txplan.pipeline.Engine` once and renders plan after plan
with it; rendered bytes go back to the main process, which alone writes files, so the output
rules (atomic, 0600, all-or-nothing per plan) hold exactly as in a single process.

Workers never outlive the run. When the main process stops on its own (done, Ctrl-C, SIGTERM,
an error) it stops them (:mod:`txplan.commands.render`). When it is killed outright (SIGKILL,
out of memory) it cannot, so each worker watches for its parent's death itself: on Linux the
kernel kills it at once (``prctl(PR_SET_PDEATHSIG)``), and everywhere a watchdog thread ends it
within a second of seeing its parent process change. Workers ignore Ctrl-C (the terminal sends
it to the whole process group; the main process alone decides what happens) and die quietly
on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_ENGINE: list[Any] = []

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
#: How often the watchdog thread looks at the parent process id.
WATCHDOG_SECONDS = 0.5
#: The signals held while workers are created, so that none arrives before they set their own.
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)}


def start_worker(
    pack: str | None, no_plugins: bool, check: bool = False, payer: str | None = None, as_of: Any = None, parent_pid: int | None = None, chart_files: bool = False
) -> None:
    """Make this worker die with ``parent_pid`` (the main process), then build its engine
    (plugins, pack, validator, templates) once, with the main process's ``--as-of`` date, and
    its checker when ``render --check`` was asked for."""
    _worker_signals()
    if parent_pid is not None:
        die_with_parent(parent_pid)
    from .commands.render import checker_for
    from .pipeline import Engine
    from .plugin_host import PluginHost

    engine = Engine(pack, host=PluginHost(load_entrypoints=not no_plugins), as_of=as_of)
    _ENGINE[:] = [engine, checker_for(engine, check, payer), chart_files]


def render_in_worker(job: tuple[str, list[tuple[str, str]]]) -> Any:
    """Render one plan: ``(plan path, [(format name, output path)])`` -> the CLI's outcome."""
    from .commands.render import render_one

    engine, checker, chart_files = _ENGINE
    plan, outputs = job
    return render_one(engine, Path(plan), [(engine.output_format(name), Path(path)) for name, path in outputs], checker, chart_files)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while worker processes are created: a forked worker starts with
    the main process's handlers, and a signal that reached it before :func:`start_worker` set
    its own would print a traceback from the worker. Held signals are delivered on leaving."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_signals() -> None:
    """Ignore Ctrl-C, die on SIGTERM without a traceback, then take the signals held by
    :func:`signals_held` (a fork inherits the blocked set)."""
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD_SIGNALS)


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as ``parent_pid`` (its parent) is gone: a kernel request where
    the platform has one (Linux), and a watchdog thread everywhere."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the request above was made
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="txplan-parent-watchdog", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    """Exit the process once its parent is no longer ``parent_pid`` (it died and this process
    was adopted by another). ``os._exit``: nothing here is worth finishing, no file is open."""
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)
