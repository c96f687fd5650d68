"""Writing behind rendering (txplan.write_behind): jobs run in order on one thread; the first
failure stops the rest and is raised where the batch runs; a batch stopped early finishes the
plan being written and drops the queued ones; `txplan render` keeps its messages and stops at a
plan that cannot be written, as when it wrote in line."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txplan.errors import OutputError
from txplan.write_behind import WriteBehind


def test_jobs_run_in_order_on_another_thread() -> None:
    """Every job runs, in the order submitted, off the submitting thread, before the block ends."""
    done: list[tuple[int, bool]] = []
    with WriteBehind() as behind:
        for n in range(20):
            behind.submit(lambda n=n: done.append((n, threading.current_thread() is threading.main_thread())))
    assert done == [(n, False) for n in range(20)]


def test_the_first_failure_stops_the_rest_and_is_raised() -> None:
    """A job that fails: the jobs after it never run, and its exception reaches the batch."""
    done: list[int] = []

    def fail() -> None:
        raise OutputError("cannot write plan-2.docx: the disk is full")

    with pytest.raises(OutputError, match="the disk is full"), WriteBehind() as behind:
        behind.submit(lambda: done.append(1))
        behind.submit(fail)
        for n in range(3, 30):
            behind.submit(lambda n=n: done.append(n))
    assert done == [1]


def test_a_batch_stopped_early_finishes_the_job_in_progress_and_drops_the_queue() -> None:
    """Ctrl-C while a plan is being written: that plan's write completes (never half-renamed),
    the plans queued after it are not written, and no thread is left running."""
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow_write() -> None:
        started.set()
        release.wait(10)
        done.append("written whole")

    releaser = threading.Timer(0.2, release.set)
    with pytest.raises(KeyboardInterrupt), WriteBehind() as behind:
        behind.submit(slow_write)
        behind.submit(lambda: done.append("queued"))
        started.wait(10)
        releaser.start()
        raise KeyboardInterrupt
    releaser.join()
    assert done == ["written whole"]
    assert not [t for t in threading.enumerate() if t.name == "txplan-writer"]


def test_render_stops_at_a_plan_that_cannot_be_written(run: Callable[..., Any], tmp_path: Path, example_text: str) -> None:
    """Three plans, the second's output name taken by a folder: exit 4 naming it, the first
    written, the third not, and the messages in order."""
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(example_text, encoding="utf-8")
    out = tmp_path / "out"
    (out / "b.md").mkdir(parents=True)
    result = run("render", tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml", "-f", "md", "-o", out)
    assert result.code == 4
    assert result.out == f"wrote {out / 'a.md'}\n"
    assert f"cannot write {out / 'b.md'}: it is a folder" in result.err
    assert sorted(p.name for p in out.iterdir()) == ["a.md", "b.md"]
