"""Escaping plan text for Markdown, so that a client's words can never change a document's
structure: a goal that starts with ``# `` stays a sentence, a ``|`` stays inside its table cell.

The escaping is minimal on purpose: the Markdown output is read by people in the chart, so
ordinary punctuation (full stops, commas, hyphens inside words, ``&`` in a practice name) is left
alone and only what CommonMark (with tables and markdown-it containers/attributes) would read as
structure is backslash-escaped.
"""

from __future__ import annotations

import re
from typing import Any

# Characters that carry structure wherever they appear.
_ALWAYS = re.compile(r"([\\`*_\[\]<>|~#{}])")
# An '&' that would start an entity reference (&amp; &#169;).
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# Characters that carry structure at the start of a line: list markers, headings' underlines,
# block quotes, container fences, ordered-list numbers.
_LINE_START = re.compile(r"^([-+=:>!])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
# Anything any of the above could change.
_ANY = re.compile(r"[\\`*_\[\]<>|~#{}&]|^[-+=:>!]|^\d{1,9}[.)](?:\s|$)")


class MarkdownText(str):
    """Text that is already Markdown (written by a template author) and must not be escaped."""

    __slots__ = ()


def escape_markdown(value: Any) -> str:
    """Render ``value`` as Markdown text that reads back as exactly that text.

    ``None`` becomes empty; line breaks become hard breaks and blank lines are folded into one
    break. Spaces around a one-line value are kept (templates join words with them).
    """
    if value is None:
        return ""
    if isinstance(value, MarkdownText):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    lines = str(value).split("\n")
    if len(lines) == 1:
        return _escape_line(lines[0])
    # Continuation lines lose their indentation (it could start a code block) and every line but
    # the last its trailing spaces (two of them would be a hard break of their own).
    kept = [lines[0].rstrip()] + [line.strip() for line in lines[1:-1]] + [lines[-1].lstrip()]
    return "\\\n".join(_escape_line(line) for line in kept if line.strip())


def _escape_line(line: str) -> str:
    if not _ANY.search(line):  # most text (names, dates, sentences) needs nothing
        return line
    line = _ALWAYS.sub(r"\\\1", line)
    line = _ENTITY.sub(r"\\&", line)
    line = _ORDERED.sub(r"\1\\\2", line)
    return _LINE_START.sub(r"\\\1", line)


def one_line(value: Any) -> Any:
    """Collapse all whitespace (line breaks included) to single spaces, for table cells and
    headings, where a line break would end the row or the heading."""
    if value is None or isinstance(value, MarkdownText):
        return value
    return " ".join(str(value).split())
