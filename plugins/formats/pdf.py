"""The PDF output formats: txplan's own Word document, converted by LibreOffice headless, so the
PDF shows what the insurer would see in Word. ``pdf`` is a tagged PDF (headings and tables for
screen readers); ``pdf-a`` (``render --pdf-a``) is PDF/A-2b, for archiving.

Both declare that they convert the ``docx`` format's output (``convert_from``), so the command
line renders Word documents for a whole batch of plans and converts them in one LibreOffice call
(``convert_many``): LibreOffice's start costs more than a document.

LibreOffice stamps each PDF with the time it was made: unlike Word and Markdown output, a PDF is
not byte-identical from one run to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from txplan import hookimpl
from txplan.contracts import OutputFormat, PackView, RenderedDocument
from txplan.errors import OutputError

from .docx import PreparedPack, prepare_docx, render_docx
from .libreoffice import convert_to_pdf, require_soffice, time_limit


def prepare_pdf(pack: PackView) -> PreparedPack:
    """Before anything is rendered: LibreOffice must be installed (else :class:`OutputError`,
    exit 4, naming the package to install), ``$TXPLAN_PDF_SECONDS`` sensible and the pack's
    reference document usable. Returns the Word format's state for the pack."""
    require_soffice()
    time_limit(1)  # a bad $TXPLAN_PDF_SECONDS is reported before any plan is rendered
    return prepare_docx(pack)


def _converter(pdf_a: bool) -> Any:
    def convert_many(documents: Sequence[bytes]) -> list[bytes | None]:
        """Word documents' bytes -> their PDFs (``None`` where LibreOffice produced none)."""
        return convert_to_pdf(documents, pdf_a=pdf_a)

    return convert_many


def _renderer(pdf_a: bool) -> Any:
    def render(document: RenderedDocument, prepared: PreparedPack | None = None) -> bytes:
        """The document as a PDF: its Word output, converted by LibreOffice."""
        [pdf] = convert_to_pdf([render_docx(document, prepared)], pdf_a=pdf_a)
        if pdf is None:
            raise OutputError(NO_PDF)
        return pdf

    return render


#: What is said when LibreOffice ends without leaving a PDF.
NO_PDF = "LibreOffice ended without producing a PDF; no PDF was written (run 'soffice --headless --convert-to pdf' on the Word output to see why)"


@hookimpl
def register_output_formats(register):
    """Register ``pdf`` (tagged) and ``pdf-a`` (PDF/A-2b, tagged)."""
    for name, pdf_a, description in (
        ("pdf", False, "PDF converted from the Word document by LibreOffice (tagged, for screen readers); needs LibreOffice"),
        ("pdf-a", True, "PDF/A-2b for archiving (tagged), converted from the Word document by LibreOffice; needs LibreOffice"),
    ):
        register(
            OutputFormat(
                name=name,
                extension="pdf",
                media_type="application/pdf",
                render=_renderer(pdf_a),
                prepare=prepare_pdf,
                description=description,
                convert_from="docx",
                convert_many=_converter(pdf_a),
                archival_variant="" if pdf_a else "pdf-a",
            )
        )
