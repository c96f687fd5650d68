"""Running many plans, in this process or in worker processes (``txplan render --jobs N``).

Each worker builds its own :class:`~txplan.pipeline.Engine` once and renders plan after plan
with it; rendered bytes go back to the main process, which alone writes files, so the output
rules (atomic, 0600, all-or-nothing per plan) hold exactly as in a single process.

Workers never outlive the run. When the main process stops on its own (done, Ctrl-C, SIGTERM,
an error) it stops them (its pool is shut down). When it is killed outright (SIGKILL,
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
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .contracts import OutputFormat
    from .deidentify import Deidentify
    from .jobs import PlanResult
    from .pipeline import Engine
    from .readiness import Checker

#: This worker's engine and checker (``None`` without ``--check``), set by :func:`start_worker`.
_WORKER: list[Any] = []

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1
#: How often the watchdog thread looks at the parent process id.
WATCHDOG_SECONDS = 0.5
#: The signals held while workers are created, so that none arrives before they set their own.
_HELD_SIGNALS = {getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name)}


def run_plans(
    engine: Engine,
    work: Sequence[tuple[Path, Sequence[OutputFormat]]],
    *,
    checker: Checker | None = None,
    jobs: int = 1,
    load_entrypoints: bool = True,
    deidentify: Deidentify | None = None,
    companion_stems: Mapping[Path, Mapping[str, str]] | None = None,
    kind: str = "plan",
) -> Generator[tuple[Path, PlanResult], None, None]:
    """Yield ``(plan, result)`` for each ``(plan, formats)`` of ``work``, in the order given,
    each from :func:`txplan.jobs.run_plan`: in this process, or in ``jobs`` worker processes,
    each with its own engine for the same pack and plugins (third-party ones only when
    ``load_entrypoints``) and, with ``checker``, the same payer profile and date, and with
    ``deidentify`` the same de-identification (one date offset for the whole run), and each
    plan's ``companion_stems`` (``render --charts``: format name -> output stem), rendering
    document ``kind`` (the plan, a review, a discharge summary). A pack or
    plugin error in any plan is raised and stops the rest."""
    from .jobs import run_plan

    stems = companion_stems or {}
    if jobs <= 1 or len(work) <= 1:
        for plan_path, formats in work:
            yield plan_path, run_plan(engine, plan_path, checker=checker, formats=formats, deidentify=deidentify, companion_stems=stems.get(plan_path), kind=kind)
        return
    from concurrent.futures import ProcessPoolExecutor

    jobs_sent = [(str(plan), [fmt.name for fmt in formats], dict(stems.get(plan) or {})) for plan, formats in work]
    payer = checker.profile.id if checker is not None else None
    check_as_of = checker.as_of if checker is not None else None
    initargs = (engine.pack_spec, not load_entrypoints, checker is not None, payer, engine.as_of, os.getpid(), check_as_of, deidentify, kind)
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(work)), initializer=start_worker, initargs=initargs)
    try:
        with signals_held():
            results = pool.map(render_in_worker, jobs_sent, chunksize=4)  # submits all: the workers start here
        for (plan_path, _), result in zip(work, results, strict=True):
            yield plan_path, result
    except BaseException:
        # Stopped early (Ctrl-C, SIGTERM, a plugin error, or the caller closed this generator):
        # the queued plans are cancelled and each worker ends after the few plans it already
        # holds (their results are dropped: only the main process writes files). The workers
        # are not killed from here: a pool whose workers are killed under it can hang or print
        # tracebacks at exit (CPython issues 107219 and 109047).
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def start_worker(
    pack: str | None,
    no_plugins: bool,
    check: bool = False,
    payer: str | None = None,
    as_of: Any = None,
    parent_pid: int | None = None,
    check_as_of: Any = None,
    deidentify: Deidentify | None = None,
    kind: str = "plan",
) -> None:
    """Make this worker die with ``parent_pid`` (the main process), then build its engine
    (plugins, pack, validator, templates) once, with the main process's ``--as-of`` date, and
    its checker (profile ``payer``, judging at ``check_as_of``, the main process's date) when
    ``render --check`` was asked for."""
    _worker_signals()
    if parent_pid is not None:
        die_with_parent(parent_pid)
    from .pipeline import Engine
    from .plugin_host import PluginHost
    from .readiness import checker_for

    engine = Engine(pack, host=PluginHost(load_entrypoints=not no_plugins), as_of=as_of).build()
    _WORKER[:] = [engine, checker_for(engine, payer, check_as_of or as_of) if check else None, deidentify, kind]
    from .heap import own_process, settle

    own_process()
    settle()  # the engine lives as long as this worker


def render_in_worker(job: tuple[str, list[str], dict[str, str]]) -> PlanResult:
    """Run one plan through :func:`txplan.jobs.run_plan`: ``(plan path, [format name], {format
    name: companion stem})`` -> its result, without the loaded plan (the main process needs
    only what to print and write)."""
    from .jobs import run_plan

    engine, checker, deidentify, kind = _WORKER
    plan, format_names, stems = job
    formats = [engine.output_format(name) for name in format_names]
    result = run_plan(engine, plan, checker=checker, formats=formats, deidentify=deidentify, companion_stems=stems, kind=kind)
    result.plan = None
    return result


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
