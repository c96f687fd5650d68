"""Add assessment entries to a plan file, keeping everything else in it as it was.

A YAML plan whose ``assessments`` is a block list gets the new entries as text right after its
last entry: every other byte of the file (comments, order, line breaks, quoting) stays as it
was. Any other YAML layout (no ``assessments`` yet, or a flow list) goes through a ruamel.yaml
round trip, which keeps comments and order but may re-wrap long flow lists. A JSON plan is
rewritten as indented JSON. Whatever the route, the result is parsed again with txplan's own
loader and must hold exactly the old data plus the new entries, and must validate, before it
is written (atomically, through :func:`txplan.output.write_outputs`).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import PlanError, Problem
from ..loader import Plan, load_plan_text

#: Text that YAML reads back as the same string when written plain: instrument ids.
_SIMPLE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def same_administration(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two assessment entries record the same administration: same instrument, date and
    answers (notes and who administered it aside)."""
    ignored = {"notes", "administered_by"}
    return {k: v for k, v in a.items() if k not in ignored} == {k: v for k, v in b.items() if k not in ignored}


def new_entries(plan: Plan, entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The entries not yet in ``plan`` (nor repeated in ``entries``), and how many were skipped."""
    existing = list(plan.data.get("assessments") or [])
    fresh: list[dict[str, Any]] = []
    for entry in entries:
        if not any(same_administration(entry, old) for old in [*existing, *fresh]):
            fresh.append(entry)
    return fresh, len(entries) - len(fresh)


def entry_yaml(entry: Mapping[str, Any], indent: int) -> str:
    """One entry as a YAML block-list item at ``indent`` spaces: ids, dates and whole numbers
    only, so plain scalars and flow lists of numbers are always safe."""
    pad = " " * indent
    lines = []
    for number, (key, value) in enumerate(entry.items()):
        if isinstance(value, list):
            text = "[" + ", ".join(str(int(v)) for v in value) + "]"
        elif isinstance(value, bool) or not isinstance(value, (int, str)) or (isinstance(value, str) and not _plain(value)):
            raise ValueError(f"cannot write {key} as plain YAML")
        else:
            text = str(value)
        lines.append(f"{pad}{'- ' if number == 0 else '  '}{key}: {text}")
    return "\n".join(lines) + "\n"


def _plain(value: str) -> bool:
    return bool(_SIMPLE.match(value) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def updated_text(plan: Plan, text: str, kind: str, entries: list[dict[str, Any]]) -> str:
    """The plan file's new text with ``entries`` added to its assessments."""
    if kind == "json":
        data = json.loads(text)
        data.setdefault("assessments", []).extend(entries)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    spliced = _splice(plan, text, entries)
    return spliced if spliced is not None else _round_trip(text, entries)


def _splice(plan: Plan, text: str, entries: list[dict[str, Any]]) -> str | None:
    """Insert the entries as text after the last line of the block list ``assessments``, or
    ``None`` when the file is not laid out that way."""
    existing = plan.data.get("assessments")
    key_line = plan.lines.get(("assessments",))
    if not existing or key_line is None:
        return None
    lines = text.splitlines(keepends=True)
    first_item = plan.lines.get(("assessments", 0))
    if first_item is None or first_item - 1 >= len(lines):
        return None
    item_text = lines[first_item - 1]
    dash = len(item_text) - len(item_text.lstrip(" "))
    if not item_text.lstrip(" ").startswith("- "):
        return None
    # The block ends at the first line (not blank, not a comment) left of the items' dash, or
    # at the dash's column without being another item: the next top-level key.
    end = first_item
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            column = len(line) - len(line.lstrip(" "))
            if column < dash or (column == dash and not stripped.startswith("-")):
                break
        end += 1
    # Blank lines and comments at the end belong to what follows.
    while end > first_item and (not lines[end - 1].strip() or (lines[end - 1].lstrip().startswith("#") and len(lines[end - 1]) - len(lines[end - 1].lstrip(" ")) <= dash)):
        end -= 1
    if lines[end - 1] and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    insert = "".join(entry_yaml(entry, dash) for entry in entries)
    return "".join(lines[:end]) + insert + "".join(lines[end:])


def _round_trip(text: str, entries: list[dict[str, Any]]) -> str:
    """Add the entries through a ruamel.yaml round trip (comments and order kept)."""
    import datetime as dt

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(text)
    if "assessments" not in data or data["assessments"] is None:
        keys = list(data.keys())
        position = keys.index("goals") if "goals" in keys else len(keys)
        data.insert(position, "assessments", CommentedSeq())
    for entry in entries:
        item = CommentedMap()
        for key, value in entry.items():
            if isinstance(value, list):
                seq = CommentedSeq(value)
                seq.fa.set_flow_style()
                item[key] = seq
            elif key == "date":
                item[key] = dt.date.fromisoformat(value)
            else:
                item[key] = value
        data["assessments"].append(item)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def checked_update(plan: Plan, text: str, kind: str, entries: list[dict[str, Any]], validate: Any) -> str:
    """The new text, after checking that it parses to the old data plus ``entries`` and that
    ``validate`` (a plan -> problems function) finds no error; :class:`PlanError` otherwise."""
    new_text = updated_text(plan, text, kind, entries)
    reparsed = load_plan_text(new_text, plan.source, kind)
    expected = dict(plan.data)
    expected["assessments"] = [*(plan.data.get("assessments") or []), *entries]
    if reparsed.data != expected and kind != "json":
        new_text = _round_trip(text, entries)
        reparsed = load_plan_text(new_text, plan.source, kind)
    if reparsed.data != expected:
        raise PlanError(problems=[Problem(plan.source, None, "assessments", "the new entries could not be added without changing the rest of the plan; add them by hand")])
    errors = [p for p in validate(reparsed) if p.severity == "error"]
    if errors:
        raise PlanError(f"{plan.source}: not changed: with the imported entries the plan would not be valid", problems=errors)
    return new_text
