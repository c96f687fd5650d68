"""The limits a template pack's code runs under: how large one operation's result may be, how
much one section may produce in all, and how long one section may take.

Templates are untrusted, so every way they have to make text or lists (operators, ``~``,
filters, string methods, ``format`` and ``%``, macros, blocks) is checked here, before the work
is done wherever the size can be known in advance (a width, a repeat count, a join's parts), so
that ``'a'.ljust(4 * 10**9)`` is refused without allocating anything.

The limits of the section being rendered live in a :class:`contextvars.ContextVar`, so they hold
in any thread (a web server's or a job queue's worker), for each render separately, and no
signal or timer of the process is touched.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SecurityError
from jinja2.utils import Namespace

#: How much one operation of a template may make, in characters; a list, tuple, set or dict counts
#: :data:`ITEM_WEIGHT` per item (what a reference to each item takes in memory, in bytes).
MAX_RESULT = 1_000_000
ITEM_WEIGHT = 8
#: How much all operations of one section may make together, temporaries included, in the same
#: units: twice what the whole document may be (so that a runaway loop's output is reported as
#: such). This bounds the memory a template can hold (all it keeps it made) to tens of megabytes,
#: and is a thousand times what txplan's packs use (under 5,000 per section for the example plan).
MAX_PRODUCED = 10_000_000
#: Bits in an integer a template computes (about 4,900 decimal digits; Python cannot print an
#: integer of more than 4,300 digits anyway).
MAX_INT_BITS = 16_384
MAX_EXPONENT = 64
#: An allowance per ``%`` or ``{}`` field for what a number can print as (``'%f' % 1e308``).
_NUMBER_TEXT = 400


class TemplateSizeError(SecurityError):
    """A template operation would produce more than the limits allow."""


class RenderTimeout(SecurityError):
    """A template ran past its section's time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s to render (a loop that does not end?)")
        self.seconds = seconds


@dataclass
class _Limits:
    seconds: float
    deadline: float  # time.monotonic() value; math.inf when there is no time limit
    remaining: int  # of MAX_PRODUCED


_ACTIVE: ContextVar[_Limits | None] = ContextVar("txplan_template_limits", default=None)


@contextlib.contextmanager
def section_limits(seconds: float) -> Iterator[float]:
    """Apply the limits to the templates rendered in the block, in this thread (and context)
    only: at most ``seconds`` (0: no time limit) and :data:`MAX_PRODUCED` in all. Yields the
    deadline (a :func:`time.monotonic` value), for the caller's own loop to check."""
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    token = _ACTIVE.set(_Limits(seconds, deadline, MAX_PRODUCED))
    try:
        yield deadline
    finally:
        _ACTIVE.reset(token)


def tick() -> None:
    """Raise :class:`RenderTimeout` if the section being rendered is past its time limit."""
    limits = _ACTIVE.get()
    if limits is not None and time.monotonic() > limits.deadline:
        raise RenderTimeout(limits.seconds)


def produce(size: int, what: str) -> None:
    """Account for an operation about to produce ``size`` characters or items: refuse it if it is
    larger than :data:`MAX_RESULT` or the section's allowance is spent; check the time limit."""
    if size > MAX_RESULT:
        raise TemplateSizeError(f"{what} would produce {_TOO_MUCH}")
    limits = _ACTIVE.get()
    if limits is None:
        return
    if time.monotonic() > limits.deadline:
        raise RenderTimeout(limits.seconds)
    limits.remaining -= size
    if limits.remaining < 0:
        raise TemplateSizeError(f"the template makes more than {MAX_PRODUCED:,} characters (or {MAX_PRODUCED // ITEM_WEIGHT:,} list items) in all (a loop that builds text without end?)")


def produced(result: Any, what: str) -> Any:
    """Account for a result already made (its size could not be known in advance); return it."""
    if isinstance(result, (str, bytes)):
        produce(len(result), what)
    elif isinstance(result, (list, tuple, dict, set, frozenset)):
        produce(ITEM_WEIGHT * len(result), what)
    return result


_TOO_MUCH = f"more than {MAX_RESULT:,} characters (or {MAX_RESULT // ITEM_WEIGHT:,} list items), the most one template operation may make"


class Ticking:
    """An iterable that checks the time limit at every item (what a template's ``for`` loops
    over), keeping the length of what it wraps for ``loop.length``."""

    __slots__ = ("_items", "_limits")

    def __init__(self, items: Iterable[Any], limits: _Limits) -> None:
        self._items = items
        self._limits = limits

    def __iter__(self) -> Iterator[Any]:
        limits = self._limits
        for item in self._items:
            if time.monotonic() > limits.deadline:
                raise RenderTimeout(limits.seconds)
            yield item

    def __len__(self) -> int:
        return len(self._items)  # type: ignore[arg-type]  # a TypeError tells LoopContext to count


def ticking(items: Iterable[Any]) -> Iterable[Any]:
    """``items``, checked against the time limit at every item while a section is rendered."""
    limits = _ACTIVE.get()
    if limits is None or limits.deadline == math.inf:
        return items
    return Ticking(items, limits)


# -- how large a value's text is -----------------------------------------------------------------


def text_size(value: Any, limit: int = MAX_RESULT) -> int:
    """An upper bound of ``len(str(value))``, computed without making the text, stopping as soon as
    it passes ``limit``: a list that holds the same long string a million times is small in memory
    but enormous as text."""
    if isinstance(value, (str, bytes)):
        return len(value)
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 8  # quotes and escapes of repr() are counted generously below
            total += len(item) // 3  # repr() may escape characters (\n, \x00)
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 25
        elif isinstance(item, Mapping):
            total += 2 + 4 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            pending.extend(item)
        elif isinstance(item, Namespace):
            total += 14
            pending.append(object.__getattribute__(item, "_Namespace__attrs"))
        else:
            total += 100  # txplan's own objects and Jinja's (Undefined, loop); their text is short
        if total > limit:
            return total
    return total


def check_text(value: Any, what: str) -> None:
    """Refuse to turn ``value`` into text if that text would be too large."""
    if not isinstance(value, str):
        size = text_size(value)
        if size > MAX_RESULT:
            raise TemplateSizeError(f"{what} would produce {_TOO_MUCH}")


def number_of(value: Any) -> int:
    """A width or count argument as a number of characters (anything else counts as nothing:
    the operation itself then reports the wrong type)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return abs(value)
    if isinstance(value, float) and math.isfinite(value):
        return int(abs(value))
    return 0


# -- printf (%) and str.format ------------------------------------------------------------------

_PRINTF_SPEC = re.compile(r"%(?:\(([^)]*)\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.?)", re.DOTALL)


def printf_size(fmt: str | bytes, values: Any) -> int:
    """An upper bound of the length of ``fmt % values``: widths and precisions (given in the
    format or through ``*``) and the text of every value used."""
    text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
    args = list(values) if isinstance(values, tuple) else [values]
    mapping = values if isinstance(values, Mapping) else None
    position = 0
    total = len(text)
    for match in _PRINTF_SPEC.finditer(text):
        key, width, precision, conversion = match.groups()
        if conversion == "%":
            continue
        for part in (width, precision):
            if part == "*":
                total += number_of(args[position]) if position < len(args) else 0
                position += 1
            elif part:
                total += int(part) if len(part) < 10 else 10**10
        if key is not None and mapping is not None:
            value = mapping.get(key)
        else:
            value = args[position] if position < len(args) else None
            position += 1
        total += text_size(value) + _NUMBER_TEXT
        if total > MAX_RESULT:
            break
    return total


_DIGITS = re.compile(r"\d+")


def check_format_spec(spec: str) -> int:
    """The numbers in a ``format()`` spec added up (a width, a precision, or a ``strftime`` width
    such as ``%9999Y`` for dates), each refused if it is larger than :data:`MAX_RESULT`."""
    total = 0
    for digits in _DIGITS.findall(spec):
        number = int(digits) if len(digits) < 10 else 10**10
        if number > MAX_RESULT:
            raise TemplateSizeError(f"a format width or precision larger than {MAX_RESULT:,}")
        total += number
    return total
