"""Saving a plan edited in the browser: the new data is merged into the file's own YAML tree
(ruamel.yaml's round-trip mode), so comments, key order and the way each unchanged value was
written stay as they were; the text is read back with txplan's own loader and must give exactly
the data that was saved; it is written through :mod:`txplan.output` (atomic, 0600).

A save names the version of the file it was opened from (a hash of its bytes). If the file
changed on disk since (another tab, the command line, a sync client), nothing is written and the
caller shows both versions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

from ..datafile import MAX_FILE_BYTES
from ..errors import PlanError
from ..loader import load_plan_text
from ..output import write_outputs

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ChangedOnDisk(Exception):
    """The file is not the version the editor opened: ``current`` is what is on disk now."""

    def __init__(self, current: str) -> None:
        super().__init__("the file changed on disk since it was opened")
        self.current = current


def fingerprint(raw: bytes) -> str:
    """The version of a file's bytes the editor carries between requests."""
    return hashlib.sha256(raw).hexdigest()


def read_plan_text(path: Path) -> tuple[str, str]:
    """The file's text and its fingerprint; :class:`PlanError` if it cannot be read."""
    try:
        raw = path.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise PlanError(f"{path.name} cannot be read: {exc.strerror}") from None
    return raw.decode("utf-8", errors="replace"), fingerprint(raw)


def new_text(original: str, data: dict[str, Any], *, json_file: bool = False) -> str:
    """The file text for ``data``: ``original`` with its values replaced where they changed
    (comments and order kept); JSON files are written as indented JSON in the same key order."""
    if json_file:
        return json.dumps(_json_order(_parse_json(original), data), indent=2, ensure_ascii=False) + "\n"
    yaml = _round_trip()
    document = yaml.load(original) if original.strip() else None
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(document, CommentedMap):
        document = CommentedMap()
    _merge_map(document, data)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def save(path: Path, data: dict[str, Any], base: str | None) -> str:
    """Write ``data`` to ``path`` if its bytes are still the version ``base`` (``None``: a new
    file that must not exist yet); returns the new fingerprint. :class:`ChangedOnDisk` when the
    file changed; :class:`PlanError` if the text would not read back as exactly ``data``."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raw = None
    if (raw is None) != (base is None) or (raw is not None and fingerprint(raw) != base):
        raise ChangedOnDisk("" if raw is None else raw.decode("utf-8", errors="replace"))
    original = raw.decode("utf-8", errors="replace") if raw is not None else ""
    text = new_text(original, data, json_file=path.suffix.lower() == ".json")
    read_back = load_plan_text(text, path.name, "json" if path.suffix.lower() == ".json" else "yaml")
    if read_back.data != data:
        raise PlanError(f"{path.name} was not saved: the written text would not read back as what was entered (please report this)")
    encoded = text.encode("utf-8")
    write_outputs([(path, encoded)])
    return fingerprint(encoded)


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the lines a person wrote
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _merge_map(target: Any, new: dict[str, Any]) -> None:
    """Make mapping ``target`` hold ``new``, keeping the keys' order and unchanged values."""
    was_empty = not len(target)
    for key in [k for k in target if k not in new]:
        del target[key]
    for key, value in new.items():
        if key in target:
            merged = _merged(target[key], value)
            if merged is not target[key]:
                target[key] = merged
        else:
            target[key] = _fresh(value)
    if was_empty:
        _block_style(target)


def _merge_list(target: Any, new: list[Any]) -> None:
    del target[len(new):]
    for index, value in enumerate(new):
        if index < len(target):
            merged = _merged(target[index], value)
            if merged is not target[index]:
                target[index] = merged
        else:
            target.append(_fresh(value))


def _merged(old: Any, new: Any) -> Any:
    """``old`` updated in place to hold ``new`` where both are containers of the same kind;
    ``old`` itself if it already equals ``new`` (so its quoting stays); else a fresh value."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(new, dict) and isinstance(old, CommentedMap):
        _merge_map(old, new)
        return old
    if isinstance(new, list) and isinstance(old, CommentedSeq):
        _merge_list(old, new)
        return old
    if _same_scalar(old, new):
        return old
    return _fresh(new)


def _same_scalar(old: Any, new: Any) -> bool:
    if isinstance(old, (dt.date, dt.datetime)):
        return isinstance(new, str) and old.isoformat() == new
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return type(new) is (int if isinstance(old, int) else float) and old == new
    return isinstance(old, str) and isinstance(new, str) and str(old) == new


def _fresh(value: Any) -> Any:
    """A new YAML value for ``value``: block style for containers, a literal block for text with
    line breaks; text that YAML would read as something else (a date, a number, ``true``) is
    quoted by the dumper."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        node = CommentedMap()
        _merge_map(node, value)
        return node
    if isinstance(value, list):
        seq = CommentedSeq()
        for item in value:
            seq.append(_fresh(item))
        return seq
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)  # written unquoted, as a person writes a date
        except ValueError:
            return value
    return value


def _block_style(node: Any) -> None:
    """A mapping that was written ``{}`` and now has entries is written as a block."""
    if len(node) and getattr(node, "fa", None) is not None and node.fa.flow_style():
        node.fa.set_block_style()


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return {}


def _json_order(old: Any, new: Any) -> Any:
    """``new`` with the keys that ``old`` had first, in ``old``'s order."""
    if isinstance(new, dict):
        previous = old if isinstance(old, dict) else {}
        keys = [k for k in previous if k in new] + [k for k in new if k not in previous]
        return {k: _json_order(previous.get(k), new[k]) for k in keys}
    if isinstance(new, list):
        previous_list = old if isinstance(old, list) else []
        return [_json_order(previous_list[i] if i < len(previous_list) else None, item) for i, item in enumerate(new)]
    return new
