"""Shared fixtures: the example plan, a CLI runner, and plugin hosts with test plugins."""

from __future__ import annotations

import os
import re
import socket
import sys
import textwrap
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

#: The project's internal design notes, which users do not have: text that names one cites
#: nothing. One pattern for every guard (installed files, documents, check sources, the repository).
INTERNAL_NOTES = re.compile(r"DESIGN\.md|\breference/|\b(?:payers|instruments)\.md|/work/shared")


@pytest.fixture
def internal_notes() -> re.Pattern[str]:
    """The pattern of names of internal notes a user does not have (see INTERNAL_NOTES)."""
    return INTERNAL_NOTES


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


Install = Callable[[str, str], None]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install_plugin(name, source)``: a distribution ``txplan-<name>`` 0.0.1 on sys.path whose
    module ``txplan_<name>`` (holding ``source``) is entry point ``<name>`` of group ``txplan``."""
    site = tmp_path / "site"
    site.mkdir()
    modules: list[str] = []

    def install(name: str, source: str) -> None:
        module = f"txplan_{name}"
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"txplan_{name}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: txplan-{name}\nVersion: 0.0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[txplan]\n{name} = {module}\n", encoding="utf-8")
        modules.append(module)

    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(LOAD_PLUGINS_ENV)
    yield install
    for module in modules:
        sys.modules.pop(module, None)
