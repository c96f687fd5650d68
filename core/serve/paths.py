"""Plan files in the caseload folder, addressed by name only.

A name from a request is a single file name in the caseload folder: no folder part, no ``..``,
no absolute path, no hidden file, and only the plan suffixes. The file itself must be a regular
file, not a symbolic link (a link could point anywhere on the disk). Everything else is refused
before the disk is touched.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

PLAN_SUFFIXES = (".yaml", ".yml", ".json")
#: Names the app creates: lower-case words joined by hyphens, dots or underscores.
_NEW_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")
#: Names it opens: anything a person may have named a file, minus separators and control characters.
_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f\x7f]{1,255}$")


class UnsafePlanName(ValueError):
    """A requested plan name that could leave the caseload folder, or is not a plan file."""


def plan_path(root: Path, name: str) -> Path:
    """The path of plan ``name`` inside ``root``; :class:`UnsafePlanName` if the name has a folder
    part, is hidden or absolute, is not a plan file name, or is a symbolic link or not a regular
    file on disk. A name that does not exist yet is returned (for creation)."""
    if not _SAFE_NAME.match(name) or name in (".", "..") or name.startswith(".") or os.path.isabs(name):
        raise UnsafePlanName("not a plan file name in this folder")
    if not name.lower().endswith(PLAN_SUFFIXES):
        raise UnsafePlanName("not a plan file (.yaml, .yml or .json)")
    path = root / name
    if path.parent != root:
        raise UnsafePlanName("not a plan file name in this folder")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePlanName("not a regular file (a link, folder or device is never opened)")
    return path


def new_plan_name(title: str) -> str:
    """A file name for a new plan from what the user typed: lower case, hyphens for spaces,
    ``.yaml`` added; :class:`UnsafePlanName` if nothing usable is left."""
    stem = re.sub(r"[^a-z0-9_.-]+", "-", title.strip().lower()).strip("-.")
    stem = stem.removesuffix(".yaml").removesuffix(".yml")
    if not stem or not _NEW_NAME.match(stem):
        raise UnsafePlanName("give a name of letters, digits and hyphens")
    return f"{stem}.yaml"


def plan_names(root: Path) -> list[str]:
    """Names of the plan files directly in ``root`` (regular files, not hidden, not links), sorted."""
    names = []
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(PLAN_SUFFIXES):
                continue
            if entry.is_file(follow_symlinks=False):
                names.append(entry.name)
    return sorted(names)
