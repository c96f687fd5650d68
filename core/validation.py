"""Validate a loaded plan against the effective schema and the cross-field rules.

One :class:`PlanValidator` is built per effective schema and reused for every plan. Messages are
built from the error's path, keyword and schema values, never from ``str(error)``, which would
dump plan content. No value from the plan is ever quoted, however short: a name, a date of birth
or an identifier is health information, and the file, line and field path already say where to
look (see docs/security.md, "Plan input and error messages"). What messages do name is what
txplan, its plugins or the pack define: field names, allowed values, patterns' descriptions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, cast

import jsonschema
import referencing
import referencing.jsonschema

from . import crossfield, individualisation
from .contracts import Instrument, InterventionLibrary
from .datafile import LocatedData
from .errors import Problem
from .fieldpath import PathTuple
from .patterns import LinearPatternValidator

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
    "null": "empty",
}

_FORMATS = ("date", "email")
_FORMAT_WORDS = {"email": "email address"}


def _is_whole_number(checker: Any, instance: Any) -> bool:
    """JSON Schema's "integer" with no decimal point: ``1.0`` is refused, not silently taken as
    1 (an answer written ``1.0`` would otherwise make a whole-number total print as ``16.0``)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


#: Draft 2020-12 with "integer" meaning a number written without a decimal point, everywhere:
#: plan files, JSON files and `txplan score` all validate through this class.
#: Patterns are matched in linear time (:mod:`txplan.patterns`).
_Validator = jsonschema.validators.extend(
    LinearPatternValidator,
    type_checker=LinearPatternValidator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


class PlanValidator:
    """Validates plans against one effective schema; build once, use for every plan."""

    def __init__(
        self,
        schema: dict[str, Any],
        instruments: Mapping[str, Instrument] | None = None,
        libraries: Mapping[str, InterventionLibrary] | None = None,
    ) -> None:
        """Build the validator with format checking and a local-only reference registry (a
        ``$ref`` to anything not bundled fails instead of fetching over the network).
        ``instruments`` and ``libraries`` are those the plan may refer to."""
        self.schema = schema
        self.instruments = instruments or {}
        self.libraries = libraries or {}
        self._library_texts = individualisation.library_texts(self.libraries.values())
        remote = sorted({ref for ref in _refs(schema) if not ref.startswith("#")})
        if remote:
            raise ValueError(f"only references inside the schema ('#/...') are allowed, not {', '.join(remote)}")
        resource = referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT202012)
        registry: referencing.Registry = referencing.Registry().with_resource(schema.get("$id", ""), resource)
        checker = jsonschema.FormatChecker(formats=_FORMATS)
        _assert_formats_checked(schema, checker)
        self._validator = _Validator(schema, format_checker=checker, registry=registry)

    def validate(self, plan: LocatedData) -> list[Problem]:
        """Every problem in ``plan`` (or in one administration, for ``txplan score``), schema and
        cross-field, errors and warnings, in line order."""
        found: dict[tuple[Any, ...], Problem] = {}
        for error in self._validator.iter_errors(plan.data):
            for problem in self._describe(error, plan):
                found.setdefault((problem.line, problem.path, problem.message), problem)
        for problem in crossfield.cross_field_problems(plan, self.instruments):
            found.setdefault((problem.line, problem.path, problem.message), problem)
        for problem in individualisation.library_warnings(plan, self.libraries, self._library_texts):
            found.setdefault((problem.line, problem.path, problem.message), problem)
        return sorted(found.values(), key=lambda p: (p.line or 0, p.path))

    # -- messages --------------------------------------------------------------------------

    def _describe(self, error: jsonschema.ValidationError, plan: LocatedData) -> list[Problem]:
        path: PathTuple = tuple(error.absolute_path)
        # Set on every error a validator yields (the stubs allow the Unset marker only for errors built by hand).
        kind, expected, instance, subschema = cast("tuple[str, Any, Any, dict[str, Any]]", (error.validator, error.validator_value, error.instance, error.schema))
        if kind == "required":
            return [plan.problem((*path, name), "required field is missing") for name in expected if name not in instance]
        if kind in ("additionalProperties", "unevaluatedProperties"):
            allowed = list(subschema.get("properties", {}))
            return [
                plan.problem((*path, name), f"unknown field '{name}'{_suggest(name, allowed)}")
                for name in instance
                if name not in allowed
            ]
        message = _message(kind, expected, instance, subschema)
        if self._is_rating_list(plan, path) and kind in ("minItems", "maxItems"):
            message = _rating_count_message(len(instance), expected, kind)
        elif len(path) > 1 and isinstance(path[-1], int) and self._is_rating_list(plan, path[:-1]):
            message += f" (item {path[-1] + 1})"  # clinicians count items from 1
        return [plan.problem(path, message)]

    def _is_rating_list(self, plan: LocatedData, path: PathTuple) -> bool:
        """An instrument's list of answers: the field its ``data_key`` names, or one target's
        list under it, in a plan's assessment or in one administration on its own."""
        administration: Any = plan.data
        if len(path) > 2 and path[0] == "assessments" and isinstance(path[1], int):
            try:
                administration, path = plan.data["assessments"][path[1]], path[2:]
            except (KeyError, IndexError, TypeError):
                return False
        name = administration.get("instrument") if isinstance(administration, Mapping) else None
        instrument = self.instruments.get(name) if isinstance(name, str) else None
        if instrument is None or not path or path[0] != instrument.data_key:
            return False
        return len(path) == 1 or (len(path) == 2 and isinstance(path[1], str))


def _message(kind: str, expected: Any, instance: Any, schema: dict[str, Any]) -> str:
    if kind == "type":
        types = [expected] if isinstance(expected, str) else expected
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        if "integer" in types and isinstance(instance, float) and instance.is_integer() and abs(instance) < 1e15:
            return f"must be a whole number without a decimal point: write {int(instance)}, not {instance!r}"
        hint = " (put it in quotes to keep it as text)" if wanted == "text" and isinstance(instance, (int, float, bool)) else ""
        return f"must be {wanted}, not {_json_type(instance)}{hint}"
    if kind == "format":
        if expected == "date":
            return "is not a valid date (expected YYYY-MM-DD)"
        return f"is not a valid {_FORMAT_WORDS.get(expected, expected)}"
    if kind == "enum":
        if not expected:
            return "no values are available here (is the plugin that provides them installed?)"
        suggestion = _suggest(instance, [str(v) for v in expected]) if isinstance(instance, str) else ""
        if len(expected) > 12:  # a long list helps nobody; the closest matches do
            return f"is not one of the {len(expected)} known values{suggestion}"
        return f"is not one of: {', '.join(str(v) for v in expected)}{suggestion}"
    if kind == "const":
        return f"must be {expected!r}"
    if kind == "pattern":
        return f"does not have the expected form: {schema.get('description', expected)}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters long"
    if kind == "maxLength":
        return f"is {len(instance):,} characters long; at most {expected:,} are allowed"
    if kind == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "maxItems":
        return f"has {len(instance):,} items; at most {expected:,} are allowed"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be {'at least' if kind == 'minimum' else 'more than'} {expected}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be {'at most' if kind == 'maximum' else 'less than'} {expected}"
    if kind == "uniqueItems":
        return "lists the same value more than once"
    if kind in (None, "false", "not"):  # a false schema, or "not": explain with its description
        reason = schema.get("description") if isinstance(schema, dict) else None
        return f"is not allowed here ({reason.rstrip('.')})" if reason else "is not allowed here"
    if kind == "anyOf" and all(set(branch) == {"required"} for branch in expected):
        return "needs one of: " + ", ".join(name for branch in expected for name in branch["required"])
    if kind in ("minProperties", "maxProperties"):
        if schema.get("description") and kind == "maxProperties":
            return f"has too many entries: {schema['description'].rstrip('.')}"
        return f"needs at {'least' if kind == 'minProperties' else 'most'} {expected} entr{'y' if expected == 1 else 'ies'}"
    return f"does not satisfy the schema's '{kind}' rule"


def _rating_count_message(given: int, expected: int, kind: str) -> str:
    if kind == "maxItems":
        return f"has {given} answers; the instrument has {expected} items"
    first, last = given + 1, expected
    missing = f"item {first} is" if first == last else f"items {first}-{last} are"
    return f"has {given} answers; {missing} missing (no published rule allows scoring with missing items)"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of fields"
    return "text"


def _suggest(name: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


def _refs(schema: Any) -> Iterable[str]:
    """Every ``$ref`` value in ``schema``."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _assert_formats_checked(schema: Any, checker: jsonschema.FormatChecker) -> None:
    """Every ``format`` the schema uses must really be checked: a missing checker would make
    the format pass silently."""
    used = set(re.findall(r"'format': '([^']+)'", repr(schema)))
    missing = used - set(checker.checkers)
    if missing:
        raise RuntimeError(f"plan schema uses formats that cannot be checked: {', '.join(sorted(missing))}")
