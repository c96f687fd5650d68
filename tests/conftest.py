"""Shared fixtures: the example plan, a CLI runner, and plugin hosts with test plugins."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.cli import main
from txplan.plugin_host import LOAD_PLUGINS_ENV, PluginHost

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No third-party plugins from the machine, and no network: any connection attempt fails."""
    monkeypatch.setenv(LOAD_PLUGINS_ENV, "")
    monkeypatch.setenv("TXPLAN_CACHE_DIR", "")  # compile templates afresh; write nothing outside tmp

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("txplan tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


@pytest.fixture
def example_path() -> Path:
    """The example plan as installed with the package."""
    return Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))


@pytest.fixture
def example_text(example_path: Path) -> str:
    """The example plan's YAML text."""
    return example_path.read_text(encoding="utf-8")


@dataclass
class Result:
    """What a CLI run returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``txplan`` in-process with the given arguments."""

    def _run(*args: str | os.PathLike[str]) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def engine_with() -> Callable[..., txplan.Engine]:
    """Build an engine whose plugin host also registers the given plugin objects."""

    def _engine(*plugins: object, pack: str | None = None) -> txplan.Engine:
        return txplan.Engine(pack, host=PluginHost(load_entrypoints=False, extra_plugins=plugins))

    return _engine


@pytest.fixture
def work_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder for a command to write into, below ``tmp_path`` (which stays free
    for a test's other files)."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def toy_instrument() -> Any:
    """A made-up three-item instrument (0-3 per item, total score) for plugin and schema tests."""
    from txplan.contracts import Instrument, ScoreResult

    return Instrument(
        id="toy-3",
        name="Toy three-item scale",
        citation="Made up for txplan's tests.",
        licence="Public domain (test fixture).",
        schema={
            "type": "object",
            "required": ["responses"],
            "properties": {
                "responses": {
                    "type": "array",
                    "description": "Three ratings 0-3.",
                    "minItems": 3,
                    "maxItems": 3,
                    "items": {"type": "integer", "minimum": 0, "maximum": 3},
                }
            },
        },
        score=lambda data: ScoreResult({"total": sum(data["responses"])}),
        score_labels={"total": "Total"},
    )


@pytest.fixture
def caseload_folder(tmp_path: Path, example_path: Path) -> Path:
    """A caseload folder for ``txplan serve`` holding the example plan as ``amelie.yaml``."""
    import shutil

    caseload = tmp_path / "caseload"
    caseload.mkdir()
    shutil.copy(example_path, caseload / "amelie.yaml")
    return caseload
