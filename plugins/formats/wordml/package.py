"""Make a DOCX reproducible and free of identifying metadata.

python-docx stamps every zip member with the current time; the same plan must give the same
bytes, so the package is written with a fixed timestamp and fixed member attributes. Core
properties are set from the plan (never the clock) and carry no client-identifying information.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any, BinaryIO, cast

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def set_core_properties(element: Any, title: str, plan_date: str | None) -> None:
    """Title, dates from the plan, everything else (author, comments, ...) emptied: a practice's
    reference document must not pass its own metadata on to a client's plan. ``element`` is the
    core properties part's root element (``cp:coreProperties``)."""
    from docx.opc.coreprops import CoreProperties

    properties = CoreProperties(element)
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
    for child in list(element):
        if child.tag.endswith("}lastPrinted"):
            element.remove(child)


def save_reproducibly(document: Any, target: io.BytesIO | None = None) -> bytes:
    """Serialise a python-docx document with fixed timestamps and attributes, in one pass.

    python-docx's own ``save`` stamps members with the clock; this writes the same parts, in the
    same order, through python-docx's package writer with a zip writer of our own. ``target``
    (a fresh memory buffer by default) receives the package. The zip file is closed on every
    path: when writing fails, the failure propagates and nothing is left for the garbage
    collector to close (which would print a stray "Exception ignored" traceback).
    """
    from docx.opc.phys_pkg import PhysPkgWriter
    from docx.opc.pkgwriter import PackageWriter

    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    out = target if target is not None else io.BytesIO()
    writer = _FixedTimeZipWriter(out)
    try:
        PackageWriter._write_content_types_stream(writer, package.parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(cast("PhysPkgWriter", writer), package.parts)  # duck-typed: write() and close() are all it uses
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    return out.getvalue()


def zip_reproducibly(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip of ``members`` (name, content), in order, with fixed timestamps and attributes:
    the same members give the same bytes."""
    out = io.BytesIO()
    writer = _FixedTimeZipWriter(out)
    try:
        for name, content in members:
            writer.write_member(name, content)
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    return out.getvalue()


class _FixedTimeZipWriter:
    """The physical-package writer interface python-docx's PackageWriter uses (write, close)."""

    def __init__(self, target: BinaryIO) -> None:
        self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        """Write one part (python-docx's writer names it by its pack URI)."""
        self.write_member(pack_uri.membername, blob)

    def write_member(self, name: str, blob: bytes) -> None:
        """Write one zip member, stamped with the fixed time."""
        info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        self.zip.writestr(info, blob)

    def close(self) -> None:
        self.zip.close()

    def abandon(self) -> None:
        """Close after a failure, ignoring a second failure while finishing the archive (the
        package is discarded; the first error is the one reported). ``ZipFile.close`` lets go
        of its file even when it raises, so nothing is closed again at garbage collection."""
        with contextlib.suppress(Exception):
            self.zip.close()
