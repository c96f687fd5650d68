"""Regular expressions in schemas: matched by a linear-time engine, and a pack's checked when the
pack loads.

A pack's ``requires`` overlay is a JSON Schema from anyone, and its ``pattern`` keywords would be
matched by Python's backtracking ``re`` (``'^(a+)+$'`` against a long plan field never ends).
RE2 (the ``google-re2`` package) matches in time linear in the input and refuses what it cannot
match that way (back-references, look-around): such a pattern, or one that does not compile, is
a pack error when the pack loads, naming ``pack.yaml``, the line and the field.

Every ``pattern`` keyword the plan validator meets is matched with RE2 (its ASCII ``\\d``/``\\w``
and end-only ``$`` are the ECMA-262 meanings JSON Schema specifies, closer than Python's); a
pattern RE2 cannot compile can only come from txplan's own or a plugin's schema (a pack's is
refused at load), and is matched with ``re`` as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema
import re2

#: A compiled pattern may use at most this much memory (RE2's own default; a pattern needing
#: more is refused, not slowed).
MAX_PATTERN_MEMORY = 8 << 20


class PatternRefused(ValueError):
    """A pattern that cannot be matched in linear time, or does not compile."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print its parse errors to stderr; we report them
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@lru_cache(maxsize=512)
def compile_linear(pattern: str) -> Any:
    """``pattern`` compiled by RE2; :class:`PatternRefused` saying why when it cannot be."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise PatternRefused(reason) from None


@lru_cache(maxsize=512)
def _matcher(pattern: str) -> Any:
    try:
        return compile_linear(pattern).search
    except PatternRefused:  # a trusted pattern RE2 cannot run (a pack's was refused at load)
        return re.compile(pattern).search


def pattern_problems(schema: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], str]]:
    """Every pattern in a pack's schema overlay that cannot be used, as (path, message): each
    ``pattern`` must compile with RE2, and ``patternProperties`` is refused (jsonschema matches
    its keys with Python's ``re`` in more places than one keyword)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [(path, schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, list):
            stack.extend(((*where, i), item) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                try:
                    compile_linear(value)
                except PatternRefused as exc:
                    found.append(((*where, key), f"pattern {value!r} cannot be used: {exc} (patterns are matched by RE2, "
                                  "which has no back-references or look-around)"))
            elif key == "patternProperties":
                found.append(((*where, key), "patternProperties is not allowed in a pack's requires; name the properties"))
            else:
                stack.append(((*where, key), value))
    return sorted(found, key=lambda item: [str(p) for p in item[0]])


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """The ``pattern`` keyword, as jsonschema defines it, matched by :func:`_matcher`."""
    if validator.is_type(instance, "string") and not _matcher(pattern)(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 validation with ``pattern`` matched in linear time.
LinearPatternValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, validators={"pattern": _pattern})
