"""Converting Word documents to PDF with LibreOffice, headless, under a time limit.

Every call gets its own private folder (mode 0700, named for the process, so that one a killed
run leaves behind is removed by the next conversion) holding the Word files, the PDFs and a fresh
LibreOffice user profile: two conversions that share a profile fail silently (the second
LibreOffice hands its work to the first and exits 0), and a profile left behind would keep the
names of recently opened files. One call converts any number of documents (LibreOffice's start
is most of its cost), and its whole process group is killed when the time limit passes, so a
hanging LibreOffice never outlives txplan. LibreOffice exits 0 even when it could not load a
file: only the PDF it leaves behind counts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from txplan.errors import OutputError
from txplan.output import process_is_gone, temp_prefix
from txplan.settings import seconds_from_environment

#: Where to install LibreOffice from, said whenever it is missing.
INSTALL_HINT = (
    "install LibreOffice (Debian/Ubuntu: sudo apt install libreoffice-writer-nogui, or libreoffice-writer; "
    "macOS: brew install --cask libreoffice; Windows: winget install TheDocumentFoundation.LibreOffice)"
)
#: Seconds one conversion call may take, for its first document; each further document in the
#: same call adds PER_DOCUMENT_SECONDS. LibreOffice's first start with a fresh profile takes a few
#: seconds on a slow machine; a document takes a fraction of a second after that.
SECONDS = 120.0
PER_DOCUMENT_SECONDS = 5.0
SECONDS_ENV = "TXPLAN_PDF_SECONDS"
#: LibreOffice's JSON filter options (LibreOffice 7.4 and later): a tagged PDF (headings and
#: tables for screen readers); PDF/A-2b adds SelectPdfVersion 2.
TAGGED = '"UseTaggedPDF":{"type":"boolean","value":"true"}'
PDF_A_2B = '"SelectPdfVersion":{"type":"long","value":"2"}'
#: The import filter, named so that a file that is not a Word document is never "converted" as
#: plain text.
WORD_FILTER = "MS Word 2007 XML"


def find_soffice() -> str | None:
    """The LibreOffice program: ``soffice`` (or ``libreoffice``) on ``PATH``, else where the
    macOS and Windows installers put it; ``None`` when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "darwin":
        candidates = [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    elif os.name == "nt":
        candidates = [Path(os.environ.get(v, "")) / "LibreOffice" / "program" / "soffice.exe" for v in ("ProgramFiles", "ProgramFiles(x86)") if os.environ.get(v)]
    else:
        candidates = []
    return next((str(c) for c in candidates if c.is_file()), None)


def require_soffice() -> str:
    """The LibreOffice program, or :class:`OutputError` (exit 4) saying how to install it."""
    found = find_soffice()
    if found is None:
        raise OutputError(f"PDF output needs LibreOffice, which is not installed (no 'soffice' on PATH); {INSTALL_HINT}")
    return found


def time_limit(documents: int) -> float:
    """Seconds a call converting ``documents`` may take: ``$TXPLAN_PDF_SECONDS`` (default 120)
    for the first, plus 5 for each further one. :class:`UsageError` for a setting that is not a
    number of seconds above 0."""
    return seconds_from_environment(SECONDS_ENV, SECONDS, "120") + PER_DOCUMENT_SECONDS * max(0, documents - 1)


def filter_spec(pdf_a: bool) -> str:
    """The ``--convert-to`` argument: a tagged PDF, PDF/A-2b when ``pdf_a``."""
    options = f"{PDF_A_2B},{TAGGED}" if pdf_a else TAGGED
    return f"pdf:writer_pdf_Export:{{{options}}}"


def convert_to_pdf(documents: Sequence[bytes], *, pdf_a: bool = False) -> list[bytes | None]:
    """Convert Word documents (their bytes) to PDF in one LibreOffice call; for each, the PDF's
    bytes or ``None`` when LibreOffice produced none. :class:`OutputError` when LibreOffice is
    missing, cannot be started, or is still running at the time limit (it is then killed, with
    every process it started, and nothing is returned)."""
    if not documents:
        return []
    soffice = require_soffice()
    limit = time_limit(len(documents))
    sweep_stale_work()
    with tempfile.TemporaryDirectory(prefix=temp_prefix() + WORK_TAG) as work:
        folder = Path(work)
        names = []
        for number, content in enumerate(documents, 1):
            # Numbered names: a file name can carry a client's name, and LibreOffice may log it.
            source = folder / f"document-{number:05d}.docx"
            fd = os.open(source, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            names.append(source)
        command = [
            soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            f"--infilter={WORD_FILTER}", "--convert-to", filter_spec(pdf_a), "--outdir", str(folder / "pdf"),
            *(str(n) for n in names),
        ]
        _run(command, limit)
        results: list[bytes | None] = []
        for source in names:
            pdf = folder / "pdf" / f"{source.stem}.pdf"
            try:
                content = pdf.read_bytes()
            except OSError:
                content = b""
            results.append(content if content.startswith(b"%PDF-") else None)
        return results


#: What names a conversion's private folder, after txplan's temporary prefix (which names the
#: machine and the process): ``.txplan-<machine>-<pid>-pdf-XXXXXXXX`` in the temporary folder.
WORK_TAG = "pdf-"


def sweep_stale_work() -> None:
    """Remove conversion folders a killed txplan left in the temporary folder (they hold Word
    copies of plans): each names its process, and is removed once that process is gone."""
    import re

    folder = Path(tempfile.gettempdir())
    machine = temp_prefix(0).removesuffix("0-")  # ".txplan-<machine>-": any process of this machine
    pattern = re.compile(re.escape(machine) + r"([1-9][0-9]{0,9})-" + re.escape(WORK_TAG) + r"[A-Za-z0-9_]+")
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        with contextlib.suppress(OSError):
            info = entry.lstat()
            mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if stat.S_ISDIR(info.st_mode) and mine and process_is_gone(int(match[1])):
                shutil.rmtree(entry)


def _run(command: list[str], limit: float) -> None:
    """Run LibreOffice in a process group of its own; kill the whole group at ``limit`` seconds
    (and on any way out, Ctrl-C included), so no LibreOffice process is ever left running."""
    options: dict[str, object] = {}
    if os.name == "nt":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        options["start_new_session"] = True
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **options)  # type: ignore[call-overload]  # noqa: S603 - a fixed program, no shell
    except OSError as exc:
        raise OutputError(f"LibreOffice could not be started ({exc.strerror or type(exc).__name__}); {INSTALL_HINT}") from None
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        raise OutputError(
            f"LibreOffice did not finish converting to PDF within its time limit ({limit:g} s) and was stopped; no PDF was written "
            f"(on a slow machine, set ${SECONDS_ENV} to more seconds)"
        ) from None
    finally:
        _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and everything it started (LibreOffice's launcher starts soffice.bin)."""
    if os.name == "nt":
        with contextlib.suppress(OSError):
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)  # noqa: S603, S607
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    process.wait()
