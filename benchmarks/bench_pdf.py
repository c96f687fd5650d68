"""What a PDF costs per document: one LibreOffice call per plan (``txplan render plan -f pdf``,
or the API) against one call for a batch (``txplan render *.yaml -f pdf``), beside the Word
document it is converted from. Prints a Markdown table; timings are for ratios, not absolutes.

    python benchmarks/bench_pdf.py [--single N] [--batch N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from importlib import resources
from pathlib import Path

import txplan
from txplan.plugins.formats.libreoffice import convert_to_pdf

EXAMPLE = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))


def seconds_per_document(run: object, count: int) -> float:
    """Wall-clock seconds per document of ``run()``, which makes ``count`` documents."""
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return (time.perf_counter() - started) / count


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=3, help="documents converted one call each (default 3)")
    parser.add_argument("--batch", type=int, default=30, help="documents converted in one call (default 30)")
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("bench_pdf: LibreOffice (soffice) is not installed")
    engine = txplan.Engine(None)
    plan = engine.load(EXAMPLE)
    docx = engine.render(plan, "docx")
    word = seconds_per_document(lambda: [engine.render(plan, "docx") for _ in range(args.batch)], args.batch)
    single = seconds_per_document(lambda: [convert_to_pdf([docx]) for _ in range(args.single)], args.single)
    batch = seconds_per_document(lambda: convert_to_pdf([docx] * args.batch), args.batch)
    print("| per document | seconds | vs Word |")
    print("|---|---|---|")
    print(f"| Word (docx) | {word:.3f} | 1 |")
    print(f"| PDF, one LibreOffice call per document ({args.single} documents) | {single:.3f} | {single / word:.0f}× |")
    print(f"| PDF, one LibreOffice call for {args.batch} documents | {batch:.3f} | {batch / word:.0f}× |")
    print(f"\nA batch converts {single / batch:.1f}× faster per document than a call per document.")


if __name__ == "__main__":
    main()
