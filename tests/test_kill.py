"""What a killed run leaves: `--jobs` workers die with their parent (SIGKILL, SIGTERM, Ctrl-C);
SIGTERM and Ctrl-C clean up like a normal stop; temporary files of a process that no longer
lives are removed by the next run into that folder, whatever their age. Real processes, real
signals; Linux (the tests read /proc to find the workers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from txplan import output

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds worker processes through /proc (Linux)")

#: Long enough that the batch is still running when the test stops it at its first output.
PLANS = 150
#: How long the test waits for something that should happen at once (a slow shared machine).
PATIENCE = 60.0


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """``(state, parent pid)`` of a process from /proc, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 1 :].split()
    return fields[0], int(fields[1])


def children_of(parent: int) -> set[int]:
    """The live processes whose parent is ``parent``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = state_and_parent(int(entry.name))
            if info is not None and info[1] == parent and info[0] != "Z":
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """The process exists and has not ended (a zombie has ended: it only waits to be collected)."""
    info = state_and_parent(pid)
    return info is not None and info[0] != "Z"


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it is true; fail naming ``what`` if it never is."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def parts_in(folder: Path) -> list[str]:
    """The temporary files in ``folder``."""
    return sorted(p.name for p in folder.glob(".txplan-*.part"))


@pytest.fixture
def batch(tmp_path: Path, example_text: str) -> Iterator[Callable[[], tuple[subprocess.Popen[bytes], set[int]]]]:
    """``start()``: `txplan render <many plans> -o out --jobs 2` in a real process, returned
    once it has written its first output, with its worker processes. Anything left running
    is killed afterwards."""
    for n in range(PLANS):
        (tmp_path / f"p{n:03}.yaml").write_text(example_text, encoding="utf-8")
    started: list[subprocess.Popen[bytes]] = []
    workers: set[int] = set()

    def start() -> tuple[subprocess.Popen[bytes], set[int]]:
        plans = sorted(p.name for p in tmp_path.glob("*.yaml"))
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("txplan")), "render", *plans, "-o", "out", "--jobs", "2"],
            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        started.append(proc)
        wait_for(lambda: (tmp_path / "out").is_dir() and any((tmp_path / "out").glob("p*.docx")), "the first output")
        workers.update(children_of(proc.pid))
        assert proc.poll() is None, "the batch ended before the test could stop it: raise PLANS"
        assert len(workers) == 2
        return proc, workers

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    for pid in workers:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_sigkill_of_the_parent_takes_the_workers_and_the_next_run_sweeps(batch: Any, tmp_path: Path, run: Callable[..., Any], example_path: Path) -> None:
    """kill -9 of `render --jobs 2` mid-batch: its workers end too, and the next run into the
    same folder removes the killed run's temporary files, however fresh (a live process's are
    kept)."""
    proc, workers = batch()
    proc.kill()
    proc.wait()
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to end after their parent was killed")
    out = tmp_path / "out"
    # What the killed run would have left had it died during a write: a complete document,
    # just written, under its temporary name. And one of a txplan still writing (this process).
    killed = out / f"{output.temp_prefix(proc.pid)}k9x3q2aa{output.TEMP_SUFFIX}"
    killed.write_bytes(b"a whole treatment plan")
    busy = out / f"{output.temp_prefix()}busy0001{output.TEMP_SUFFIX}"
    busy.write_bytes(b"being written right now")
    assert run("render", example_path, "-f", "md", "-o", out).code == 0
    assert parts_in(out) == [busy.name]


@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_ctrl_c_stop_the_batch_cleanly(batch: Any, tmp_path: Path, signum: int, code: int, word: str) -> None:
    """SIGTERM is handled like Ctrl-C: the run stops with its exit code (143 / 130) and one
    line on stderr, its workers end, and no temporary file is left, with no next run needed."""
    proc, workers = batch()
    os.kill(proc.pid, signum)
    assert proc.wait(timeout=PATIENCE) == code
    assert proc.stderr is not None
    assert proc.stderr.read().decode() == f"txplan: {word}; no output was written for the plan in progress\n"
    wait_for(lambda: not any(alive(pid) for pid in workers), "the workers to end")
    assert parts_in(tmp_path / "out") == []


def test_sweep_keeps_what_it_cannot_prove_abandoned(tmp_path: Path) -> None:
    """The sweep removes a temporary file whose writer is dead, whatever its age; it keeps a
    fresh one of a live process, of another machine, or without a process id (those go after
    an hour); it never follows or removes a link."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = {
        "dead": f"{output.temp_prefix(dead.pid)}aaaa1111.part",
        "live": f"{output.temp_prefix()}bbbb2222.part",
        "other machine": f".txplan-00000000-{dead.pid}-cccc3333.part",
        "no pid": ".txplan-dddd4444.part",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"x")
    target = tmp_path / "target"
    target.write_bytes(b"not ours")
    link = tmp_path / f"{output.temp_prefix(dead.pid)}link.part"
    link.symlink_to(target)
    output.sweep_stale_parts(tmp_path)
    assert parts_in(tmp_path) == sorted([link.name, *(names[k] for k in ("live", "other machine", "no pid"))])
    assert target.read_bytes() == b"not ours"
    old = tmp_path / names["no pid"]
    os.utime(old, (time.time() - output.STALE_AFTER_SECONDS - 60,) * 2)
    output.sweep_stale_parts(tmp_path)
    assert not old.exists()
