"""Progress across administrations: scores that come and go between administrations (ECR-RS
relationship targets), like-with-like comparison, deterioration wording and displayed rounding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import txplan


def plan_with(example_text: str, tmp_path: Path, extra: str) -> Path:
    """The example plan with ``extra`` assessments added at the top of its list."""
    path = tmp_path / "plan.yaml"
    path.write_text(example_text.replace("assessments:\n", "assessments:\n" + extra, 1), encoding="utf-8")
    return path


def ecr_rs(date: str, **targets: list[int]) -> str:
    """One ECR-RS administration as plan YAML, with the given targets' nine answers."""
    lines = [f"  - instrument: ecr-rs\n    date: {date}\n    responses:\n"]
    lines += [f"      {target}: {answers}\n" for target, answers in targets.items()]
    return "".join(lines)


PARTNER = [2, 2, 2, 2, 5, 5, 6, 6, 6]
MOTHER = [6, 6, 6, 6, 2, 2, 1, 1, 1]


def test_a_target_left_out_later_renders(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """A later ECR-RS without the mother an earlier one had renders (it crashed with exit 70)."""
    plan = plan_with(example_text, tmp_path, ecr_rs("2026-09-01", partner=PARTNER, mother=MOTHER) + ecr_rs("2026-11-01", partner=PARTNER))
    result = run("render", plan, "-f", "markdown", "-o", tmp_path / "out")
    assert result.code == 0, result.err
