"""Helpers for people who write txplan plugins and template packs: a sample plan, a render
helper, and conformance assertions to run in your own tests.

    from txplan.testing import assert_instrument_conforms, render
    from my_plugin import MY_SCALE

    def test_my_scale_conforms():
        assert_instrument_conforms(MY_SCALE, valid=[{"responses": [0, 1, 2]}], invalid=[{"responses": [9]}])

Each assertion raises ``AssertionError`` listing every problem it found.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from .contracts import Instrument, OutputFormat, ScoreResult

__all__ = ["assert_instrument_conforms", "assert_output_format_conforms", "render", "sample_plan", "sample_plan_path"]


def sample_plan_path() -> Path:
    """The bundled example plan (a fictional client; every section filled in)."""
    return Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))


def sample_plan() -> dict[str, Any]:
    """The bundled example plan's data."""
    from .loader import load_plan_file

    return load_plan_file(sample_plan_path()).data


def render(plan: Any = None, format: str | None = None, *, plugins: Iterable[object] = (), pack: str | None = None) -> bytes:
    """Render ``plan`` (a path, a mapping; default: the sample plan) with the built-in plugins
    plus ``plugins`` (objects or modules with ``@txplan.hookimpl`` functions), no installed
    third-party plugins, and ``pack``, into ``format`` (default: Markdown, as
    :func:`txplan.render_plan`)."""
    from .api import markdown_format
    from .pipeline import Engine
    from .plugin_host import PluginHost

    engine = Engine(pack, host=PluginHost(load_entrypoints=False, extra_plugins=plugins))
    return engine.render(engine.load(plan if plan is not None else sample_plan_path()), format or markdown_format(engine))


def assert_instrument_conforms(instrument: Instrument, valid: Sequence[Mapping[str, Any]], invalid: Sequence[Mapping[str, Any]]) -> None:
    """Check an instrument plugin's object: complete metadata, a usable schema fragment that joins
    the plan schema, answers accepted or refused as expected, and pure, deterministic scoring whose
    scores, flags and thresholds are all declared, and, for an instrument with a FHIR mapping, that
each valid administration comes back unchanged from a QuestionnaireResponse. ``valid`` and ``invalid`` are administrations
    (the instrument's fields, without ``instrument`` and ``date``); give at least one of each."""
    import jsonschema

    from .datafile import check_data
    from .scoring import administration_validator

    problems = list(instrument.problems())
    if not valid or not invalid:
        problems.append("give at least one valid and one invalid administration")
    if problems:
        raise AssertionError(_report(instrument, problems))
    try:
        from .schema import compose_schema

        jsonschema.Draft202012Validator.check_schema(compose_schema(instruments=[instrument]))
        validator = administration_validator(instrument)
    except Exception as exc:  # noqa: BLE001 - report, do not crash the contributor's test
        raise AssertionError(_report(instrument, [f"schema fragment does not join the plan schema: {type(exc).__name__}: {exc}"])) from None
    for score_name in (t.score for t in instrument.thresholds):
        if score_name not in instrument.score_labels:
            problems.append(f"threshold on score '{score_name}', which is not in score_labels")
    for index, example in enumerate(valid):
        data = {"instrument": instrument.id, **copy.deepcopy(dict(example))}
        errors = validator.validate(check_data(data, f"valid[{index}]"))
        if errors:
            problems.extend(f"valid[{index}] is refused: {error}" for error in errors)
            continue
        before = copy.deepcopy(data)
        first, second = instrument.score(data), instrument.score(copy.deepcopy(before))
        if data != before:
            problems.append(f"valid[{index}]: score() changed its input")
        if not isinstance(first, ScoreResult):
            problems.append(f"valid[{index}]: score() returned {type(first).__name__}, not ScoreResult")
            continue
        if first != second:
            problems.append(f"valid[{index}]: score() gave different results for the same answers")
        for name, value in first.scores.items():
            if name not in instrument.score_labels:
                problems.append(f"valid[{index}]: score '{name}' has no entry in score_labels")
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                problems.append(f"valid[{index}]: score '{name}' is {type(value).__name__}, not a number")
        for flag in first.flags:
            if flag not in instrument.flags:
                problems.append(f"valid[{index}]: flag '{flag}' has no message in flags")
        if not first.scores and not first.summary:
            problems.append(f"valid[{index}]: score() gave neither scores nor a summary")
        if instrument.fhir is not None:
            from .fhir.importer import round_trip_problems

            problems.extend(f"valid[{index}]: {p}" for p in round_trip_problems(instrument, example))
    for index, example in enumerate(invalid):
        data = {"instrument": instrument.id, **copy.deepcopy(dict(example))}
        try:
            errors = validator.validate(check_data(data, f"invalid[{index}]"))
        except Exception:  # noqa: BLE001 - refused while loading is refused
            continue
        if not [e for e in errors if e.severity == "error"]:
            problems.append(f"invalid[{index}] is accepted")
    if problems:
        raise AssertionError(_report(instrument, problems))


def assert_output_format_conforms(output_format: OutputFormat) -> None:
    """Check an output format: well-formed registration, and the sample plan renders to the same
    non-empty bytes twice. A converting format (``convert_from``, such as PDF made by
    LibreOffice, which stamps the time) need not give the same bytes twice, but its
    ``convert_many`` must convert the source format's bytes."""
    problems = list(output_format.problems())
    if not problems:
        from .pipeline import Engine
        from .plugin_host import PluginHost

        engine = Engine(host=PluginHost(load_entrypoints=False))
        plan = engine.load(sample_plan_path())
        document = engine.render_document(plan)
        engine.prepare(output_format)
        first, second = output_format.render(document), output_format.render(document)
        if not isinstance(first, bytes) or not first:
            problems.append("render() must return non-empty bytes")
        elif output_format.convert_many is not None:
            source = engine.render_with(engine.output_format(output_format.convert_from), document)
            converted = list(output_format.convert_many([source]))
            if len(converted) != 1 or not isinstance(converted[0], bytes) or not converted[0]:
                problems.append("convert_many() must give non-empty bytes for each document")
        elif first != second:
            problems.append("render() gave different bytes for the same plan")
        if output_format.companions is not None:
            problems += _companion_problems(engine, output_format, document)
    if problems:
        raise AssertionError(f"output format '{output_format.name}':\n- " + "\n- ".join(problems))


def _companion_problems(engine: Any, output_format: OutputFormat, document: Any) -> list[str]:
    """What is wrong with a format's ``companions``: it must give non-empty bytes and well-named
    extra files, the same for the same plan."""
    from .errors import PluginError

    try:
        once, again = (engine.render_with_companions(output_format, document, "sample") for _ in range(2))
    except PluginError as exc:
        return [f"companions(): {exc}"]
    if not once[0]:
        return ["companions() must return non-empty bytes"]
    return [] if once == again else ["companions() gave different files for the same plan"]


def _report(instrument: Instrument, problems: list[str]) -> str:
    return f"instrument '{instrument.id}' does not conform:\n- " + "\n- ".join(problems)
