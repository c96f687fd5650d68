"""The HTML format's stylesheet: txplan's own (screen and print), and a pack's ``style.css``,
checked so that it cannot make the document fetch anything or break out of its ``<style>``.

A pack's stylesheet is refused when, after its comments are removed and its CSS escapes decoded
(``\\75 rl(`` is ``url(``), it holds ``@import``, a ``url()`` to anything but a ``data:`` address,
``image-set()`` (whose plain strings are addresses), a ``<`` (``</style>`` would end the element),
or is larger than 256 KB. The page's Content-Security-Policy forbids every fetch besides; the
check says what is wrong when the pack is checked, instead of leaving a rule that silently does
nothing.
"""

from __future__ import annotations

import re

#: The largest pack stylesheet accepted.
MAX_STYLESHEET_BYTES = 256 * 1024

_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.DOTALL)
_URL = re.compile(r"url\(\s*(['\"]?)\s*([^)'\"\s]*)")
_REFUSED = (
    (re.compile(r"@import"), "@import (a stylesheet may not load another)"),
    (re.compile(r"image-set\("), "image-set() (it loads images by address)"),
    (re.compile(r"<"), "'<' (it could end the <style> element)"),
    (re.compile(r"expression\(|behavior\s*:|-moz-binding"), "script-like CSS (expression(), behavior or -moz-binding)"),
)


def stylesheet_problems(data: bytes) -> list[str]:
    """Why ``data`` cannot be a pack's ``style.css`` (empty when it can)."""
    if len(data) > MAX_STYLESHEET_BYTES:
        return [f"is {len(data):,} bytes; at most {MAX_STYLESHEET_BYTES:,} are allowed"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"is not UTF-8 text (byte {exc.start})"]
    plain = _decoded(_COMMENT.sub(" ", text)).lower()
    problems = [f"uses {what}" for pattern, what in _REFUSED if pattern.search(plain)]
    for match in _URL.finditer(plain):
        if not match.group(2).startswith("data:"):
            shown = match.group(2)[:60] or "(empty)"
            problems.append(f"uses url({shown}): only data: addresses are allowed (the document fetches nothing)")
    return list(dict.fromkeys(problems))


def _decoded(text: str) -> str:
    """``text`` with CSS escapes replaced by the characters they stand for."""

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match.group(2)

    return _ESCAPE.sub(one, text)


def base_stylesheet(page_size: str, margins: str) -> str:
    """txplan's stylesheet: readable on screen, and on paper the pack's page size and margins,
    a page break at each ``::: page-break``, the signature block on one page, table header rows
    repeated on every page, rows never split."""
    return f"""\
:root {{ color-scheme: light; }}
body {{ font: 11pt/1.45 "Segoe UI", Calibri, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 0; }}
.page {{ max-width: 48rem; margin: 0 auto; padding: 2rem 1.5rem; }}
header.letterhead {{ border-bottom: 2px solid #1f4e79; margin-bottom: 1.5rem; padding-bottom: .75rem; }}
header.letterhead img {{ max-height: 3.5rem; display: block; margin-bottom: .5rem; }}
header.letterhead p {{ margin: .2rem 0; }}
h1 {{ font-size: 1.7rem; color: #1f4e79; margin: 0 0 1rem; }}
h2 {{ font-size: 1.25rem; color: #1f4e79; border-bottom: 1px solid #c9d6e3; padding-bottom: .2rem; margin: 1.8rem 0 .7rem; }}
h3, h4, h5, h6 {{ font-size: 1.05rem; margin: 1.3rem 0 .5rem; }}
table {{ border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .92rem; }}
th, td {{ border: 1px solid #b7c4d1; padding: .3rem .45rem; text-align: left; vertical-align: top; }}
th {{ background: #e9eff5; }}
.note, .alert {{ border: 1px solid #9fb3c8; border-left: 4px solid #1f4e79; background: #f4f7fa; padding: .4rem .8rem; margin: .8rem 0; }}
.alert {{ border-color: #c0504d; border-left-color: #c0504d; background: #fbf0ef; }}
.signature-block td {{ height: 2.6rem; vertical-align: bottom; }}
figure.chart {{ margin: .8rem 0 1.2rem; }}
figure.chart svg {{ max-width: 100%; height: auto; }}
hr {{ border: 0; border-top: 1px solid #b7c4d1; margin: 1.5rem 0; }}
@page {{ size: {page_size}; margin: {margins}; }}
@media print {{
  body {{ font-size: 10.5pt; }}
  .page {{ max-width: none; padding: 0; }}
  a {{ color: inherit; text-decoration: none; }}
  .page-break {{ break-before: page; page-break-before: always; }}
  .signature-block {{ break-inside: avoid; page-break-inside: avoid; }}
  thead {{ display: table-header-group; }}
  tr, figure.chart, .note, .alert {{ break-inside: avoid; page-break-inside: avoid; }}
  h2, h3, h4 {{ break-after: avoid; page-break-after: avoid; }}
}}
"""
