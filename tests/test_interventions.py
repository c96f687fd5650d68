"""Intervention libraries: the three built-in ones load through the plugin hook, plans refer to
entries by id (a misspelling is an error with a suggestion), a practice adds its own library with
no code, and plans that copy library text or each other are warned about."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.errors import PackError


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line on which ``needle`` first appears."""
    return text[: text.index(needle)].count("\n") + 1


def test_three_libraries_load_with_eight_entries_each() -> None:
    """attachment-based, cbt and mindfulness come in through the plugin hook, each with at least eight entries."""
    engine = txplan.Engine()
    assert {ns: len(lib.entries) for ns, lib in engine.libraries.items()} == {"attachment-based": 8, "cbt": 8, "mindfulness": 8}
    for library in engine.libraries.values():
        owner = engine.host.plugin_of(library)
        assert owner is not None and owner.builtin
        for entry in library.entries:
            assert entry.description and entry.rationale and entry.frequency and entry.problems and entry.goals, entry.id


def test_interventions_command(run: Callable[..., Any]) -> None:
    """`txplan interventions` lists entries with descriptions; --library filters; --json is complete."""
    text = run("interventions", "--library", "mindfulness")
    assert text.code == 0 and "mindfulness.self-compassion: Self-compassion practice" in text.out and "cbt." not in text.out
    listed = json.loads(run("interventions", "--json").out)
    assert [lib["namespace"] for lib in listed] == ["attachment-based", "cbt", "mindfulness"]
    entry = next(e for e in listed[1]["entries"] if e["id"] == "cbt.cognitive-restructuring")
    assert entry["frequency"] and entry["rationale"] and "fear of abandonment" in entry["problems"]
    assert run("interventions", "--library", "dbt").code == 2


def test_rendered_plan_shows_library_text_and_the_client_part(example_path: Path) -> None:
    """The document shows the entry's name, description and rationale, and how it applies to this client."""
    text = txplan.render_plan(example_path, "md").decode()
    assert "### I2: Cognitive restructuring of abandonment-related beliefs" in text
    assert "The client learns to catch automatic thoughts about being left or rejected" in text
    assert "**For this client:** Works from her phone-checking log" in text
    assert "**Interventions:** I1 Secure-base exploration in the therapeutic relationship; I2 Cognitive restructuring" in text


def test_misspelled_library_id_suggests_the_closest(example_text: str, tmp_path: Path) -> None:
    """A misspelled id is an error at its own line with the closest ids."""
    text = example_text.replace("library: cbt.cognitive-restructuring", "library: cbt.cognitive-restructure")
    plan = write(tmp_path / "plan.yaml", text)
    problems = [str(p) for p in txplan.validate_plan(plan)]
    assert problems == [
        f"{plan}:{line_of(text, 'cbt.cognitive-restructure')}: interventions[1].library: is not one of the 24 known values (did you mean 'cbt.cognitive-restructuring'?)"
    ]


def test_copied_library_text_and_missing_client_text_are_warnings(example_text: str, tmp_path: Path, run: Callable[..., Any]) -> None:
    """`txplan validate` warns (exit 0) about library text used verbatim and a library intervention with no client part."""
    copied_goal = "Urges pass on their own; riding them out weakens the habit they drive."
    text = example_text.replace('"I\'d like to let a couple of people get close without running away."', f'"{copied_goal}"')
    text = text.replace("    application: Rehearses real conversations she plans to have with her partner and with a colleague she clashed with.\n", "")
    plan = write(tmp_path / "plan.yaml", text)
    result = run("validate", plan)
    assert result.code == 0
    assert f"{plan}:{line_of(text, 'Urges pass')}: warning: goals[1].statement: is the text of library entry mindfulness.urge-surfing word for word; write the goal in the client's own words" in result.err
    assert f"{plan}:{line_of(text, 'library: cbt.interpersonal-effectiveness')}: warning: interventions[3].library: uses cbt.interpersonal-effectiveness with nothing about this client; add 'application': how it is applied for this client" in result.err
    assert result.out == f"{plan}: valid (2 warnings)\n"


def test_identical_goals_across_plans_are_warned_about(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    """Two plans checked together that share a goal statement each get a warning naming the other."""
    other = write(tmp_path / "other.yaml", example_path.read_text(encoding="utf-8"))
    result = run("validate", example_path, other)
    assert result.code == 0
    line = line_of(example_path.read_text(encoding="utf-8"), "I want to stop panicking")
    assert f"{other}:{line}: warning: goals[0].statement: is the same goal statement as {example_path}:{line}; each client's goals should be in their own words" in result.err


def test_practice_library_in_a_pack_needs_no_code(example_text: str, tmp_path: Path) -> None:
    """A YAML library listed in pack.yaml adds entries plans can use; the document shows them."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    write(pack / "pack.yaml", "name: harbour\nversion: '1'\nlibraries: [libraries/harbour.yaml]\n")
    write(pack / "libraries" / "harbour.yaml", (
        "namespace: harbour\nname: Harbour & Vine group programme\nentries:\n"
        "  - id: connection-group\n    name: Connection skills group\n"
        "    description: A weekly eight-session group practising closeness skills with peers.\n"
    ))
    text = example_text.replace("  - id: I5\n    library: attachment-based.graded-closeness", "  - id: I5\n    library: harbour.connection-group")
    plan = write(tmp_path / "plan.yaml", text)
    rendered = txplan.render_plan(plan, "md", pack=str(pack)).decode()
    assert "### I5: Connection skills group" in rendered and "A weekly eight-session group" in rendered
    assert txplan.validate_plan(plan) != []  # without the pack, harbour.* is unknown


def test_bad_practice_libraries_are_pack_errors(tmp_path: Path) -> None:
    """A library that breaks its schema, reuses an id or a namespace, or lies outside the pack is refused with its line."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    write(pack / "pack.yaml", "name: harbour\nversion: '1'\nlibraries: [libraries/harbour.yaml]\n")
    library = write(pack / "libraries" / "harbour.yaml", "namespace: Harbour\nname: x\nentries:\n  - id: a\n    name: A\n    description: x\n  - id: a\n    name: B\n    description: y\n")
    with pytest.raises(PackError) as info:
        txplan.Engine(str(pack)).build()
    lines = info.value.lines()
    assert f"{library}:1: namespace: 'Harbour' does not match '^[a-z0-9][a-z0-9-]*$'" in lines
    assert f"{library}:7: entries[1].id: entry id 'a' is used twice (first on line 4)" in lines
    write(library, "namespace: cbt\nname: x\nentries:\n  - id: a\n    name: A\n    description: x\n")
    with pytest.raises(PackError, match=r"namespace 'cbt' is already used by plugin 'txplan.plugins.interventions.cbt'"):
        txplan.Engine(str(pack)).build()
    write(pack / "pack.yaml", "name: harbour\nversion: '1'\nlibraries: [../outside.yaml]\n")
    with pytest.raises(PackError):
        txplan.Engine(str(pack)).build()
