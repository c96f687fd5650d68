"""Reading files from a template pack without leaving it.

A pack comes from anyone, so every file it supplies (``pack.yaml``, templates, the reference
document, the logo, libraries) is reached the same way: a relative path with no ``..`` and no
absolute part, no symbolic link on any component between the pack folder and the file, a
regular file (never a folder, FIFO or device, so nothing blocks), and a size cap checked before a
byte is read. The pack folder itself may be a link: the user chose it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath

#: Size caps, checked before reading (documented in docs/security.md).
MAX_MANIFEST_BYTES = 256 * 1024
MAX_TEMPLATE_BYTES = 256 * 1024
MAX_REFERENCE_BYTES = 20 * 1024 * 1024
MAX_LOGO_BYTES = 1_000_000
MAX_LIBRARY_BYTES = 1024 * 1024  # the same cap as a plan file

# O_NOFOLLOW refuses a link swapped in after the check; O_NONBLOCK keeps a FIFO from blocking
# the open (its type is refused right after). Both are POSIX only; Windows lacks FIFOs.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


class UnsafePackPath(Exception):
    """A file a pack names is present but cannot be used (a link, not a regular file, too big,
    outside the pack); the message says which and why, without the pack's name."""


def locate(root: Path, relative: str | PurePath, cap: int) -> Path | None:
    """``relative`` inside ``root``, checked: ``None`` when nothing is there, the path when it is
    a regular file of at most ``cap`` bytes reached without links; otherwise
    :class:`UnsafePackPath`."""
    parts = PurePath(relative).parts
    if not parts or PurePath(relative).is_absolute() or PurePath(relative).anchor or ".." in parts:
        raise UnsafePackPath(f"'{PurePath(relative).as_posix()}' is outside the pack")
    here = Path(root)
    for index, part in enumerate(parts):
        here = here / part
        try:
            info = os.lstat(here)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UnsafePackPath(f"'{PurePath(relative).as_posix()}' cannot be read ({exc.strerror})") from None
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePackPath(
                f"'{PurePath(relative).as_posix()}' is or goes through a symbolic link ({PurePath(*parts[: index + 1]).as_posix()}); "
                "symbolic links are not allowed in a pack"
            )
        last = index == len(parts) - 1
        if not last and not stat.S_ISDIR(info.st_mode):
            raise UnsafePackPath(f"'{PurePath(relative).as_posix()}': {PurePath(*parts[: index + 1]).as_posix()} is not a folder")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePackPath(f"'{PurePath(relative).as_posix()}' is {kind_of(info.st_mode)}, not a regular file")
    if info.st_size > cap:
        raise UnsafePackPath(f"'{PurePath(relative).as_posix()}' is {info.st_size:,} bytes; at most {cap:,} are allowed")
    return here


def read_located(path: Path, cap: int, shown: str) -> bytes:
    """The bytes of ``path`` (found by :func:`locate`), opened without following a link and
    without blocking, refused unless it is still a regular file of at most ``cap`` bytes."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise UnsafePackPath(f"'{shown}' cannot be opened ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePackPath(f"'{shown}' is {kind_of(info.st_mode)}, not a regular file")
        if info.st_size > cap:
            raise UnsafePackPath(f"'{shown}' is {info.st_size:,} bytes; at most {cap:,} are allowed")
        data = handle.read(cap + 1)
    if len(data) > cap:  # it grew while being read
        raise UnsafePackPath(f"'{shown}' is larger than {cap:,} bytes")
    return data


def read_inside(root: Path, relative: str | PurePath, cap: int) -> bytes | None:
    """:func:`locate` then :func:`read_located`: the file's bytes, or ``None`` when absent."""
    path = locate(root, relative, cap)
    return None if path is None else read_located(path, cap, PurePath(relative).as_posix())


def kind_of(mode: int) -> str:
    """What a file system node that is not a regular file is, in words ("a folder", "a device")."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
