"""`txplan due` over a generated caseload: how long one run takes for N plans.

    python benchmarks/due_caseload.py [--plans 500] [--keep DIR]

Writes N copies of the bundled example plan into a temporary folder, each with its own client
name, start date (spread over a year) and review dates, so that some plans are overdue and some
are not, then times one `txplan due FOLDER` process (load, validate and check every plan) and
prints the first lines of its output, its summary line and the wall-clock time. Not part of
`make test`: timings belong here, never in a unit test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

#: The plan's dates (not the date of birth, which stays as it is).
DATE = re.compile(r"\b20[0-9]{2}-[01][0-9]-[0-3][0-9]\b")
NAMES = ["Alex Morgan", "Sam Rivera", "Jo Okafor", "Kim Laurent", "Noor Haddad", "Lee Park", "Ana Costa", "Ivo Novak"]


def generate(folder: Path, count: int) -> None:
    """``count`` variants of the example plan in ``folder`` (ten sub-folders, like a practice's)."""
    text = resources.files("txplan.examples").joinpath("attachment-plan.yaml").read_text(encoding="utf-8")
    for index in range(count):
        shift = dt.timedelta(days=(index * 7) % 360 - 180)

        def moved(match: re.Match[str], shift: dt.timedelta = shift) -> str:
            return (dt.date.fromisoformat(match.group(0)) + shift).isoformat()

        variant = DATE.sub(moved, text.replace("Amélie Durand-Okafor", f"{NAMES[index % len(NAMES)]} {index}"))
        target = folder / f"clinician-{index % 10}" / f"plan-{index:04d}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(variant, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR (kept) instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        generate(folder, args.plans)
        txplan = Path(sys.executable).with_name("txplan")
        started = time.perf_counter()
        run = subprocess.run([str(txplan), "due", str(folder), "--as-of", "2026-12-07"], capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
    lines = run.stdout.splitlines()
    print("\n".join(lines[:12]))
    print("...")
    print(lines[-1] if lines else run.stderr)
    print(f"exit {run.returncode}; {args.plans} plans in {seconds:.1f} s ({seconds / args.plans * 1000:.0f} ms a plan)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
