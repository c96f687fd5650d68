"""Read a FHIR JSON file from outside (a portal, an EHR) as untrusted input.

Limits come before parsing: the file's size, and the depth of its nesting (counted on the raw
text, so a file of ten thousand ``[`` never reaches the recursive parser). The JSON itself is
strict: no duplicate keys, no NaN or Infinity, no number with more than
:data:`MAX_NUMBER_TEXT` characters. Then it must be FHIR R4: an object with a ``resourceType``,
and no sign of another FHIR version (a ``fhirVersion`` other than 4.0.x, a FHIR-version tag, or
a version-specific core profile of another release).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import PlanError, Problem
from . import systems

#: A bundle of a year's questionnaire answers is far smaller; anything larger is refused unread.
MAX_FHIR_BYTES = 4 * 1024 * 1024
#: FHIR questionnaire answers nest a few levels (bundle, entry, resource, item, answer, item...).
MAX_DEPTH = 48
MAX_NUMBER_TEXT = 40

_CORE_PROFILE = re.compile(r"^https?://hl7\.org/fhir/(\d+\.\d+)(?:\.\d+)?/StructureDefinition/")


class _Refused(ValueError):
    pass


def read_fhir(path: str | Path) -> dict[str, Any]:
    """The FHIR resource in ``path``; :class:`PlanError` naming the file and what was expected."""
    source = str(path)
    file_path = Path(path)
    try:
        if not file_path.is_file():
            raise _fail(source, "", "does not exist" if not file_path.exists() else "is not a regular file")
        size = file_path.stat().st_size
        if size > MAX_FHIR_BYTES:
            raise _fail(source, "", f"is {size:,} bytes; a FHIR file to import may be at most {MAX_FHIR_BYTES:,} bytes")
        with open(file_path, "rb") as handle:
            raw = handle.read(MAX_FHIR_BYTES + 1)
    except OSError as exc:
        raise _fail(source, "", f"cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_FHIR_BYTES:
        raise _fail(source, "", f"is larger than {MAX_FHIR_BYTES:,} bytes")
    return parse_fhir(raw, source)


def parse_fhir(raw: bytes, source: str) -> dict[str, Any]:
    """Parse and check FHIR JSON bytes (see the module's description)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(source, "", "is not UTF-8 text; FHIR JSON is UTF-8") from None
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise _fail(source, "", f"nests deeper than {MAX_DEPTH} levels; this is not questionnaire data")
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
        )
    except _Refused as exc:
        raise _fail(source, "", f"is not FHIR JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PlanError(problems=[Problem(source, exc.lineno, "", f"is not FHIR JSON: {exc.msg} (column {exc.colno})")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise _fail(source, "", "is not FHIR JSON: expected an object with a 'resourceType'")
    check_r4(data, source)
    if data["resourceType"] == "Bundle" and isinstance(data.get("entry"), list):
        for number, entry in enumerate(data["entry"]):
            inner = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(inner, dict) and isinstance(inner.get("resourceType"), str):
                check_r4(inner, source, f"Bundle.entry[{number}].resource")
    return data


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON ``text``, not counting brackets in strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def check_r4(resource: dict[str, Any], source: str, where: str = "") -> None:
    """Refuse a resource that declares another FHIR version: a ``fhirVersion`` not 4.0.x, a
    FHIR-version tag not 4.0.x, or a version-specific core profile of another release.
    ``where`` is the resource's path in the file (a bundle entry's), else its type."""
    kind = where or resource["resourceType"]
    version = resource.get("fhirVersion")
    if version is not None and not (isinstance(version, str) and version.startswith("4.0")):
        raise _fail(source, f"{kind}.fhirVersion", f"is not FHIR R4: expected 4.0.1 (R4), found {_short(version)}")
    meta = resource.get("meta")
    if isinstance(meta, dict):
        for index, tag in enumerate(meta.get("tag") or [] if isinstance(meta.get("tag"), list) else []):
            if isinstance(tag, dict) and tag.get("system") == systems.FHIR_VERSION_SYSTEM and not str(tag.get("code", "")).startswith("4.0"):
                raise _fail(source, f"{kind}.meta.tag[{index}]", f"is not FHIR R4: expected version 4.0.1, found {_short(tag.get('code'))}")
        for index, profile in enumerate(meta.get("profile") or [] if isinstance(meta.get("profile"), list) else []):
            match = _CORE_PROFILE.match(profile) if isinstance(profile, str) else None
            if match and match.group(1) != "4.0":
                raise _fail(source, f"{kind}.meta.profile[{index}]", f"is not FHIR R4: a FHIR {match.group(1)} core profile (expected R4, 4.0)")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 20 else text[:20] + "..."


def _fail(source: str, path: str, message: str) -> PlanError:
    return PlanError(problems=[Problem(source, None, path, message)])


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"the key '{key[:40]}' appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_TEXT:
        raise _Refused(f"a number of {len(text)} digits")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_TEXT:
        raise _Refused(f"a number of {len(text)} characters")
    return float(text)
