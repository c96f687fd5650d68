"""Write outputs so that nothing is ever half-written or readable by others.

Each file is written to a temporary file in its destination folder (created 0600 by
``mkstemp``), flushed to disk, then renamed over the destination (reference/security.md §7.1).
A set of outputs for one plan is all-or-nothing: every file is written to its temporary name
first and renamed only when all of them were written. Temporary files a killed run left behind
are swept the next time txplan writes into that folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import OutputError

TEMP_PREFIX = ".txplan-"
TEMP_SUFFIX = ".part"
FILE_MODE = 0o600


def write_outputs(outputs: Sequence[tuple[Path, bytes]]) -> None:
    """Write every ``(path, content)`` atomically with mode 0600, or none of them.

    Raises :class:`OutputError` (exit 4) with a message naming the file and the reason.
    """
    staged: list[tuple[str, Path]] = []
    for folder in {path.parent for path, _ in outputs}:
        sweep_stale_parts(folder)
    try:
        for path, content in outputs:
            staged.append((_stage(path, content), path))
        for temp, path in staged:
            try:
                os.replace(temp, path)
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {_reason(exc, path)}") from None
        for folder in {path.parent for _, path in staged}:
            _fsync_folder(folder)
    finally:
        for temp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)


STALE_AFTER_SECONDS = 3600


def sweep_stale_parts(folder: Path) -> None:
    """Remove temporary files a killed txplan left behind in ``folder``: each names the process
    that wrote it (:func:`temp_prefix`), and is removed, whatever its age, once that process is
    no longer alive on this machine. A temporary file of a live txplan (one writing into the
    same folder right now), of another machine (a shared folder) or with no process in its name
    is removed only when older than an hour."""
    import time

    try:
        leftovers = list(folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))
    except OSError:
        return
    cutoff = time.time() - STALE_AFTER_SECONDS
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            if not leftover.is_file() or leftover.is_symlink():
                continue
            if _writer_is_gone(leftover.name) or leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def temp_prefix(pid: int | None = None) -> str:
    """``.txplan-<machine>-<pid>-``: how the temporary files of process ``pid`` (default: this
    one) begin. ``<machine>`` is a short hash of the host name, so that on a folder shared
    between machines a process id is only ever checked on the machine it belongs to."""
    return f"{TEMP_PREFIX}{_machine_tag()}-{os.getpid() if pid is None else pid}-"


def _machine_tag() -> str:
    import hashlib
    import platform

    return hashlib.blake2s(platform.node().encode("utf-8", "replace"), digest_size=4).hexdigest()


def _writer_is_gone(name: str) -> bool:
    """Whether the process that wrote temporary file ``name`` is known to be dead. ``False``
    when unsure: another machine's file, a name without a process id, or no way to ask
    (Windows: ``os.kill`` there would end the process, not test it)."""
    import re

    if os.name != "posix":
        return False
    pattern = re.escape(f"{TEMP_PREFIX}{_machine_tag()}-") + r"([1-9][0-9]{0,9})-[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX)
    match = re.fullmatch(pattern, name)
    if match is None:
        return False
    pid = int(match[1])
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False  # it exists but is another user's, or the id is out of range
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A process that has ended but not yet been collected by its parent (Linux ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return stat[stat.rfind(")") + 1 :].split()[:1] == ["Z"]


def _stage(path: Path, content: bytes) -> str:
    folder = path.parent
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder")
    try:
        fd, temp = tempfile.mkstemp(prefix=temp_prefix(), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc, folder)}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {_reason(exc, path)}") from None
        raise
    return temp


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # pragma: no cover - Windows has no directory fsync
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _reason(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOENT:
        return "the folder does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        if os.name == "nt":  # pragma: no cover - Word holds the file open on Windows
            return "permission denied (is it open in another program? close it and try again)"
        return "permission denied (the folder is read-only or not yours)"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return exc.strerror or type(exc).__name__


def ensure_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing; :class:`OutputError` if it cannot be."""
    if folder.is_dir():
        return
    if folder.exists():
        raise OutputError(f"cannot write into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {_reason(exc, folder)}") from None
