"""Standard output never decides whether the work is done: `txplan render` with its output closed
(`| head -1`) or on a full device still renders and writes every plan, and its exit code tells
the truth. These run the installed `txplan` command in a real process, with a real pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PLANS = 40


def txplan_command() -> str:
    """The installed `txplan` script next to the Python running the tests."""
    return str(Path(sys.executable).with_name("txplan"))


def forty_plans(folder: Path, example_text: str) -> list[str]:
    """Forty copies of the example plan in ``folder``; their names, in order."""
    names = [f"p{n:02}.yaml" for n in range(PLANS)]
    for name in names:
        (folder / name).write_text(example_text, encoding="utf-8")
    return names


def environment(*, unbuffered: bool) -> dict[str, str]:
    """This process's environment, with Python's output buffering chosen by the test (the
    machine running the tests may set PYTHONUNBUFFERED either way)."""
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def rendered(folder: Path) -> list[str]:
    """The files in ``folder``, hidden ones (temporary files) included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_head_dash_1_still_gets_every_plan_written(tmp_path: Path, example_text: str, jobs: str) -> None:
    """`txplan render <40 plans> | head -1`: the reader takes one line and goes away; all 40
    plans are still written, nothing is printed on stderr, and the exit code is 0."""
    plans = forty_plans(tmp_path, example_text)
    with subprocess.Popen(
        [txplan_command(), "render", *plans, "-f", "md", "-o", "out/", "--jobs", jobs],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(unbuffered=True),
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after its line
        err = proc.stderr.read()
        code = proc.wait()
    assert first == b"wrote out/p00.md\n"
    assert (code, err) == (0, b"")
    assert rendered(tmp_path / "out") == [f"p{n:02}.md" for n in range(PLANS)]


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_a_reader_gone_before_the_first_line_changes_nothing(tmp_path: Path, example_text: str, unbuffered: bool) -> None:
    """Standard output closed before anything is printed: every plan is written, exit 0, and no
    'Exception ignored' from the flush at exit."""
    plans = forty_plans(tmp_path, example_text)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [txplan_command(), "render", *plans, "-f", "md", "-o", "out/"],
            cwd=tmp_path, stdout=write_end, stderr=subprocess.PIPE, env=environment(unbuffered=unbuffered), check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, b"")
    assert rendered(tmp_path / "out") == [f"p{n:02}.md" for n in range(PLANS)]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_stdout_on_a_full_device_writes_every_plan_then_exits_4(tmp_path: Path, example_text: str, unbuffered: bool, jobs: str) -> None:
    """Standard output on a full device: every plan is rendered and written, then the run ends
    with exit 4 (cannot write output) and says so, instead of stopping at the first line."""
    plans = forty_plans(tmp_path, example_text)
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [txplan_command(), "render", *plans, "-f", "md", "-o", "out/", "--jobs", jobs],
            cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, env=environment(unbuffered=unbuffered), check=False,
        )
    assert result.returncode == 4
    assert result.stderr.decode() == (
        f"txplan: error: cannot write to standard output ({os.strerror(28)}); every plan was still rendered and written\n"
    )
    assert rendered(tmp_path / "out") == [f"p{n:02}.md" for n in range(PLANS)]


def test_console_keeps_going_after_a_failed_stream() -> None:
    """The Console stops printing to a stream that failed, remembers why, and a closed pipe is
    not an error while another failure of standard output is exit 4 after successful work."""
    import errno

    from txplan.console import Console

    class Failing:
        def __init__(self, error: OSError) -> None:
            self.error, self.writes = error, 0

        def write(self, text: str) -> int:
            self.writes += 1
            raise self.error

        def flush(self) -> None:
            raise self.error

    class Collecting:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

        def flush(self) -> None:
            pass

    closed, err = Failing(BrokenPipeError(errno.EPIPE, "Broken pipe")), Collecting()
    console = Console(closed, err)  # type: ignore[arg-type]
    console.out("wrote a.md")
    console.out("wrote b.md")
    assert closed.writes == 1 and isinstance(console.stdout_error, BrokenPipeError)
    assert (console.exit_code(0), console.exit_code(2), err.text) == (0, 2, "")
    full = Failing(OSError(errno.ENOSPC, "No space left on device"))
    console = Console(full, err)  # type: ignore[arg-type]
    console.out("wrote a.md")
    assert console.exit_code(2) == 2 and err.text == ""
    assert console.exit_code(0) == 4 and "cannot write to standard output" in err.text
