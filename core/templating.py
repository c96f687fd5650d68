"""The Jinja environment template packs render in.

Templates are untrusted (a pack may come from anyone), so they run in Jinja2's immutable sandbox
with ``StrictUndefined``, a loader that reads only regular UTF-8 files inside the pack's
``templates/`` folders (no symbolic links, no ``..``, no absolute paths, a size cap), and the
limits of :mod:`txplan.template_limits` on every operation that makes text or lists and on the
time a section may take (see docs/security.md, "The template sandbox"). Every
``{{ expression }}`` is escaped for Markdown on the way out (``finalize``), so plan text is always
literal text.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any

from jinja2 import BaseLoader, FileSystemBytecodeCache, StrictUndefined, TemplateNotFound, nodes, pass_context
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEscapeFormatter, SandboxedFormatter
from jinja2.utils import generate_lorem_ipsum
from jinja2.visitor import NodeTransformer

from .markdown_text import MarkdownText, escape_markdown, one_line
from .safe_paths import MAX_TEMPLATE_BYTES, UnsafePackPath, locate, read_located
from .template_limits import (
    ITEM_WEIGHT,
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_RESULT,
    TemplateSizeError,
    check_format_spec,
    check_text,
    number_of,
    printf_size,
    produce,
    produced,
    text_size,
    tick,
    ticking,
)


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
            return source, str(candidate), lambda candidate=candidate, mtime=mtime: candidate.lstat().st_mtime == mtime  # defaults bind this file, not the loop variable
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        """Names of every template reachable through this loader."""
        names: set[str] = set()
        for _, root in self.roots:
            templates = root / "templates"
            if templates.is_dir():
                names.update(p.relative_to(templates).as_posix() for p in templates.rglob("*.j2") if p.is_file())
        return sorted(names)


#: Names of the filters txplan puts into a compiled template (they cannot be written in a template:
#: a filter's name there cannot hold a colon).
CONCAT_FILTER = "txplan:concat"
#: Changes whenever the code the guards put into compiled templates changes.
GUARDS_VERSION = "guards1"
ITER_FILTER = "txplan:iter"


class PackEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every way a template has to make text or lists capped before
    the work is done (``*``, ``+``, ``%``, ``**``, ``~``, filters, string methods, ``format``,
    macros and blocks), and the time limit checked at every call, loop iteration, include and
    output chunk, in whatever thread renders."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Refuse results that would be too large (a repetition, a concatenation, a ``%`` width,
        an integer of thousands of digits) before computing them."""
        if operator == "*":
            _check_repeat(left, right)
        elif operator == "+":
            if isinstance(left, _SIZED) and isinstance(right, _SIZED):
                produce(_weight(left) * (len(left) + len(right)), "'+'")
        elif operator == "%":
            if isinstance(left, (str, bytes)):
                produce(printf_size(left, right), "'%' formatting")
        elif operator == "**":
            _check_power(left, right)
        tick()
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        """Check the time limit, cap string methods however they were reached (``|attr``) and
        ``lipsum()``, and refuse a call whose result is too large."""
        tick()
        wrapped = __self.wrap_str_format(__obj)
        if wrapped is not None:
            __obj = wrapped
        elif __obj is generate_lorem_ipsum:
            produce(_lipsum_size(*args, **kwargs), "lipsum()")
        return produced(super().call(__context, __obj, *args, **kwargs), "a call")

    def wrap_str_format(self, value: Any) -> Callable[..., Any] | None:
        """Wrap the string methods that can make long strings (``format``, ``ljust``, ``join``,
        ...) wherever a template reaches them, so that their result's size is checked first."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
            return None
        owner = getattr(value, "__self__", None)
        name = value.__name__
        if isinstance(owner, str) and name in ("format", "format_map"):
            return _sized_format(self, value, owner, name == "format_map")
        if isinstance(owner, (str, bytes)) and name in _METHOD_SIZES:
            return _sized_method(value, owner, name)
        return None

    def concat(self, parts: Iterable[str]) -> str:  # a method, not "".join
        """Join the output of a macro, a ``{% set %}`` block or a ``{% call %}`` block, if its size
        is within the limits."""
        parts = parts if isinstance(parts, list) else list(parts)
        produce(sum(map(len, parts)), "a macro or block")
        return "".join(parts)

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Any:  # noqa: A002 - Jinja's signature
        """Load a template, checking the time limit (an include that includes itself)."""
        tick()
        return super().get_template(name, parent, globals)

    def select_template(self, names: Any, parent: str | None = None, globals: Any = None) -> Any:  # noqa: A002
        """Load the first template found, checking the time limit."""
        tick()
        return super().select_template(names, parent, globals)

    def get_or_select_template(self, template_name_or_list: Any, parent: str | None = None, globals: Any = None) -> Any:  # noqa: A002
        """Load a template or the first of a list, checking the time limit."""
        tick()
        return super().get_or_select_template(template_name_or_list, parent, globals)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse a template and route its ``~`` and ``for`` loops through the guards (Jinja
        compiles ``~`` to a join and loops to plain Python loops, which nothing else sees)."""
        tree = _Guards().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree


_SIZED = (str, bytes, list, tuple)


def _weight(value: Any) -> int:
    """What one item of ``value`` counts for: a character, or a reference in a list."""
    return 1 if isinstance(value, (str, bytes)) else ITEM_WEIGHT


class _Guards(NodeTransformer):
    """Rewrites ``a ~ b`` into ``(a, b)|txplan:concat`` and ``for x in items`` into
    ``for x in items|txplan:iter``."""

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return nodes.Filter(parts, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, ITER_FILTER, [], [], None, None, lineno=node.iter.lineno)
        return node


@pass_context  # also keeps Jinja from running it while compiling
def _concat(context: Any, parts: tuple[Any, ...]) -> str:
    texts = []
    for part in parts:
        if not isinstance(part, str):
            check_text(part, "'~'")
            part = str(part)
        texts.append(part)
    produce(sum(map(len, texts)), "'~'")
    return "".join(texts)


@pass_context
def _iter(context: Any, items: Any) -> Any:
    return ticking(items)


def _check_repeat(left: Any, right: Any) -> None:
    sequence, count = (left, right) if isinstance(left, _SIZED) else (right, left)
    if isinstance(sequence, _SIZED) and isinstance(count, int):
        produce(_weight(sequence) * count * max(len(sequence), 1), "repetition")
    elif isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise TemplateSizeError(f"a product of more than {MAX_INT_BITS:,} bits")


def _check_power(left: Any, right: Any) -> None:
    if isinstance(right, int) and abs(right) > MAX_EXPONENT:
        raise TemplateSizeError(f"exponent larger than {MAX_EXPONENT}")
    if isinstance(left, int) and isinstance(right, int) and right > 0 and left.bit_length() * right > MAX_INT_BITS:
        raise TemplateSizeError(f"a power of more than {MAX_INT_BITS:,} bits")


def _lipsum_size(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> int:  # noqa: A002 - lipsum's names
    return number_of(n) * (number_of(min) + number_of(max)) * 16


# -- string methods ------------------------------------------------------------------------------


def _padded(text: Any, width: Any = 0, *rest: Any) -> int:
    return max(len(text), number_of(width))


def _expanded(text: Any, tabsize: Any = 8) -> int:
    tab = b"\t" if isinstance(text, bytes) else "\t"
    return len(text) + text.count(tab) * number_of(tabsize)


def _replaced(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(old, (str, bytes)) or not isinstance(new, (str, bytes)):
        return len(text)  # the method refuses the types itself
    same_type = type(old) is type(text)  # tested apart: inline, mypy would narrow text to str | bytes
    found = (text.count(old) if old else len(text) + 1) if same_type else 0
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _translated(text: Any, table: Any, *rest: Any) -> int:
    values = table.values() if isinstance(table, Mapping) else table if isinstance(table, (list, tuple)) else ()
    longest = max((len(v) for v in values if isinstance(v, (str, bytes))), default=1)
    return len(text) * max(longest, 1)


_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": _padded,
    "ljust": _padded,
    "rjust": _padded,
    "zfill": _padded,
    "expandtabs": _expanded,
    "replace": _replaced,
    "translate": _translated,
    "join": lambda text, items: 0,  # measured on the materialised items below
}


def _sized_method(method: Callable[..., Any], owner: str | bytes, name: str) -> Callable[..., Any]:
    size_of = _METHOD_SIZES[name]

    def sized(*args: Any, **kwargs: Any) -> Any:
        if name == "join" and args:
            items = list(args[0])
            size = sum(len(i) for i in items if isinstance(i, (str, bytes))) + max(len(items) - 1, 0) * len(owner)
            produce(size, f"'{name}'")
            return method(items, *args[1:], **kwargs)
        produce(size_of(owner, *args, **kwargs), f"'{name}'")
        return method(*args, **kwargs)

    return functools.update_wrapper(sized, method)


class _SizedFormatting:
    """A ``str.format`` formatter that refuses large widths and precisions (resolved nested ones
    included) and a result larger than the limit, before formatting each field."""

    made = 0

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        self.made = len(format_string)
        return super().vformat(format_string, args, kwargs)  # type: ignore[misc]

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion is not None:
            check_text(value, "a format field")
        return super().convert_field(value, conversion)  # type: ignore[misc]

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.made += check_format_spec(format_spec) + text_size(value) + 400
        produce(self.made, "'format'")
        return super().format_field(value, format_spec)  # type: ignore[misc]


class _SizedFormatter(_SizedFormatting, SandboxedFormatter):
    pass


class _SizedEscapeFormatter(_SizedFormatting, SandboxedEscapeFormatter):
    pass


def _sized_format(env: PackEnvironment, method: Callable[..., Any], owner: str, is_format_map: bool) -> Callable[..., str]:
    """What Jinja's sandbox does for ``str.format`` (fields read through the sandbox), with the
    sizes checked."""
    escape = getattr(owner, "escape", None)
    formatter = _SizedEscapeFormatter(env, escape=escape) if escape is not None and hasattr(owner, "__html__") else _SizedFormatter(env)
    str_type = type(owner)

    def sized(*args: Any, **kwargs: Any) -> str:
        if is_format_map:
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            kwargs, args = args[0], ()
        return str_type(formatter.vformat(owner, args, kwargs))

    return functools.update_wrapper(sized, method)


# -- filters -------------------------------------------------------------------------------------


def _text_of(value: Any, *rest: Any, **options: Any) -> int:
    return text_size(value)


def _centered(value: Any, width: Any = 80) -> int:
    return max(text_size(value), number_of(width))


def _indented(text: Any, width: Any = 4, first: Any = False, blank: Any = False) -> int:
    lines = text.count("\n") + 2 if isinstance(text, str) else text_size(text)
    return text_size(text) + lines * (len(width) if isinstance(width, str) else number_of(width))


def _printf_filter(value: Any, *args: Any, **kwargs: Any) -> int:
    return printf_size(value if isinstance(value, str) else "", kwargs or args) + text_size(value)


def _joined(items: Any, separator: Any = "", attribute: Any = None) -> int:
    count = 0
    size = 0
    for item in items:
        count += 1
        size += text_size(item)
        if size > MAX_RESULT:
            break
    return size + max(count - 1, 0) * text_size(separator)


def _replaced_filter(text: Any, old: Any, new: Any, count: Any = None) -> int:
    return _replaced(str(text) if not isinstance(text, str) else text, str(old), str(new), -1 if count is None else count)


def _wrapped(text: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None, break_on_hyphens: Any = True) -> int:
    size = text_size(text)
    breaks = 2 * size // max(number_of(width), 1) + (text.count("\n") if isinstance(text, str) else size) + 2
    return size + breaks * (len(wrapstring) if isinstance(wrapstring, str) else 2)


def _batched(items: Any, count: Any, fill_with: Any = None) -> int:
    return ITEM_WEIGHT * (len(items) + number_of(count))


def _summed(items: Any, attribute: Any = None, start: Any = 0) -> int:
    if not isinstance(start, _SIZED):
        return 0
    return _weight(start) * (len(start) + sum(text_size(item) for item in items))


def _json_size(value: Any, indent: Any = None) -> int:
    if number_of(indent) > MAX_EXPONENT:
        raise TemplateSizeError(f"a JSON indent larger than {MAX_EXPONENT}")
    return _text_of(value)


def _date_size(value: Any, pattern: Any = "%Y-%m-%d") -> int:
    # strftime never makes more than 256 characters per character of its pattern (CPython's own cap)
    return 256 * len(pattern) if isinstance(pattern, str) else 0


#: How large each filter's result can be, from its arguments, computed before it runs; filters not
#: named here make results no larger than their input (``upper``, ``sort``, ``list`` ...) and are
#: checked afterwards.
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": _centered,
    "indent": _indented,
    "format": _printf_filter,
    "join": _joined,
    "replace": _replaced_filter,
    "wordwrap": _wrapped,
    "batch": _batched,
    "slice": _batched,
    "sum": _summed,
    "tojson": _json_size,
    "format_date": _date_size,
    **dict.fromkeys(
        ["string", "e", "escape", "forceescape", "pprint", "urlencode", "urlize", "striptags", "title",
         "upper", "lower", "capitalize", "trim", "truncate", "xmlattr", "oneline", "markdown", "wordcount"],
        _text_of,
    ),
}
#: Filters whose input is read twice (to size it, then to run): an iterator is listed first.
_MATERIALISE = frozenset({"join", "batch", "slice", "sum"})


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its result's size checked: before it runs where the size can be told
    from the arguments, afterwards otherwise."""
    pass_arg = getattr(function, "jinja_pass_arg", None)
    skip = 1 if pass_arg is not None else 0  # the context Jinja passes first
    size_of = _FILTER_SIZES.get(name)
    what = f"filter '{name}'"
    materialise = name in _MATERIALISE

    def guarded(*args: Any, **kwargs: Any) -> Any:
        if materialise and len(args) > skip and not isinstance(args[skip], (list, tuple, str, dict)):
            args = (*args[:skip], list(args[skip]), *args[skip + 1 :])
        if size_of is not None:
            produce(size_of(*args[skip:], **kwargs), what)
        else:
            tick()
        return produced(function(*args, **kwargs), what)

    functools.update_wrapper(guarded, function, updated=())
    if pass_arg is not None:
        guarded.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]  # Jinja passes the context
    return guarded


def _finalize(value: Any) -> str:
    """What ``{{ value }}`` prints: the value's text, escaped for Markdown, if not too large."""
    if not isinstance(value, str):
        check_text(value, "an output value")
    return escape_markdown(value)


def make_environment(roots: Sequence[tuple[str, Path]]) -> PackEnvironment:
    """A sandboxed environment loading templates from ``roots`` (name, pack folder), most
    specific first, with txplan's filters."""
    env = PackEnvironment(
        loader=PackLoader(roots),
        bytecode_cache=bytecode_cache(),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["oneline"] = one_line
    env.filters["markdown"] = MarkdownText
    env.filters["format_date"] = format_date
    env.filters = {name: _guard_filter(name, function) for name, function in env.filters.items()}
    env.filters[CONCAT_FILTER] = _concat
    env.filters[ITER_FILTER] = _iter
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
    # The file names carry the version of the guards compiled in (see PackEnvironment._parse), so
    # templates compiled without them by an older txplan are never loaded.
    return FileSystemBytecodeCache(str(folder), f"__txplan_{GUARDS_VERSION}_%s.cache")


def format_date(value: Any, pattern: str = "%Y-%m-%d") -> Any:
    """Format an ISO date (``2026-09-14``) with a ``strftime`` pattern; anything that is not an
    ISO date is returned unchanged."""
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value).strftime(pattern)
    except ValueError:
        return value
