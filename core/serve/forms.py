"""The editor's forms, written from the effective plan schema, and the way back from a posted form
to plan data.

Every input is named with its txplan field path (``goals[0].objectives[1].target_date``), so a
problem from the validator lands at its field by name. Each list also posts its length
(``goals#len``), so an unanswered last item or a new empty entry is still in the data. Values
are typed by the schema at their path: a whole number where the schema wants one (anything else
is left as text, and the validator says what is wrong, with the CLI's words), ``true``/``false``
for yes/no fields; an empty field is left out, as if it were not in the file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..fieldpath import PathTuple, format_path

#: A posted form may hold at most this many fields, and a list at most this many items.
MAX_FIELDS = 20_000
MAX_INDEX = 1_000
LENGTH_SUFFIX = "#len"
_TOKEN = re.compile(r"\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d{1,4})\]")
#: A scale answered by choosing one value (an item of a questionnaire) has at most this many values.
MAX_SCALE_VALUES = 11
_LONG_TEXT = 300


class FormError(ValueError):
    """A posted form that no page of this app could have sent (a malformed field name, too many fields)."""


# -- field paths ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)  # every live check posts the same few hundred names
def parse_path(name: str) -> PathTuple:
    """``goals[0].objectives[1].target_date`` -> ``("goals", 0, "objectives", 1, "target_date")``;
    :class:`FormError` if it is not a field path."""
    parts: list[str | int] = []
    at = 0
    while at < len(name):
        match = _TOKEN.match(name, at)
        if not match or (match.group(0).startswith(".") and not parts) or (not parts and match.group(2) is not None):
            raise FormError("a field name is not a txplan field path")
        key, index = match.groups()
        if index is not None:
            if int(index) >= MAX_INDEX:
                raise FormError(f"a list in the form has more than {MAX_INDEX} items")
            parts.append(int(index))
        else:
            parts.append(key)
        at = match.end()
    if not parts:
        raise FormError("a field name is empty")
    return tuple(parts)


def element_id(path: str) -> str:
    """An HTML id for the input of ``path`` (``f-goals-0-objectives-1-target_date``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


# -- the schema at a path -------------------------------------------------------------------------


class SchemaView:
    """The effective schema, read the way the forms need it: the sub-schema at a path (following
    ``$ref`` and the assessment's instrument branches) and whether a field is required there
    (including a pack's ``requires`` overlay)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        """Read ``schema`` (an engine's effective schema)."""
        self.schema = schema

    def resolve(self, node: Mapping[str, Any] | None) -> Mapping[str, Any]:
        """``node`` with its ``$ref`` followed (local references only)."""
        while node and "$ref" in node:
            ref = node["$ref"]
            target: Any = self.schema
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node or {}

    def branch(self, node: Mapping[str, Any], value: Any) -> Mapping[str, Any]:
        """The branch of an ``if``/``then``/``else`` chain that applies to ``value`` (an
        assessment's instrument fields), or ``node`` itself."""
        node = self.resolve(node)
        while "if" in node and isinstance(value, Mapping):
            if _matches(node["if"], value):
                then = self.resolve(node.get("then", {}))
                return {**node, **then, "properties": {**node.get("properties", {}), **then.get("properties", {})},
                        "required": [*node.get("required", []), *then.get("required", [])]}
            if "else" not in node:
                break
            otherwise = self.resolve(node["else"])
            if "if" not in otherwise:  # an else with requirements of its own (an intervention written out)
                return {**node, "required": [*node.get("required", []), *otherwise.get("required", [])]}
            node = {**{k: v for k, v in node.items() if k not in ("if", "then", "else")}, **otherwise}
        return node

    def child(self, node: Mapping[str, Any], key: str | int, value: Any = None) -> Mapping[str, Any]:
        """The sub-schema for ``key`` (a property name or a list index) in ``node``."""
        node = self.branch(node, value)
        if isinstance(key, int):
            return self.resolve(node.get("items", {}))
        return self.resolve(node.get("properties", {}).get(key, {}))

    def overlays_at(self, path: PathTuple) -> list[Mapping[str, Any]]:
        """The parts of the root's ``allOf`` overlays (a pack's ``requires``) that apply at ``path``."""
        found = []
        for overlay in self.schema.get("allOf", []):
            node: Any = overlay
            for key in path:
                node = node.get("items") if isinstance(key, int) else node.get("properties", {}).get(key)
                if not isinstance(node, Mapping):
                    break
            else:
                found.append(node)
        return found


def _matches(condition: Mapping[str, Any], value: Mapping[str, Any]) -> bool:
    """Whether ``value`` meets an ``if`` made of ``required`` names and ``const``/``enum`` values
    (the only kinds the effective schema's branches use)."""
    if any(name not in value for name in condition.get("required", [])):
        return False
    for name, rule in condition.get("properties", {}).items():
        if name not in value:
            continue
        if "const" in rule and value[name] != rule["const"]:
            return False
        if "enum" in rule and value[name] not in rule["enum"]:
            return False
    return True


# -- posted form -> plan data ---------------------------------------------------------------------

_ABSENT = object()


def form_to_data(items: Iterable[tuple[str, str]], view: SchemaView) -> dict[str, Any]:
    """The plan data a posted editor form describes. Names starting with ``_`` are the form's
    own controls and are skipped. :class:`FormError` for a form no page of this app sends."""
    root: dict[str, Any] = {}
    count = 0
    for name, value in items:
        count += 1
        if count > MAX_FIELDS:
            raise FormError(f"the form has more than {MAX_FIELDS:,} fields")
        if name.startswith("_"):
            continue
        if name.endswith(LENGTH_SUFFIX):
            if not value.isdigit() or int(value) > MAX_INDEX:
                raise FormError("a list length in the form is not a number")
            container = _place(root, parse_path(name.removesuffix(LENGTH_SUFFIX)), list)
            container.extend([_ABSENT] * (int(value) - len(container)))
            continue
        path = parse_path(name)
        parent = _place(root, path[:-1], list if isinstance(path[-1], int) else dict)
        _assign(parent, path[-1], value)
    cleaned = _typed(root, view, view.schema, in_list=False)
    return cleaned if isinstance(cleaned, dict) else {}


def _place(root: dict[str, Any], path: PathTuple, kind: type) -> Any:
    """The container at ``path`` under ``root``, created (as ``kind`` at the end) where missing."""
    node: Any = root
    for depth, key in enumerate(path):
        want = kind if depth == len(path) - 1 else (list if isinstance(path[depth + 1], int) else dict)
        existing = node[key] if _has(node, key) else _ABSENT
        if existing is _ABSENT:
            existing = want()
            _assign(node, key, existing)
        elif not isinstance(existing, want):
            raise FormError("a field of the form is both a value and a group")
        node = existing
    return node


def _has(node: Any, key: str | int) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(key, int) and key < len(node)


def _assign(node: Any, key: str | int, value: Any) -> None:
    if isinstance(node, dict):
        if not isinstance(key, str):
            raise FormError("a list index where a field name belongs")
        node[key] = value
        return
    if not isinstance(key, int):
        raise FormError("a field name where a list index belongs")
    node.extend([_ABSENT] * (key + 1 - len(node)))
    node[key] = value


def _typed(value: Any, view: SchemaView, node: Mapping[str, Any], *, in_list: bool) -> Any:
    """``value`` as the schema at its place types it; ``_ABSENT`` for what is left out."""
    if isinstance(value, dict):
        branch = view.branch(node, {k: v for k, v in value.items() if isinstance(v, str)})
        out = {}
        for key, item in value.items():
            typed = _typed(item, view, view.child(branch, key), in_list=False)
            if typed is not _ABSENT:
                out[key] = typed
        return out if out or in_list else _ABSENT
    if isinstance(value, list):
        items_node = view.resolve(node.get("items", {}))
        out_list = [None if item is _ABSENT else _typed(item, view, items_node, in_list=True) for item in value]
        out_list = [None if item is _ABSENT else item for item in out_list]
        return out_list if out_list else _ABSENT
    if value is _ABSENT:
        return _ABSENT
    text = value.strip() if isinstance(value, str) else value
    if text == "":
        return None if in_list and _kinds(node) & {"integer", "number"} else ("" if in_list else _ABSENT)
    kinds = _kinds(node)
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    if kinds & {"integer", "number"} and re.fullmatch(r"[-+]?\d{1,15}", text):
        return int(text)
    if "number" in kinds and re.fullmatch(r"[-+]?\d{0,15}\.\d{1,15}", text):
        return float(text)
    return value.replace("\r\n", "\n")


def _kinds(node: Mapping[str, Any]) -> set[str]:
    kind = node.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


# -- plan data -> the fields of the form ----------------------------------------------------------


@dataclass
class Field:
    """One piece of the editor form: a group (``object``), a list (``array``), or an input
    (``text``, ``textarea``, ``date``, ``number``, ``select``, ``boolean``, ``scale``)."""

    kind: str
    path: str
    key: str | int
    label: str
    description: str = ""
    required: bool = False
    value: Any = None
    options: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    known: bool = True
    #: For a list: whether its items are answers of a questionnaire (a numbered grid).
    grid: bool = False
    fixed_length: bool = False

    @property
    def element_id(self) -> str:
        """The HTML id of this field's input."""
        return element_id(self.path)


def build_fields(data: Mapping[str, Any], view: SchemaView) -> list[Field]:
    """The form's top-level sections for ``data``: every field the schema knows (empty where the
    plan has none) and every field the plan has that the schema does not know (shown, so that
    nothing in the file is lost on saving)."""
    root = _field((), "", data, view.schema, view, required=True)
    return root.children


def _field(path: PathTuple, label_key: str | int, value: Any, node: Mapping[str, Any], view: SchemaView, *, required: bool) -> Field:
    node = view.resolve(node)
    kinds = _kinds(node)
    text_path = format_path(path)
    label = _label(label_key)
    description = node.get("description", "")
    known = bool(node)
    if "object" in kinds or (not known and isinstance(value, Mapping)):
        value = value if isinstance(value, Mapping) else {}
        branch = view.branch(node, value)
        required_names = set(branch.get("required", []))
        for overlay in view.overlays_at(path):
            required_names.update(overlay.get("required", []))
        properties = dict(branch.get("properties", {}))
        children = [
            _field((*path, key), key, value.get(key), sub, view, required=key in required_names)
            for key, sub in properties.items()
            if key != "$schema" or key in value
        ]
        children += [_field((*path, key), key, item, {}, view, required=False) for key, item in value.items() if key not in properties]
        return Field("object", text_path, label_key, label, description, required, children=children, known=known)
    if "array" in kinds or (not known and isinstance(value, list)):
        items = value if isinstance(value, list) else []
        item_node = view.resolve(node.get("items", {}))
        children = [_field((*path, index), index, item, item_node, view, required=True) for index, item in enumerate(items)]
        grid = _is_scale(item_node)
        fixed = node.get("minItems") is not None and node.get("minItems") == node.get("maxItems")
        if grid and fixed and len(children) < node["minItems"]:
            children += [_field((*path, index), index, None, item_node, view, required=True) for index in range(len(children), node["minItems"])]
        return Field("array", text_path, label_key, label, description, required, children=children, known=known, grid=grid, fixed_length=fixed)
    shown = "" if value is None else _shown(value)
    if _is_scale(node):
        options = [str(n) for n in range(node["minimum"], node["maximum"] + 1)]
        return Field("scale", text_path, label_key, label, description, required, shown, options, known=known)
    if "enum" in node:
        options = [str(option) for option in node["enum"]]
        return Field("select", text_path, label_key, label, description, required, shown, options, known=known)
    if "boolean" in kinds:
        return Field("boolean", text_path, label_key, label, description, required, shown, ["true", "false"], known=known)
    if node.get("format") == "date":
        return Field("date", text_path, label_key, label, description, required, shown, known=known)
    if kinds & {"integer", "number"}:
        return Field("number", text_path, label_key, label, description, required, shown, known=known)
    long_text = node.get("maxLength", 0) > _LONG_TEXT or "\n" in shown
    return Field("textarea" if long_text else "text", text_path, label_key, label, description, required, shown, known=known)


def _is_scale(node: Mapping[str, Any]) -> bool:
    """An integer answered on a short scale (a questionnaire item): shown as a row of choices."""
    return (
        node.get("type") == "integer"
        and isinstance(node.get("minimum"), int)
        and isinstance(node.get("maximum"), int)
        and 0 < node["maximum"] - node["minimum"] < MAX_SCALE_VALUES
    )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def _label(key: str | int) -> str:
    if isinstance(key, int):
        return f"{key + 1}"
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def posted_items(fields: list[Field]) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs a browser posts for these fields as shown (an unanswered
    item posts nothing; each list posts its length): for scripts and benchmarks that drive the
    app without a browser."""
    out: list[tuple[str, str]] = []
    for item in fields:
        if item.kind == "object":
            out += posted_items(item.children)
        elif item.kind == "array":
            out.append((f"{item.path}{LENGTH_SUFFIX}", str(len(item.children))))
            out += posted_items(item.children)
        elif item.value != "" or item.kind not in ("scale",):
            out.append((item.path, str(item.value)))
    return out
