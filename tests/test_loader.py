"""Loading plans: safe YAML, strict JSON, every bad input reported with its line, text checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from txplan.datafile import MAX_DEPTH, MAX_FILE_BYTES
from txplan.errors import PlanError
from txplan.loader import load_plan_bytes, load_plan_file, load_plan_text


def messages(text: str, kind: str = "yaml", source: str = "plan.yaml") -> list[str]:
    """The problem lines loading ``text`` reports (fails the test if it loads)."""
    with pytest.raises(PlanError) as info:
        load_plan_text(text, source, kind)
    return [str(p) for p in info.value.problems]


def test_yaml_keeps_dates_yes_no_and_leading_zeros_as_text() -> None:
    """YAML 1.1 surprises are off: dates, yes/no, 012345, 1:30 stay as written."""
    data = load_plan_text("d: 2026-01-01\ny: yes\nn: no\nz: 012345\ns: 1:30\nt: true\ni: 53\nf: 1.5\n", "p.yaml").data
    assert data == {"d": "2026-01-01", "y": "yes", "n": "no", "z": "012345", "s": "1:30", "t": True, "i": 53, "f": 1.5}


def test_lines_are_recorded_for_every_field() -> None:
    """Each field's line is the line its key is written on; list items their own line."""
    plan = load_plan_text("client:\n  name: A\ngoals:\n  - id: G1\n    statement: x\n", "p.yaml")
    assert plan.lines[("client", "name")] == 2
    assert plan.lines[("goals", 0)] == 4
    assert plan.lines[("goals", 0, "statement")] == 5
    assert plan.line_of(("goals", 0, "objectives", 3)) == 4  # nearest recorded ancestor


def test_duplicate_key_names_both_lines() -> None:
    """A duplicate key is an error at the second occurrence, naming the first."""
    assert messages("client:\n  name: A\n  name: B\n") == ["plan.yaml:3: client.name: duplicate key 'name' (first on line 2)"]


def test_aliases_and_anchors_are_refused() -> None:
    """Anchors and aliases are refused, so an alias bomb costs nothing."""
    assert messages("a: &x 1\nb: *x\n") == ["plan.yaml:1: YAML anchors (&x) are not allowed in a plan; write the value out"]
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    assert "anchors" in messages(bomb)[0]


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    """A !!python tag is an error naming the tag; nothing is executed."""
    canary = tmp_path / "canary"
    text = f"x: !!python/object/apply:os.system ['touch {canary}']\n"
    assert messages(text) == [
        "plan.yaml:1: x: unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'; "
        "plans hold plain text, numbers, lists and mappings"
    ]
    assert not canary.exists()


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("", "yaml", "plan.yaml: is empty"),
        ("# only a comment\n", "yaml", "plan.yaml: is empty"),
        ("- a\n- b\n", "yaml", "plan.yaml:1: top level must be a mapping of fields, found a list"),
        ("a: 1\n---\nb: 2\n", "yaml", "plan.yaml:2: holds more than one YAML document"),
        ("a:\n\tb: 1\n", "yaml", "plan.yaml:2: invalid YAML: found character that cannot start any token"),
        ("a: " + "[" * 600 + "]" * 600, "yaml", "plan.yaml:1: a[0][0][0]"),
        ("a: " + "[" * 600, "yaml", "plan.yaml:2: invalid YAML: did not find expected node content"),
        ("a:\n" + "- " * 1100 + "x\n", "yaml", "plan.yaml:2: is nested too deeply"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "json", "plan.json: is nested too deeply"),
        ('{"a": 1,\n "a": 2}', "json", "plan.json:2: a: duplicate key 'a' (first on line 1)"),
        ('{"a": NaN}', "json", "plan.json: NaN is not allowed in a plan"),
        ('{"a": [1,]}', "json", "plan.json:1: invalid JSON at column 10"),
        ("a: .nan\n", "yaml", "plan.yaml:1: a: NaN and infinity are not allowed"),
        ("1: x\n", "yaml", "plan.yaml:1: field names must be plain text"),
    ],
)
def test_malformed_input_gets_one_clear_message(text: str, kind: str, expected: str) -> None:
    """Each malformed file is reported with its file, line where known, and what is wrong."""
    found = messages(text, kind, f"plan.{kind}")
    assert len(found) == 1
    assert expected in found[0]


def test_deep_but_valid_nesting_is_capped_at_the_limit() -> None:
    """Nesting deeper than MAX_DEPTH mappings is refused with the line where it goes too deep."""
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2)) + "  " * (MAX_DEPTH + 2) + "v: 1\n"
    found = messages(text)
    assert "nested too deeply" in found[0]
    assert found[0].startswith(f"plan.yaml:{MAX_DEPTH + 2}:")


def test_files_that_are_not_plan_text(tmp_path: Path) -> None:
    """Binary, non-UTF-8, UTF-16, oversized, missing files and folders each get a message."""
    cases = {
        "binary.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00", "is a binary file"),
        "latin1.yaml": ("client:\n  name: Am\xe9lie\n".encode("latin-1"), "latin1.yaml:2: is not UTF-8 text (byte 0xE9"),
        "utf16.yaml": ("a: 1\n".encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
        "huge.yaml": (b"a: " + b"x" * (MAX_FILE_BYTES + 10) + b"\n", "a plan file may be at most"),
    }
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(PlanError) as info:
            load_plan_file(path)
        assert expected in str(info.value.problems[0]), name
    with pytest.raises(PlanError) as info:
        load_plan_file(tmp_path / "missing.yaml")
    assert "does not exist" in str(info.value.problems[0])
    with pytest.raises(PlanError) as info:
        load_plan_file(tmp_path)
    assert "is a folder" in str(info.value.problems[0])


def test_invalid_characters_name_field_line_and_code_point() -> None:
    """Control characters, lone surrogates and noncharacters are refused where they are."""
    text = 'client:\n  name: "A\\x0bB"\ngoals:\n  - statement: "ok"\n    extra: "x\\uffff"\n'
    assert messages(text) == [
        "plan.yaml:2: client.name: character U+000B (line tabulation) at position 2 is not allowed in a treatment plan",
        "plan.yaml:5: goals[0].extra: character U+FFFF (a noncharacter) at position 2 is not allowed in a treatment plan",
    ]
    assert messages('{"a":\n {"b": "\\ud800"}}', "json", "p.json") == [
        "p.json:2: a.b: character U+D800 (a lone surrogate) at position 1 is not allowed in a treatment plan"
    ]
    assert messages("a: 1\nb: x\x01y\n")[0].startswith("plan.yaml:2: character U+0001")


def test_crlf_becomes_lf() -> None:
    """CRLF and CR line endings, in the file and in escapes, become LF."""
    plan = load_plan_bytes(b'a: "x\\r\\ny\\rz"\r\nb: |\r\n  one\r\n  two\r\n', "p.yaml")
    assert plan.data == {"a": "x\ny\nz", "b": "one\ntwo\n"}


def test_json_and_yaml_give_the_same_data(example_path: Path, tmp_path: Path) -> None:
    """A plan converted to JSON loads to the same data, with lines for its fields."""
    plan = load_plan_file(example_path)
    json_path = tmp_path / "plan.json"
    json_path.write_text(json.dumps(plan.data, indent=2, ensure_ascii=False), encoding="utf-8")
    from_json = load_plan_file(json_path)
    assert from_json.data == plan.data
    assert from_json.lines[("client", "name")] == 3


def test_utf8_bom_is_accepted() -> None:
    """A UTF-8 byte-order mark (as some Windows editors write) is not an error."""
    assert load_plan_bytes("\ufeffa: é\n".encode(), "p.yaml").data == {"a": "é"}


# -- properties -------------------------------------------------------------------------------

# NEL, LS and PS are line breaks to YAML 1.1 itself (PyYAML folds them), so they are left out.
allowed_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00\ufffe\uffff\x85\u2028\u2029"), max_size=200
).filter(lambda s: all(ord(c) >= 0x20 or c in "\t\n" for c in s))


@given(allowed_text)
def test_any_allowed_text_round_trips_through_yaml_and_json(value: str) -> None:
    """Whatever text a field holds (that Word can store) loads back exactly, from YAML and JSON."""
    as_json = json.dumps({"field": value})
    as_yaml = yaml.safe_dump({"field": value}, allow_unicode=True)
    assert load_plan_text(as_json, "p.json", "json").data == {"field": value}
    assert load_plan_text(as_yaml, "p.yaml", "yaml").data == {"field": value}


@given(st.text(max_size=50), st.integers(min_value=0, max_value=50))
def test_any_text_with_a_control_character_is_refused_naming_it(prefix: str, index: int) -> None:
    """A C0 control character anywhere in a field is always reported with its code point."""
    value = prefix[:index] + "\x07" + prefix[index:]
    with pytest.raises(PlanError) as info:
        load_plan_text(json.dumps({"field": value}), "p.json", "json")
    assert any("U+" in str(p) and p.path == "field" for p in info.value.problems)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_anything_but_plan_errors(raw: bytes) -> None:
    """The loader either returns a plan or raises PlanError, for any bytes at all."""
    for kind in ("yaml", "json"):
        try:
            load_plan_bytes(raw, "p", kind)
        except PlanError as exc:
            assert exc.problems


# -- numbers too large for a plan ----------------------------------------------------------------

TOO_LARGE = "is too large a number (at most 15 digits before the decimal point)"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a: 1\nscore: " + "9" * 4400 + "\n", "yaml"),  # past Python's int-string limit
        ("a: 1\nscore: " + "9" * 4001 + "\n", "yaml"),  # converts, then breaks rendering
        ("a: 1\nscore: -" + "9" * 16 + "\n", "yaml"),
        ("a: 1\nscore: 1" + "0" * 500 + ".5\n", "yaml"),  # a float that overflows to infinity
        ("a: 1\nscore: 1.5e300\n", "yaml"),
        ('{"a": 1,\n "score": ' + "9" * 4400 + "}", "json"),
        ('{"a": 1,\n "score": 1e400}', "json"),
        ('{"a": 1,\n "score": 1234567890123456}', "json"),
    ],
)
def test_numbers_too_large_are_refused_with_their_line(text: str, kind: str) -> None:
    """A number with more than 15 digits before the point is a plan error at its line and field,
    however large (no ValueError from Python's 4,300-digit limit, no infinity)."""
    assert messages(text, kind) == [f"plan.yaml:2: score: {TOO_LARGE}"]


def test_largest_allowed_number_and_written_infinity() -> None:
    """15 digits load; `.inf` written as such keeps its own message."""
    assert load_plan_text("score: 999999999999999\n", "p.yaml").data == {"score": 999999999999999}
    assert messages("score: .inf\n") == ["plan.yaml:1: score: NaN and infinity are not allowed; write a number"]


def test_too_large_numbers_from_a_mapping_are_refused() -> None:
    """An integrator's mapping holding a huge Python int is refused like a file's."""
    from txplan.loader import plan_from_data

    with pytest.raises(PlanError) as info:
        plan_from_data({"measure": {"at_most": 10**5000}})
    assert [str(p) for p in info.value.problems] == [f"<mapping>: measure.at_most: {TOO_LARGE}"]


@pytest.mark.parametrize("command", ["validate", "render"])
@pytest.mark.parametrize(("digits", "suffix"), [(4001, ".yaml"), (4400, ".yaml"), (4001, ".json"), (4400, ".json")])
def test_a_huge_measure_threshold_exits_2_naming_file_line_and_field(
    run: Any, tmp_path: Path, example_text: str, monkeypatch: pytest.MonkeyPatch, command: str, digits: int, suffix: str
) -> None:
    """`measure.at_most` of thousands of digits: exit 2, file:line: field, nothing written (it
    used to validate and then fail in rendering, or fail in the loader, with exit 70)."""
    monkeypatch.chdir(tmp_path)
    huge = "9" * digits
    assert "at_most: 9}" in example_text
    text = example_text.replace("at_most: 9}", f"at_most: {huge}}}")
    if suffix == ".json":
        data = load_plan_text(example_text, "example.yaml").data
        text = json.dumps(data, indent=1).replace('"at_most": 9\n', f'"at_most": {huge}\n')
        assert huge in text
    plan = tmp_path / f"plan{suffix}"
    plan.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if huge in row)
    args = [command, plan] + (["-f", "md"] if command == "render" else [])
    result = run(*args)
    assert result.code == 2
    assert f"{plan}:{line}: goals[2].objectives[2].measure.at_most: {TOO_LARGE}" in result.err.splitlines()
    assert "internal error" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [plan.name]
