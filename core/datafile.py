"""Read YAML or JSON data safely, keeping the source line of every value: plans
(:mod:`txplan.loader`), and also ``pack.yaml``, intervention libraries and ``txplan score``
answer files.

The YAML route composes the node tree once with a restricted safe loader (C-accelerated where
libyaml is present), walks it iteratively to record ``path -> line`` while refusing what such a
file never needs (aliases, anchors, tags, duplicate keys, non-text keys, deep nesting), then builds
Python data from the same nodes (see docs/security.md, "Plan input and error messages"). Dates
and ``yes``/``no`` stay text; numbers with leading zeros stay text; numbers with more than
:data:`MAX_NUMBER_DIGITS` digits before the point are refused (they are never converted past
Python's int-string limit). JSON data comes from a strict ``json.loads`` (no duplicate keys, no
NaN); its positions come from the same node walk.

Every string is then normalised (CR and CRLF become LF) and checked for characters a Word
document cannot hold; each offending field is reported with its line and the code point. The
messages speak of plans, the files txplan reads most; every one names the file it is about.
A file that cannot be read is a :class:`~txplan.errors.PlanError`; the readers of pack files turn
it into a :class:`~txplan.errors.PackError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PlanError, Problem
from .fieldpath import PathTuple, format_path

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
#: A plan's numbers are scores, counts and thresholds. Anything with more digits before the
#: decimal point is a slip or an attack, and past 4,300 digits Python refuses to convert it at
#: all; 15 digits also keep every whole number exact as a float.
MAX_NUMBER_DIGITS = 15
#: Number literals longer than this are not converted at all (the conversion itself is the cost).
_MAX_NUMBER_TEXT = 100

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PlanYamlLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with YAML 1.2-like implicit typing: no timestamps, booleans only
    ``true``/``false``, integers without leading zeros, no sexagesimal numbers."""


_DROPPED = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_PlanYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PlanYamlLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_PlanYamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_PlanYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

class _TooLarge:
    """Stands in for a number too large to convert, until :func:`_clean` reports it where it is."""


_TOO_LARGE = _TooLarge()


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    if len(node.value) > _MAX_NUMBER_TEXT:
        return _TOO_LARGE
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    value = yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)
    written_as_infinity = node.value.lstrip("+-").lower() == ".inf"
    return _TOO_LARGE if math.isinf(value) and not written_as_infinity else value


_PlanYamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_PlanYamlLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _json_int(text: str) -> Any:
    return _TOO_LARGE if len(text) > _MAX_NUMBER_TEXT else int(text)


def _json_float(text: str) -> Any:
    value = float(text)
    return _TOO_LARGE if math.isinf(value) else value


_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

# '&name' or '*name' where a node can start; '&' between words ("Harbour & Vine") never matches.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,])[&*][^\s\[\]{},]", re.MULTILINE)

_CONTROL_NAMES = {
    0x00: "null",
    0x07: "bell",
    0x08: "backspace",
    0x0B: "line tabulation",
    0x0C: "form feed",
    0x1B: "escape",
}


@dataclass
class LocatedData:
    """Data read from a file (or given in memory): the data, where it came from, and the source
    line of every field.

    ``source`` is the name used in messages (the path as given, or ``<mapping>``).
    """

    data: dict[str, Any]
    source: str
    path: Path | None = None
    lines: dict[PathTuple, int] = field(default_factory=dict)

    def line_of(self, path: PathTuple) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def problem(self, path: PathTuple, message: str, severity: str = "error") -> Problem:
        """A :class:`Problem` located at ``path`` in this data."""
        return Problem(self.source, self.line_of(path), format_path(path), message, severity)


def read_data_file(path: str | Path, *, mapping: bool = True) -> LocatedData:
    """Read, parse and check a YAML or JSON file (``.yaml``, ``.yml`` or ``.json``; other names
    are sniffed). Raises :class:`PlanError` listing every problem found. The top level must be a
    mapping unless ``mapping`` is false (``txplan score`` reads a bare list of answers)."""
    source = str(path)
    file_path = Path(path)
    try:
        if not file_path.is_file():
            what = "is a folder, not a plan file" if file_path.is_dir() else "does not exist"
            raise PlanError(problems=[Problem(source, None, "", what)])
        size = file_path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PlanError(
                problems=[Problem(source, None, "", f"is {size:,} bytes; a plan file may be at most {MAX_FILE_BYTES:,} bytes")]
            )
        raw = file_path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise PlanError(problems=[Problem(source, None, "", f"cannot be read: {exc.strerror}")]) from None
    located = parse_data_bytes(raw, source, kind=kind_for(file_path, raw), mapping=mapping)
    located.path = file_path
    return located


def parse_data_bytes(raw: bytes, source: str, kind: str = "yaml", *, mapping: bool = True) -> LocatedData:
    """Parse and check YAML or JSON bytes; ``kind`` is ``"yaml"`` or ``"json"``."""
    text = _decode(raw, source)
    return parse_data_text(text, source, kind, mapping=mapping)


def parse_data_text(text: str, source: str, kind: str = "yaml", *, mapping: bool = True) -> LocatedData:
    """Parse and check YAML or JSON text; ``kind`` is ``"yaml"`` or ``"json"``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise PlanError(problems=[Problem(source, None, "", f"is larger than {MAX_FILE_BYTES:,} bytes")])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()):
        raise PlanError(problems=[Problem(source, None, "", "is empty; a plan needs at least client, goals and the other required fields")])
    if kind == "json":
        data, lines = _parse_json(text, source)
    else:
        data, lines = _parse_yaml(text, source)
    return check_data(data, source, lines, mapping=mapping)


def check_data(data: Any, source: str = "<mapping>", lines: dict[PathTuple, int] | None = None, *, mapping: bool = True) -> LocatedData:
    """Check already-parsed data (from a file or an integrator's mapping) and wrap it with its
    lines. Strings are normalised (CR/CRLF to LF); invalid characters, NaN and infinity and
    over-deep nesting are reported."""
    lines = lines or {}
    if mapping and not isinstance(data, Mapping):
        found = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise PlanError(problems=[Problem(source, 1 if lines else None, "", f"top level must be a mapping of fields, found {found}")])
    located = LocatedData({}, source, None, lines)
    problems: list[Problem] = []
    located.data = _clean(data, located, problems)
    if problems:
        raise PlanError(problems=problems)
    return located


# -- decoding --------------------------------------------------------------------------------


def kind_for(path: Path, raw: bytes) -> str:
    """Whether a data file is ``json`` or ``yaml``: by its suffix, else by its first character."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "json" if raw.lstrip()[:1] in (b"{", b"[") else "yaml"


def _decode(raw: bytes, source: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlanError(problems=[Problem(source, None, "", "is UTF-16 text; save it as UTF-8")])
    if b"\x00" in raw:
        raise PlanError(problems=[Problem(source, None, "", "is a binary file (it contains NUL bytes), not a YAML or JSON plan")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise PlanError(
            problems=[Problem(source, line, "", f"is not UTF-8 text (byte 0x{byte:02X} at offset {exc.start}); save it as UTF-8")]
        ) from None


# -- YAML ------------------------------------------------------------------------------------


def _parse_yaml(text: str, source: str) -> tuple[Any, dict[PathTuple, int]]:
    _refuse_anchors(text, source)
    loader = _PlanYamlLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.composer.ComposerError as exc:
            if "expected a single document" in f"{exc.context} {exc.problem}":
                line = exc.problem_mark.line + 1 if exc.problem_mark else None
                raise PlanError(problems=[Problem(source, line, "", "holds more than one YAML document ('---'); a plan file holds one plan")]) from None
            raise
        if node is None:
            raise PlanError(problems=[Problem(source, None, "", "is empty; a plan needs at least client, goals and the other required fields")])
        lines = _walk_nodes(node, source)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        detail = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in detail:
            raise PlanError(problems=[Problem(source, line, "", f"is nested too deeply (more than {MAX_DEPTH} levels)")]) from None
        raise PlanError(problems=[Problem(source, line, "", f"invalid YAML: {detail}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise PlanError(problems=[Problem(source, line, "", f"character U+{code:04X} is not allowed in a plan file")]) from None
    except yaml.YAMLError as exc:
        raise PlanError(problems=[Problem(source, None, "", f"invalid YAML: {type(exc).__name__}")]) from None
    except RecursionError:
        raise PlanError(problems=[Problem(source, None, "", f"is nested too deeply (more than {MAX_DEPTH} levels)")]) from None
    finally:
        loader.dispose()


def _refuse_anchors(text: str, source: str) -> None:
    """Refuse anchors and aliases from the event stream, before anything is built from them, so
    an alias bomb costs no more than reading the file."""
    if not _MAYBE_ANCHOR.search(text):
        return
    loader = _PlanYamlLoader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                raise PlanError(problems=[Problem(source, line, "", f"YAML aliases (*{event.anchor}) are not allowed in a plan; write the value out")])
            if getattr(event, "anchor", None):
                raise PlanError(problems=[Problem(source, line, "", f"YAML anchors (&{event.anchor}) are not allowed in a plan; write the value out")])
    except yaml.YAMLError:
        return  # the full parse reports syntax errors with their position
    finally:
        loader.dispose()


def _walk_nodes(root: yaml.Node, source: str) -> dict[PathTuple, int]:
    """Record the line of every field (the key's line for mapping entries) and refuse tags,
    duplicate and non-text keys and nesting deeper than :data:`MAX_DEPTH`. Iterative, so deep
    input cannot exhaust the stack."""
    lines: dict[PathTuple, int] = {(): root.start_mark.line + 1}
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, PathTuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        line = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:
            raise PlanError(problems=[Problem(source, line, format_path(path[:MAX_DEPTH]), f"is nested too deeply (more than {MAX_DEPTH} levels)")])
        if node.tag not in _ALLOWED_TAGS:
            problems.append(Problem(source, line, format_path(path), f"unsupported YAML tag '{node.tag}'; plans hold plain text, numbers, lists and mappings"))
            continue
        if isinstance(node, yaml.MappingNode):
            first_seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                    problems.append(Problem(source, key_line, format_path(path), "field names must be plain text (quote this key)"))
                    continue
                key = key_node.value
                if key in first_seen:
                    problems.append(Problem(source, key_line, format_path((*path, key)), f"duplicate key '{key}' (first on line {first_seen[key]})"))
                    continue
                first_seen[key] = key_line
                lines[path + (key,)] = key_line  # not lines[(*path, key)], which mypy takes for 3.11-only syntax
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[path + (index,)] = item.start_mark.line + 1
                stack.append((item, (*path, index)))
    if problems:
        raise PlanError(problems=problems)
    return lines


# -- JSON ------------------------------------------------------------------------------------


def _parse_json(text: str, source: str) -> tuple[Any, dict[PathTuple, int]]:
    try:
        lines = _json_lines(text, source)
    except PlanError:
        raise
    except Exception:  # noqa: BLE001 - positions are a convenience; strict json.loads decides
        lines = {}

    def reject_constant(name: str) -> Any:
        raise PlanError(problems=[Problem(source, None, "", f"{name} is not allowed in a plan")])

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise PlanError(problems=[Problem(source, None, "", f"duplicate key '{key}'")])
            out[key] = value
        return out

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=reject_constant, parse_int=_json_int, parse_float=_json_float)
        return data, lines
    except json.JSONDecodeError as exc:
        raise PlanError(problems=[Problem(source, exc.lineno, "", f"invalid JSON at column {exc.colno}: {exc.msg}")]) from None
    except RecursionError:
        raise PlanError(problems=[Problem(source, None, "", f"is nested too deeply (more than {MAX_DEPTH} levels)")]) from None


def _json_lines(text: str, source: str) -> dict[PathTuple, int]:
    """Field lines for a JSON plan, read with the YAML node walk (JSON is close enough to YAML
    for positions; the data itself always comes from ``json.loads``)."""
    if text.count("[") + text.count("{") > 100_000:
        return {}
    # Surrogate escapes are legal JSON but not YAML; they are reported from the data later.
    loader = _PlanYamlLoader(re.sub(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", r"\\u0020", text))
    try:
        node = loader.get_single_node()
        return _walk_nodes(node, source) if node is not None else {}
    finally:
        loader.dispose()


# -- cleaning the parsed data -----------------------------------------------------------------


def _clean(data: Any, plan: LocatedData, problems: list[Problem]) -> Any:
    """Copy ``data`` with strings normalised, collecting a problem for every string holding a
    character Word cannot store, every NaN/infinity, and nesting beyond :data:`MAX_DEPTH`.
    Iterative: the depth limit is checked before it can hurt."""
    root: dict[str, Any] = {}
    stack: list[tuple[Any, PathTuple, Any, Any]] = [(data, (), None, None)]
    result: Any = root
    while stack:
        value, path, parent, key = stack.pop()
        if len(path) > MAX_DEPTH:
            problems.append(plan.problem(path[:MAX_DEPTH], f"is nested too deeply (more than {MAX_DEPTH} levels)"))
            continue
        if isinstance(value, Mapping):
            keys = [k for k in value if isinstance(k, str)]
            if len(keys) != len(value):
                problems.append(plan.problem(path, "field names must be text"))
            copy: Any = dict.fromkeys(keys)  # keeps the file's order; values are filled below
            for k in keys:
                _check_text(k, (*path, k), plan, problems)
                stack.append((value[k], (*path, k), copy, k))
        elif isinstance(value, (list, tuple)):
            copy = [None] * len(value)
            stack.extend((v, (*path, i), copy, i) for i, v in enumerate(value))
        elif isinstance(value, str):
            copy = value.replace("\r\n", "\n").replace("\r", "\n")
            _check_text(copy, path, plan, problems)
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(plan.problem(path, "NaN and infinity are not allowed; write a number"))
            copy = value
        elif _too_large(value):
            problems.append(plan.problem(path, f"is too large a number (at most {MAX_NUMBER_DIGITS} digits before the decimal point)"))
            copy = None
        elif value is None or isinstance(value, (bool, int, float)):
            copy = value
        else:
            problems.append(plan.problem(path, f"a {type(value).__name__} is not plan data; use text, numbers, lists and mappings"))
            copy = None
        if parent is None:
            result = copy
        else:
            parent[key] = copy
    return result


def _too_large(value: Any) -> bool:
    if isinstance(value, _TooLarge):
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10**MAX_NUMBER_DIGITS


_INVALID_CHARACTER = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_text(text: str, path: PathTuple, plan: LocatedData, problems: list[Problem]) -> None:
    match = _INVALID_CHARACTER.search(text)
    if match is None:
        return
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        what = "a lone surrogate"
    elif code >= 0xFFFE:
        what = "a noncharacter"
    else:
        what = _CONTROL_NAMES.get(code, "a control character")
    problems.append(plan.problem(path, f"character U+{code:04X} ({what}) at position {match.start() + 1} is not allowed in a treatment plan"))
