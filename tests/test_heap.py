"""The garbage collector is kept off the engine only in processes that end with the command:
the `txplan` script and its workers, never an application that imports txplan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def frozen_after(code: str, *args: str) -> int:
    """``gc.get_freeze_count()`` after running ``code`` in a fresh interpreter."""
    probe = f"import gc, sys\n{code}\nprint(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])


def test_a_library_user_keeps_the_collector(example_path: Path, tmp_path: Path) -> None:
    """Rendering through the API or `txplan.cli.main` (as an embedding application would) freezes nothing."""
    render = "from txplan.cli import main; main(['render', sys.argv[1], '-f', 'docx', '-o', sys.argv[2]])"
    assert frozen_after(render, str(example_path), str(tmp_path / "plan.docx")) == 0
    assert frozen_after("import txplan.heap; txplan.heap.settle()") == 0


def test_the_txplan_script_freezes_the_built_engine(example_path: Path, tmp_path: Path) -> None:
    """The script's process (own_process) moves the built engine out of the collector's reach."""
    render = (
        "import txplan.heap; txplan.heap.own_process()\n"
        "from txplan.cli import main; main(['render', sys.argv[1], '-f', 'docx', '-o', sys.argv[2]])"
    )
    assert frozen_after(render, str(example_path), str(tmp_path / "plan.docx")) > 10_000
