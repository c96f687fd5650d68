"""The example third-party plugin (examples/plugins/txplan-pcl5), installed with pip as a
contributor's package would be: it shows up in `txplan plugins`, `txplan instruments` and rendered
plans with no change to the core. `make test` installs it; in CI a missing install fails."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.plugin_host import LOAD_PLUGINS_ENV

pcl5 = pytest.importorskip("txplan_pcl5", reason="examples/plugins/txplan-pcl5 is not installed") if not os.environ.get("CI") else __import__("txplan_pcl5")


@pytest.fixture
def with_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let txplan load installed third-party plugins (the suite turns them off by default), with
    fresh library engines: one cached by an earlier test was built without them."""
    monkeypatch.delenv(LOAD_PLUGINS_ENV)
    import txplan.api

    monkeypatch.setattr(txplan.api, "_ENGINES", {})


def test_scoring_follows_the_published_key() -> None:
    """Total = sum of 20 items 0-4; clusters B 1-5, C 6-7, D 8-14, E 15-20 (Weathers et al., 2013).

    Items 1-5 = 1, 6-7 = 2, 8-14 = 3, 15-20 = 4: B 5, C 4, D 21, E 24, total 54. No B item is
    rated 2 or more, so the DSM-5 pattern is not met although the total is far above the cut-point."""
    answers = [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6
    result = pcl5.PCL5.score({"responses": answers})
    assert result.scores == {"total": 54, "intrusion": 5, "avoidance": 4, "cognition_mood": 21, "arousal": 24}
    assert result.flags == ("at_cut_point",)


def test_cut_point_and_dsm5_rule_boundaries() -> None:
    """Cut-point flag from a total of 31 (lowest of 31-33); the DSM-5 rule needs 1 B, 1 C, 2 D, 2 E items rated >= 2."""
    just_below = [2] * 15 + [0] * 5  # total 30; B, C, D endorsed, E none
    assert pcl5.PCL5.score({"responses": just_below}).flags == ()
    at = [2] * 15 + [1] + [0] * 4  # total 31
    assert pcl5.PCL5.score({"responses": at}).flags == ("at_cut_point",)
    pattern = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]  # exactly 1 B, 1 C, 2 D, 2 E
    assert pcl5.PCL5.score({"responses": pattern}).flags == ("dsm5_pattern",)


def test_conformance_kit() -> None:
    """The plugin passes txplan.testing.assert_instrument_conforms."""
    from txplan.testing import assert_instrument_conforms

    assert_instrument_conforms(pcl5.PCL5, valid=[{"responses": [0] * 20}, {"responses": [4] * 20}], invalid=[{"responses": [5] * 20}, {"responses": [0] * 19}])


def test_installed_plugin_appears_everywhere(with_plugins: None, run: Callable[..., Any], example_text: str, tmp_path: Path) -> None:
    """Installed with pip, the plugin is listed, scores from the CLI and renders in a plan."""
    listed = {p["name"]: p for p in json.loads(run("plugins", "--json").out)}
    assert listed["pcl-5"]["distribution"] == "txplan-pcl5" and listed["pcl-5"]["registers"] == {"instrument": ["pcl-5"]}
    assert "pcl-5" in {i["id"] for i in json.loads(run("instruments", "--json").out)}
    answers = tmp_path / "answers.yaml"
    answers.write_text("[2, 1, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2]\n", encoding="utf-8")
    assert json.loads(run("score", "pcl-5", answers, "--json").out)["scores"]["total"] == 38
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("assessments:\n", "assessments:\n  - instrument: pcl-5\n    date: 2026-10-01\n    responses: [2, 1, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2, 2, 1, 2, 1, 2, 2, 3, 2]\n", 1), encoding="utf-8")
    markdown = txplan.Engine().render(txplan.Engine().load(plan), "md").decode()
    assert "| PTSD Checklist for DSM-5 (PCL-5) | 2026-10-01 | Total 38; Intrusion (B) 10" in markdown
    assert "**Alert (PCL-5, 2026-10-01):**" in markdown  # its flags show like the built-ins'


def test_change_threshold_is_the_pcl5s_own() -> None:
    """The DSM-IV PCL's 5/10-point figures do not carry over to the PCL-5: the one threshold is the
    PCL-5 reliable change index of Marx et al. (2022), 15 points."""
    [threshold] = pcl5.PCL5.thresholds
    assert (threshold.score, threshold.points, threshold.label) == ("total", 15, "reliable change")
    assert "Psychological Assessment, 34(2), 197-203" in threshold.citation and "PTSD Checklist for DSM-5" in threshold.citation


def test_progress_marks_only_a_reliable_pcl5_change(with_plugins: None, example_text: str, tmp_path: Path) -> None:
    """A 16-point fall is marked as reliable change; a 10-point fall (enough under the DSM-IV PCL) is not."""
    baseline, reliable, smaller = [3] * 20, [3] * 4 + [2] * 16, [3] * 10 + [2] * 10  # totals 60, 44, 50
    entries = "".join(f"  - instrument: pcl-5\n    date: {date}\n    responses: {answers}\n"
                      for date, answers in (("2026-09-01", baseline), ("2026-10-01", smaller), ("2026-11-01", reliable)))
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("assessments:\n", "assessments:\n" + entries, 1), encoding="utf-8")
    rows = [line for line in txplan.render_plan(plan, "md").decode().splitlines() if line.startswith(("| 2026-10-01 | 50 |", "| 2026-11-01 | 44 |"))]
    assert len(rows) == 2 and "reliable change" not in rows[0] and "reliable change (\u2265 15 points)" in rows[1]
