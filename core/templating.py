"""The Jinja environment template packs render in.

Templates are untrusted (a pack may come from anyone), so they run in Jinja2's immutable sandbox
with ``StrictUndefined``, capped ``*`` and ``**`` (reference/security.md §3.3), and a loader that
reads only regular UTF-8 files inside the pack's ``templates/`` folders: no symbolic links, no
``..``, no absolute paths, a size cap. Every ``{{ expression }}`` is escaped for Markdown on the
way out (``finalize``), so plan text is always literal text.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from pathlib import Path, PurePath
from typing import Any

from jinja2 import BaseLoader, FileSystemBytecodeCache, StrictUndefined, TemplateNotFound
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from .markdown_text import MarkdownText, escape_markdown, one_line
from .safe_paths import MAX_TEMPLATE_BYTES, UnsafePackPath, locate, read_located

MAX_REPEAT = 100_000
MAX_EXPONENT = 64


class PackTemplateError(Exception):
    """A template file cannot be loaded for a reason the pack author must fix."""


class PackLoader(BaseLoader):
    """Loads ``NAME`` from the first pack in ``roots`` (most specific first) that has it, and
    ``PACK:NAME`` from the named pack only (so a template can extend its parent's)."""

    def __init__(self, roots: Sequence[tuple[str, Path]]) -> None:
        self.roots = list(roots)

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        """Find and read a template; refuse links, anything outside the pack and anything that is
        not a regular file of at most :data:`MAX_TEMPLATE_BYTES` (checked before reading)."""
        pack_name, _, name = template.rpartition(":")
        pieces = split_template_path(name)  # raises TemplateNotFound for '..'
        for root_name, root in self.roots:
            if pack_name and root_name != pack_name:
                continue
            relative = PurePath("templates", *pieces)
            try:
                candidate = locate(root, relative, MAX_TEMPLATE_BYTES)
                if candidate is None:
                    continue
                raw = read_located(candidate, MAX_TEMPLATE_BYTES, relative.as_posix())
            except UnsafePackPath as exc:
                raise PackTemplateError(f"template '{template}': {exc}") from None
            try:
                source = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise PackTemplateError(f"template '{template}' is not UTF-8 text (byte offset {exc.start})") from None
            mtime = candidate.lstat().st_mtime
            return source, str(candidate), lambda: candidate.lstat().st_mtime == mtime
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """Names of every template reachable through this loader."""
        names: set[str] = set()
        for _, root in self.roots:
            templates = root / "templates"
            if templates.is_dir():
                names.update(p.relative_to(templates).as_posix() for p in templates.rglob("*.j2") if p.is_file())
        return sorted(names)


class PackEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with caps on the operators a template can use to exhaust memory or
    CPU (``'x' * 10**9``, ``n ** n ** 7``)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse huge repetitions and exponents before computing them."""
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent larger than {MAX_EXPONENT} in a template")
        if operator == "*":
            sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and count * max(len(sequence), 1) > MAX_REPEAT:
                raise SecurityError("repetition result too large in a template")
        return super().call_binop(context, operator, left, right)


def make_environment(roots: Sequence[tuple[str, Path]]) -> PackEnvironment:
    """A sandboxed environment loading templates from ``roots`` (name, pack folder), most
    specific first, with txplan's filters."""
    env = PackEnvironment(
        loader=PackLoader(roots),
        bytecode_cache=bytecode_cache(),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=escape_markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["oneline"] = one_line
    env.filters["markdown"] = MarkdownText
    env.filters["format_date"] = format_date
    return env


CACHE_ENV = "TXPLAN_CACHE_DIR"


def bytecode_cache() -> FileSystemBytecodeCache | None:
    """A cache of compiled templates, so that a command does not recompile the pack's templates
    every time it starts (compiling is most of a cold start's template cost).

    It lives in ``$TXPLAN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/txplan`` or ``~/.cache/txplan``;
    set it empty to turn caching off), holds compiled templates only (never plan content), and is
    used only in a folder that is the user's own and closed to others, since compiled code is
    loaded from it. Jinja checks each entry against the template's source before using it.
    """
    setting = os.environ.get(CACHE_ENV)
    if setting == "":
        return None
    if setting is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        setting = os.path.join(base, "txplan")
    folder = Path(setting) / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
        if (hasattr(os, "getuid") and info.st_uid != os.getuid()) or info.st_mode & 0o077:
            return None
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


def format_date(value: Any, pattern: str = "%Y-%m-%d") -> Any:
    """Format an ISO date (``2026-09-14``) with a ``strftime`` pattern; anything that is not an
    ISO date is returned unchanged."""
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value).strftime(pattern)
    except ValueError:
        return value
