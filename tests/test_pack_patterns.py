"""Patterns in a pack's `requires` overlay: checked when the pack loads (exit 3, naming pack.yaml,
the line and the field) and matched in linear time (RE2), so no plan can hang validation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txplan.plugin_host import LOAD_PLUGINS_ENV

Run = Callable[..., Any]


def pack_requiring(tmp_path: Path, requires: str) -> Path:
    """A pack whose pack.yaml ends with ``requires`` (YAML, indented under ``requires:``)."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text(f"name: probe\nversion: '1'\nrequires:\n{requires}", encoding="utf-8")
    return pack


CLINICIAN_NAME = "  properties:\n    clinician:\n      properties:\n        name:\n          pattern: {pattern}\n"


def test_catastrophic_pattern_cannot_hang_validation(tmp_path: Path, example_text: str) -> None:
    """'^(a+)+$' against 64 a's and a '!' (2**64 steps for a backtracking engine) is answered: the
    field does not match, exit 2. Run in a child process so a regression fails the test rather
    than hanging the suite (the bound is a hang guard, not a timing)."""
    pack = pack_requiring(tmp_path, CLINICIAN_NAME.format(pattern="'^(a+)+$'"))
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("  name: Dr. Tomás Reyes\n", f"  name: {'a' * 64}!\n"), encoding="utf-8")
    script = "import sys; from txplan.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", script, "validate", str(plan), "--pack", str(pack)],
        capture_output=True, text=True, timeout=300, env={**os.environ, LOAD_PLUGINS_ENV: "", "TXPLAN_CACHE_DIR": ""},
    )
    assert result.returncode == 2, result.stderr
    assert "clinician.name" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("'(['", "missing ]"), (r"'^(a)\1$'", "invalid escape sequence"), ("'(?=a)a'", "invalid perl operator")],
    ids=["invalid", "back-reference", "look-ahead"],
)
def test_unusable_pattern_is_a_pack_error_naming_file_line_and_field(pattern: str, reason: str, run: Run, tmp_path: Path, example_path: Path) -> None:
    """An invalid pattern, or one RE2 cannot run in linear time: exit 3 from `validate` and from
    `pack check`, naming pack.yaml, the line and the field."""
    pack = pack_requiring(tmp_path, CLINICIAN_NAME.format(pattern=pattern))
    where = f"{pack / 'pack.yaml'}:8: requires.properties.clinician.properties.name.pattern: pattern"
    for result in (run("validate", example_path, "--pack", pack), run("pack", "check", pack)):
        assert result.code == 3, result.err
        assert where in result.err and reason in result.err, result.err
        assert "Traceback" not in result.err


def test_pattern_properties_are_refused(run: Run, tmp_path: Path, example_path: Path) -> None:
    """patternProperties (whose keys jsonschema matches with Python's re) is refused at load."""
    pack = pack_requiring(tmp_path, "  properties:\n    clinician:\n      patternProperties:\n        '^(a+)+$': {type: string}\n")
    result = run("validate", example_path, "--pack", pack)
    assert result.code == 3 and "requires.properties.clinician.patternProperties: patternProperties is not allowed" in result.err


def test_a_sound_pack_pattern_still_applies(run: Run, tmp_path: Path, example_path: Path) -> None:
    """RE2 matching keeps the keyword's meaning: a name that fails the pack's pattern is reported."""
    pack = pack_requiring(tmp_path, CLINICIAN_NAME.format(pattern="'^Dr\\. '"))
    assert run("validate", example_path, "--pack", pack).code == 0
    strict = pack_requiring(tmp_path / "b", CLINICIAN_NAME.format(pattern="'^Prof\\. '"))
    result = run("validate", example_path, "--pack", strict)
    assert result.code == 2 and "clinician.name" in result.err
