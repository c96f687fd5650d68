"""The per-section render time limit: it holds in any thread, leaves the caller's signal handlers
and timers alone, applies to `pack check`, and its setting is parsed strictly."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.errors import EXIT_BAD_PACK_OR_PLUGIN, PackError, UsageError

ENDLESS = {
    "loop": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "macro-tree": "{% macro tree(n) %}{% if n > 0 %}{{ tree(n - 1) }}{{ tree(n - 1) }}{% endif %}{% endmacro %}{{ tree(60) }}",
}


def _pack(root: Path, template: str) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "pack.yaml").write_text("name: slow\nversion: '1'\nsections: [slow]\n", encoding="utf-8")
    (root / "templates" / "slow.md.j2").write_text(template, encoding="utf-8")
    return root


@pytest.mark.parametrize("kind", list(ENDLESS))
def test_the_limit_holds_in_a_worker_thread(kind: str, tmp_path: Path, example_path: Path) -> None:
    """An endless template rendered through the Python API from a worker thread (a web server's,
    a job queue's) stops with a PackError (exit 3) naming the template and line."""
    pack = _pack(tmp_path / "p", ENDLESS[kind])
    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            engine = txplan.Engine(str(pack), render_seconds=0.5)
            engine.render(engine.load(example_path), "md")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=120)  # a guard against hanging the suite, not a timing assertion
    assert not worker.is_alive(), "the template was not stopped in a worker thread"
    error = outcome.get("error")
    assert isinstance(error, PackError) and error.exit_code == EXIT_BAD_PACK_OR_PLUGIN
    assert error.lines() == ["pack 'slow' template slow.md.j2:1: took longer than 0.5 s to render (a loop that does not end?)"]


def test_a_callers_alarm_and_handler_are_left_alone(example_path: Path) -> None:
    """Rendering neither replaces the caller's SIGALRM handler nor cancels its timer: the alarm
    the caller set still fires."""
    fired = threading.Event()

    def on_alarm(signum: int, frame: Any) -> None:
        fired.set()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        engine = txplan.Engine()
        engine.render(engine.load(example_path), "md")
        assert signal.getsignal(signal.SIGALRM) is on_alarm
        assert fired.is_set() or signal.getitimer(signal.ITIMER_REAL)[0] > 0, "the caller's timer was cancelled"
        waited = 0.0
        while not fired.is_set() and waited < 30:
            time.sleep(0.05)
            waited += 0.05
        assert fired.is_set()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_pack_check_applies_the_limit(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pack check` renders the sample plan under the same limit: an endless loop is reported,
    not waited for."""
    monkeypatch.setenv("TXPLAN_RENDER_SECONDS", "0.5")
    pack = _pack(tmp_path / "p", ENDLESS["loop"])
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "pack 'slow' template slow.md.j2:1: took longer than 0.5 s to render (a loop that does not end?)" in result.err


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-1", "0", ""])
def test_a_bad_render_seconds_setting_is_a_usage_error(value: str, run: Any, tmp_path: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`TXPLAN_RENDER_SECONDS=abc` gave exit 70 and `=nan` switched the limit off silently: any
    value but a finite number of seconds above 0 is exit 2, saying what is expected."""
    monkeypatch.setenv("TXPLAN_RENDER_SECONDS", value)
    result = run("render", example_path, "-f", "md", "-o", tmp_path / "out.md")
    assert result.code == 2
    assert "$TXPLAN_RENDER_SECONDS must be a number of seconds greater than 0" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "out.md").exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0])
def test_a_bad_render_seconds_argument_is_refused(value: float) -> None:
    """The Python API refuses a limit that is not a finite number of seconds, 0 or more."""
    with pytest.raises(UsageError, match="render_seconds must be a finite number of seconds"):
        txplan.Engine(render_seconds=value)
