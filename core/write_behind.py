"""Writing behind rendering: one plan's files go to disk (each flushed with fsync before its
rename, as :mod:`txplan.output` requires) on a writer thread while the next plan renders.

The rules of :func:`txplan.output.write_outputs` are unchanged: each job writes one plan's
outputs all-or-nothing, and jobs run one at a time, in the order given, so messages appear in
the same order as when writing in line. The first job that fails stops the rest (none of
them runs, as when the failure stopped the loop) and its exception is raised in the thread that
submits or finishes, so the command reports it exactly as before. When the run stops early
(Ctrl-C, SIGTERM, an error), the job in progress is finished (a plan is never left half-renamed)
and the queued ones are dropped; nothing is left running when the block ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

#: Rendered plans waiting to be written, at most: a slow disk holds back rendering, not memory.
QUEUE_LENGTH = 8


class WriteBehind:
    """Runs jobs in order on one writer thread; use as a context manager around the batch."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=QUEUE_LENGTH)
        self._failure: BaseException | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if kind is None:
            self.finish()
        else:
            self._stopped = True  # the job in progress ends; the queued ones do not run
            self._close()

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job`` after the ones before it (waiting while the queue is full). Raises the
        failure of an earlier job, if one failed."""
        self._raise_failure()
        if self._thread is None:
            # Started at the first job, not before: by then any worker processes have been forked,
            # and a fork never copies a live thread's state.
            self._thread = threading.Thread(target=self._run, name="txplan-writer")
            self._thread.start()
        self._jobs.put(job)

    def finish(self) -> None:
        """Wait until every job has run; raise the failure of one that failed."""
        self._close()
        self._raise_failure()

    def _close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            self._stopped = True
            raise failure

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if self._stopped or self._failure is not None:
                continue
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - handed to the submitting thread, raised there
                self._failure = exc
