"""The effective plan schema: the core schema plus what plugins and the template pack contribute.

Composition, not hand-merging: each instrument's fragment is added as an ``if instrument == id
then fragment`` branch of the assessment definition (each branch refuses fields it does not
declare), intervention-library ids become the allowed values of an
intervention's ``library`` field, and a pack's ``requires`` overlay is added with ``allOf``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from .contracts import Instrument, InterventionLibrary


@cache
def _bundled_schema_text(filename: str) -> str:
    return resources.files("txplan.schemas").joinpath(filename).read_text(encoding="utf-8")


def bundled_schema(filename: str) -> dict[str, Any]:
    """A fresh copy of one of the JSON Schemas shipped in ``txplan.schemas`` (``plan.schema.json``,
    ``pack.schema.json``, ``library.schema.json``); each file is read once per process."""
    return json.loads(_bundled_schema_text(filename))


def core_schema() -> dict[str, Any]:
    """A fresh copy of the core plan schema shipped in ``txplan.schemas``."""
    return bundled_schema("plan.schema.json")


def compose_schema(
    instruments: Iterable[Instrument] = (),
    libraries: Iterable[InterventionLibrary] = (),
    pack_requires: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The effective schema for plans validated with these instruments, libraries and pack."""
    schema = core_schema()
    instruments = sorted(instruments, key=lambda i: i.id)
    assessment = schema["$defs"]["assessment"]
    for instrument in instruments:
        assessment["properties"]["instrument"]["enum"].append(instrument.id)
        fragment = copy.deepcopy(dict(instrument.schema))
        fragment.pop("$schema", None)
        fragment.setdefault("description", f"{instrument.name} responses.")
        assessment["allOf"].append(
            {"if": {"properties": {"instrument": {"const": instrument.id}}, "required": ["instrument"]}, "then": fragment}
        )
    # Each branch allows the common fields and its own, nothing else. (additionalProperties per
    # branch says the same as unevaluatedProperties on the whole, at half the validation cost.)
    common = assessment["properties"]
    for branch in assessment["allOf"]:
        then = branch["then"]
        then["properties"] = {**common, **then.get("properties", {})}
        then["additionalProperties"] = False
    # One if/then/else chain rather than allOf: the branches exclude each other, and a chain stops
    # at the first that matches instead of testing every one (measurably faster validation).
    chain: dict[str, Any] = {}
    for branch in reversed(assessment.pop("allOf")):
        chain = {"if": branch["if"], "then": branch["then"], **({"else": chain} if chain else {})}
    assessment.update(chain)
    measure = schema["properties"]["goals"]["items"]["properties"]["objectives"]["items"]["properties"]["measure"]
    measure["properties"]["instrument"]["enum"] = sorted(i.id for i in instruments)
    scheduled = schema["properties"]["progress_monitoring"]["properties"]["schedule"]["items"]["properties"]["instrument"]
    scheduled["enum"] = sorted(i.id for i in instruments)
    library_ids = sorted(entry for library in libraries for entry in library.qualified_ids())
    schema["$defs"]["intervention"]["properties"]["library"]["enum"] = library_ids
    if pack_requires:
        schema.setdefault("allOf", []).append(copy.deepcopy(dict(pack_requires)))
    return schema
