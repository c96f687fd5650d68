"""Write outputs so that nothing is ever half-written or readable by others.

Each file is written to a temporary file in its destination folder (created 0600 by
``mkstemp``), flushed to disk, then renamed over the destination (see docs/security.md,
"Writing outputs"). A set of outputs for one plan is all-or-nothing: every file is written to
its temporary name first; each destination that already exists is kept under a backup name
(a hard link, else a 0600 copy) before anything is renamed; if any rename fails, what was
renamed is put back. Only regular files or new names are written: a destination that is a
symbolic link, a folder, a device or a FIFO is refused. Temporary files a killed run left
behind are swept the next time txplan writes into that folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .errors import OutputError
from .safe_paths import kind_of

TEMP_PREFIX = ".txplan-"
TEMP_SUFFIX = ".part"
BACKUP_SUFFIX = ".backup"
FILE_MODE = 0o600


def write_outputs(outputs: Sequence[tuple[Path, bytes]]) -> None:
    """Write every ``(path, content)`` atomically with mode 0600, or none of them.

    A destination must be a regular file or a new name in a folder. If any output cannot be
    written or renamed into place, every destination is left as it was. Raises
    :class:`OutputError` (exit 4) with a message naming the file and the reason.
    """
    for path, _ in outputs:
        refuse_special_destination(path)
    staged: list[tuple[str, Path]] = []
    backups: dict[Path, str | None] = {}
    for folder in {path.parent for path, _ in outputs}:
        sweep_stale_parts(folder)
    try:
        for path, content in outputs:
            staged.append((_stage(path, content), path))
        # Keep what each destination holds before replacing any of them, so that a rename
        # failing half-way (a file locked by Word, owned by someone else) can be undone.
        for _, path in staged:
            backups[path] = _keep_backup(path)
        _rename_all(staged, backups)
        for folder in {path.parent for _, path in staged}:
            _fsync_folder(folder)
    finally:
        for temp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        for backup in backups.values():
            if backup is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(backup)


def refuse_special_destination(path: Path) -> None:
    """Refuse an output path that is anything but a regular file or a new name: a symbolic
    link (``/dev/stdout``), a folder, a device node, a FIFO or a socket. Renaming over one of
    those would replace it with a regular file holding the plan (as root, even in ``/dev``).
    Raises :class:`OutputError`."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc, path)}") from None
    if stat.S_ISREG(info.st_mode):
        return
    raise OutputError(f"cannot write {path}: it is {kind_of(info.st_mode)}; txplan writes only regular files (give a new file name or a folder)")


def _keep_backup(path: Path) -> str | None:
    """A second name in ``path``'s folder for what ``path`` holds now, or ``None`` if it does
    not exist. A hard link costs nothing and keeps the file itself (owner, mode, content); where
    links are not possible (FAT, some network shares, a file protected from linking) a 0600
    copy is made. Either way the backup is named for this process (``.backup``), so a sweep
    removes it once this process is gone (a killed run), never by its age: a hard link keeps the
    old file's times. One that must outlive the run is renamed by :func:`_preserve`. :class:`OutputError` if neither is possible: nothing has been replaced
    yet, and nothing will be."""
    refuse_special_destination(path)  # it may have changed since the first look
    if not os.path.lexists(path):
        return None
    try:
        fd, backup = tempfile.mkstemp(prefix=temp_prefix(), suffix=BACKUP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot replace {path}: no copy of it could be kept to put back on failure ({_reason(exc, path.parent)})") from None
    with _removed_on_failure(backup, lambda reason: f"cannot replace {path}: no copy of it could be kept to put back on failure ({reason})", path):
        os.close(fd)
        os.unlink(backup)  # mkstemp reserved a fresh name; the link takes it
        try:
            os.link(path, backup)  # path is a regular file: checked just above
            return backup
        except OSError:
            pass
        _copy_private(path, backup)
    return backup


@contextlib.contextmanager
def _removed_on_failure(name: str, failure: Callable[[str], str], about: Path) -> Iterator[None]:
    """Remove the file ``name`` if the block fails; an :class:`OSError` becomes an
    :class:`OutputError` with the message ``failure`` makes of the reason (about ``about``)."""
    try:
        yield
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        if isinstance(exc, OSError):
            raise OutputError(failure(_reason(exc, about))) from None
        raise


def _copy_private(source: Path, backup: str) -> None:
    """Copy ``source`` to the new name ``backup``, created 0600 and flushed to disk."""
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    with os.fdopen(fd, "wb") as out, open(source, "rb") as original:
        shutil.copyfileobj(original, out)
        out.flush()
        os.fsync(out.fileno())


def _rename_all(staged: list[tuple[str, Path]], kept: dict[Path, str | None]) -> None:
    """Rename every temporary file over its destination; if one rename fails, undo the ones
    done (each backup renamed back, each new name removed) and raise :class:`OutputError`.
    A backup that could not be put back is dropped from ``kept`` so that it is not removed."""
    done: list[Path] = []
    for temp, path in staged:
        try:
            os.replace(temp, path)
        except OSError as exc:
            failure = f"cannot write {path}: {_reason(exc, path)}"
            not_restored = _undo(done, kept)
            if not_restored:
                failure += "; " + "; ".join(not_restored)
            elif done:
                failure += "; the other outputs were put back as they were"
            raise OutputError(failure) from None
        done.append(path)


def _undo(done: list[Path], kept: dict[Path, str | None]) -> list[str]:
    """Put back what each of ``done`` held before; return a sentence for each that could not
    be (its backup is then left in place, named in the sentence, so nothing is lost)."""
    failures = []
    for path in reversed(done):
        backup = kept.get(path)
        try:
            if backup is None:
                os.unlink(path)
            else:
                os.replace(backup, path)
        except OSError as exc:
            if backup is None:
                failures.append(f"{path} was written and could not be removed ({_reason(exc, path)})")
            else:
                kept[path] = None  # keep the backup: it is the only copy of what was there
                failures.append(f"{path} could not be put back ({_reason(exc, path)}); its previous content is in {_preserve(backup, path)}")
    return failures


def _preserve(backup: str, path: Path) -> str:
    """Give ``backup``, the only copy of what ``path`` held, a name no sweep removes
    (``<name>.txplan-previous``, then ``-2``, ``-3`` ...) and return it; where no new name can be
    made, the backup keeps its name (and is then removed only after this process has ended)."""
    for number in range(1, 100):
        kept = path.with_name(f"{path.name}.txplan-previous" + (f"-{number}" if number > 1 else ""))
        try:
            os.link(backup, kept)  # fails on an existing name instead of replacing it
        except FileExistsError:
            continue
        except OSError:
            break
        with contextlib.suppress(OSError):
            os.unlink(backup)
        return str(kept)
    return backup


STALE_AFTER_SECONDS = 3600


def sweep_stale_parts(folder: Path) -> None:
    """Remove temporary files a killed txplan left behind in ``folder``: each names the process
    that wrote it (:func:`temp_prefix`), and is removed, whatever its age, once that process is
    no longer alive on this machine. A temporary file of a live txplan (one writing into the
    same folder right now), of another machine (a shared folder) or with no process in its name
    is removed only when older than an hour. A backup (:func:`_keep_backup`) is removed only once
    its writer is gone: it is a hard link with the old file's times, so its age says nothing."""
    import time

    try:
        leftovers = [*folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"), *folder.glob(f"{TEMP_PREFIX}*{BACKUP_SUFFIX}")]
    except OSError:
        return
    cutoff = time.time() - STALE_AFTER_SECONDS
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            if not leftover.is_file() or leftover.is_symlink():
                continue
            aged = leftover.name.endswith(TEMP_SUFFIX) and leftover.stat().st_mtime < cutoff
            if aged or _writer_is_gone(leftover.name):
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
    pattern = re.escape(f"{TEMP_PREFIX}{_machine_tag()}-") + r"([1-9][0-9]{0,9})-[A-Za-z0-9_]+" + f"(?:{re.escape(TEMP_SUFFIX)}|{re.escape(BACKUP_SUFFIX)})"
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
    try:
        fd, temp = tempfile.mkstemp(prefix=temp_prefix(), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_reason(exc, folder)}") from None
    with _removed_on_failure(temp, lambda reason: f"cannot write {path}: {reason}", path):
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
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
