"""`txplan due`: what is due across a caseload, from the plans' own dates; plans that cannot be
read are reported and the rest still listed; the iCalendar file carries initials only."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txplan.due import caseload, initials, next_review
from txplan.durations import parse_duration

AS_OF = "2026-12-07"


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there) once."""
    assert old in text, old
    return text.replace(old, new, 1)


def plan_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_reassessments_are_computed_from_the_latest_administration(example_path: Path) -> None:
    due = caseload([example_path], as_of=dt.date(2026, 12, 20))
    [plan] = due["plans"]
    by_instrument = {r["instrument"]: r for r in plan["reassessments"]}
    # PHQ-9 last given 2026-11-09, every 4 weeks: due 2026-12-07, 13 days before the 20th.
    assert by_instrument["PHQ-9"] == {"instrument": "PHQ-9", "every": "4 weeks", "last_given": "2026-11-09", "due": "2026-12-07", "days": -13}
    assert by_instrument["ECR-R"]["due"] == "2027-02-22"  # 2026-11-30 + 12 weeks
    assert due["overdue"] is True
    assert plan["items"][0]["kind"] == "reassessment" and plan["items"][0]["overdue"]


def test_a_review_held_early_counts_and_the_next_one_is_listed(example_path: Path) -> None:
    [plan] = caseload([example_path], as_of=dt.date.fromisoformat(AS_OF))["plans"]
    # Reviews scheduled 2026-12-07 and 2027-03-01; the revision of 2026-11-30 holds the first.
    assert plan["next_review"] == {"date": "2027-03-01", "days": 84}
    assert plan["client"] == "Amélie Durand-Okafor" and plan["initials"] == "A.D.-O."
    assert plan["signatures_missing"] == [] and plan["check"]["errors"] == 0


def test_next_review_without_revisions_and_after_all_are_held() -> None:
    data: dict[str, Any] = {"plan": {"start_date": "2026-01-01"}, "review_dates": ["2026-03-01", "2026-06-01"]}
    assert next_review(data) == dt.date(2026, 3, 1)
    data["revisions"] = [{"date": "2026-03-05"}]  # held late: still counts for 2026-03-01
    assert next_review(data) == dt.date(2026, 6, 1)
    data["revisions"].append({"date": "2026-05-30"})
    assert next_review(data) is None
    assert next_review(data, dt.date(2026, 5, 1)) == dt.date(2026, 6, 1)  # not yet held on 1 May


def test_durations_count_calendar_months() -> None:
    assert parse_duration("3 months").after(dt.date(2026, 11, 30)) == dt.date(2027, 2, 28)
    assert parse_duration("1 month").after(dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert parse_duration("30 days").after(dt.date(2026, 1, 1)) == dt.date(2026, 1, 31)
    for bad in ("4", "weekly", "0 weeks", "4 weeks ", "-1 days", "4 fortnights", 4):
        assert parse_duration(bad) is None


def test_initials_carry_no_more_than_initials() -> None:
    assert initials("Amélie Durand-Okafor") == "A.D.-O."
    assert initials("jo  o'neill") == "J.O."


def test_cli_lists_overdue_first_and_exits_1(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    plan_file(tmp_path, "a-later.yaml", example_text)
    overdue = edit(example_text, "review_dates: [2026-12-07, 2027-03-01]", "review_dates: [2026-10-01, 2027-03-01]")
    plan_file(tmp_path, "sub/z-overdue.yaml", overdue)
    result = run("due", tmp_path, "--as-of", "2026-11-01")
    assert result.code == 1, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("OVERDUE") and "z-overdue.yaml" in lines[0]
    assert any("review due since 2026-10-01 (31 days overdue)" in line for line in lines)
    assert lines[-1] == "as of 2026-11-01: 2 plans listed, 1 overdue"


def test_within_and_clinician_filter_the_list(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    plan_file(tmp_path, "a.yaml", example_text)
    plan_file(tmp_path, "b.yaml", edit(example_text, "name: Dr. Tomás Reyes", "name: Dr. Ada Byrne"))
    result = run("due", tmp_path, "--as-of", "2026-12-01", "--clinician", "reyes", "--json")
    assert result.code == 0, result.err
    assert [p["file"] for p in json.loads(result.out)["plans"]] == [str(tmp_path / "a.yaml")]
    # On 2026-12-01 the nearest item is the PHQ-9 and GAD-7 due on 2026-12-07: six days away.
    assert len(json.loads(run("due", tmp_path, "--as-of", "2026-12-01", "--within", "6", "--json").out)["plans"]) == 2
    assert json.loads(run("due", tmp_path, "--as-of", "2026-12-01", "--within", "5", "--json").out)["plans"] == []


def test_unreadable_and_invalid_plans_are_reported_and_the_rest_listed(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    plan_file(tmp_path, "good.yaml", example_text)
    plan_file(tmp_path, "bad-every.yaml", edit(example_text, "every: 4 weeks}", "every: monthly}"))
    plan_file(tmp_path, "broken.yaml", "client: [unclosed\n")
    plan_file(tmp_path, "notes.txt", "not a plan")  # not a plan file name: ignored
    result = run("due", tmp_path, "--as-of", AS_OF)
    assert result.code == 2
    assert "good.yaml" in result.out and "1 plan listed" in result.out and "2 files could not be listed" in result.out
    line = next(line for line in result.err.splitlines() if "bad-every.yaml" in line)
    assert line.startswith(f"{tmp_path / 'bad-every.yaml'}:")
    assert "progress_monitoring.schedule[0].every: does not have the expected form: a duration" in line
    assert "monthly" not in result.err  # no plan value is quoted
    assert "broken.yaml:" in result.err and "Traceback" not in result.err


def test_an_unreadable_folder_is_reported(example_text: str, tmp_path: Path, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    plan_file(tmp_path, "good.yaml", example_text)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_walk = os.walk

    def walk(top: Any, onerror: Any = None, **kwargs: Any) -> Any:
        # As os.walk does for a folder it may not list (tests may run as root, who may list any).
        for folder, subfolders, files in real_walk(top, onerror=onerror, **kwargs):
            if Path(folder) == locked:
                onerror(PermissionError(13, "Permission denied", folder))
                continue
            yield folder, subfolders, files

    monkeypatch.setattr(os, "walk", walk)
    result = run("due", tmp_path, "--as-of", AS_OF)
    assert result.code == 2 and "locked: cannot be read: Permission denied" in result.err and "good.yaml" in result.out


def test_a_missing_path_is_reported(tmp_path: Path, run: Callable[..., Any]) -> None:
    result = run("due", tmp_path / "nowhere", "--as-of", AS_OF)
    assert result.code == 2 and "nowhere: does not exist" in result.err


def test_a_discharged_plan_is_not_listed(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    plan_file(tmp_path, "open.yaml", example_text)
    plan_file(tmp_path, "done.yaml", example_text + "\ndischarge:\n  date: 2026-12-01\n  reason: goals_met\n")
    due = json.loads(run("due", tmp_path, "--as-of", AS_OF, "--json").out)
    assert [p["file"] for p in due["plans"]] == [str(tmp_path / "open.yaml")]
    assert due["discharged"] == [str(tmp_path / "done.yaml")]


def test_missing_signatures_and_passed_targets(example_text: str, tmp_path: Path) -> None:
    text = edit(example_text, "      client:\n        date: 2026-11-30\n", "")
    path = plan_file(tmp_path, "p.yaml", text)
    [plan] = caseload([path], as_of=dt.date(2027, 1, 20))["plans"]
    assert plan["signatures_missing"] == ["client"]
    # G1.1 and G2.1 (target 2027-01-15) are open; G3.1 is met; G1.2's target is later.
    assert plan["objectives_past_target"] == ["G1.1", "G2.1"]


def test_ics_has_initials_and_what_is_due_only(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    import icalendar

    target = tmp_path / "due.ics"
    result = run("due", example_path, "--as-of", "2026-12-20", "--ics", target)
    assert result.code == 1, result.err
    assert target.stat().st_mode & 0o777 == 0o600
    raw = target.read_bytes()
    calendar = icalendar.Calendar.from_ical(raw)
    summaries = sorted(str(e["summary"]) for e in calendar.walk("VEVENT"))
    assert summaries == [
        "A.D.-O.: ECR-R reassessment",
        "A.D.-O.: GAD-7 reassessment (due since 2026-12-07)",
        "A.D.-O.: PHQ-9 reassessment (due since 2026-12-07)",
        "A.D.-O.: plan period ends",
        "A.D.-O.: plan review",
    ]
    for secret in (b"Am\xc3\xa9lie", b"Durand", b"F43", b"Reyes", b"HV-20417", b"attachment"):
        assert secret not in raw


def test_ics_never_replaces_a_file(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    target = tmp_path / "due.ics"
    target.write_text("mine", encoding="utf-8")
    result = run("due", example_path, "--as-of", AS_OF, "--ics", target)
    assert result.code == 4 and "already exists" in result.err and result.out == ""
    assert target.read_text(encoding="utf-8") == "mine"
    link = tmp_path / "link.ics"
    link.symlink_to(tmp_path / "elsewhere.ics")
    assert run("due", example_path, "--as-of", AS_OF, "--ics", link).code == 4
    assert not (tmp_path / "elsewhere.ics").exists()


def test_hostile_folder_entries_are_reported_without_hanging(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    plan_file(tmp_path, "good.yaml", example_text)
    os.mkfifo(tmp_path / "fifo.yaml")  # opening it would block: it is never opened
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)  # a folder link is not followed
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "huge.yaml").write_bytes(b"client: x\n" + b"#" * (2 * 1024 * 1024))
    result = run("due", tmp_path, "--as-of", AS_OF)
    assert result.code == 2, result.err
    assert result.out.count("good.yaml") == 1 and "1 plan listed" in result.out
    for name in ("fifo.yaml", "dangling.yaml", "huge.yaml"):
        assert name in result.err, name
    assert "Traceback" not in result.err


def test_bad_options_are_usage_errors(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    assert run("due", example_path, "--within", "-1").code == 2
    assert run("due", example_path, "--as-of", "07/12/2026").code == 2
    result = run("due", example_path, "--ics", tmp_path / "no-such-folder" / "due.ics")
    assert result.code == 4 and "does not exist" in result.err
