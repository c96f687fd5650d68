"""Printing lines for people (``wrote plan.docx``, progress, warnings) without letting a closed or
full standard output decide whether the work gets done.

``txplan render plans/* | head -1`` closes the pipe after one line; standard output on a full
device fails on every write. Either way the plans must still all be rendered and written: a
:class:`Console` prints each line and flushes it at once (so a failure shows up here and not in
the flush at exit), and after the first failure it stops printing to that stream, remembers
why, and lets the command finish. The command then decides the exit code with
:meth:`Console.exit_code`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import TextIO

from .errors import EXIT_CANNOT_WRITE, EXIT_OK


class Console:
    """Standard output and standard error for one command; a failed stream is silenced, not fatal."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        """Print to ``out`` and ``err`` (default: ``sys.stdout`` and ``sys.stderr`` as they are
        when each line is printed, so that a test's capture is honoured)."""
        self._out, self._err = out, err
        #: Why standard output could not be written (``None``: it could, or was not used).
        self.stdout_error: OSError | None = None
        self.stderr_error: OSError | None = None

    def out(self, line: str) -> None:
        """Print ``line`` on standard output, unless standard output already failed."""
        if self.stdout_error is None:
            self.stdout_error = _print(self._out or sys.stdout, line, "\n")

    def err(self, line: str, end: str = "\n") -> None:
        """Print ``line`` on standard error, unless standard error already failed."""
        if self.stderr_error is None:
            self.stderr_error = _print(self._err or sys.stderr, line, end)

    def exit_code(self, work_code: int) -> int:
        """The exit code of a command whose work ended with ``work_code``.

        The work's own code comes first. A reader that went away (a closed pipe, as with
        ``| head``) is not an error. Any other failure of standard output (a full disk, an I/O
        error) after the work succeeded is exit 4, "cannot write output", with a message on
        standard error saying that the files themselves were written.
        """
        error = self.stdout_error
        if error is None or isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
            return work_code
        if work_code == EXIT_OK:
            reason = os.strerror(error.errno) if error.errno else type(error).__name__
            self.err(f"txplan: error: cannot write to standard output ({reason}); every plan was still rendered and written")
            return EXIT_CANNOT_WRITE
        return work_code


def _print(stream: TextIO, line: str, end: str) -> OSError | None:
    """Print and flush; on failure silence the stream and return the error."""
    try:
        print(line, end=end, file=stream, flush=True)
    except OSError as exc:  # BrokenPipeError, ENOSPC, EIO: stop printing, not working
        silence(stream)
        return exc
    return None


def silence(stream: TextIO) -> None:
    """Point ``stream``'s file descriptor at the null device, so that what is still buffered in
    it, and the flush Python does at exit, go nowhere instead of failing again (the approach the
    Python documentation gives for SIGPIPE, in the ``signal`` module's notes)."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return  # not a real file (a test's capture): nothing is flushed at exit
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
