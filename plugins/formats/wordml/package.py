"""Make a saved DOCX reproducible and free of identifying metadata.

python-docx stamps every zip member with the current time; the same plan must give the same
bytes, so the package is rewritten with a fixed timestamp and fixed member attributes. Core
properties are set from the plan (never the clock) and carry no client-identifying information.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def set_core_properties(document: Any, title: str, plan_date: str | None) -> None:
    """Title, dates from the plan, everything else (author, comments, ...) emptied: a practice's
    reference document must not pass its own metadata on to a client's plan."""
    properties = document.core_properties
    properties.title = title
    for name in ("author", "category", "comments", "content_status", "identifier", "keywords",
                 "language", "last_modified_by", "subject", "version"):
        setattr(properties, name, "")
    properties.revision = 1
    when = dt.datetime(2000, 1, 1)
    if plan_date:
        try:
            when = dt.datetime.combine(dt.date.fromisoformat(plan_date), dt.time())
        except ValueError:
            pass
    properties.created = when
    properties.modified = when
    element = properties._element  # no public API removes lastPrinted
    for child in list(element):
        if child.tag.endswith("}lastPrinted"):
            element.remove(child)


def reproducible(docx_bytes: bytes) -> bytes:
    """The same package with fixed timestamps and attributes, members in their original order."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(info))
    return out.getvalue()
