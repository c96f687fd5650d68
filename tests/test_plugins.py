"""The plugin system: built-ins and third-party plugins through one door; a broken plugin is
reported by name and version while everything else keeps working."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan import hookspecs
from txplan.contracts import OutputFormat, RenderedDocument
from txplan.plugin_host import LOAD_PLUGINS_ENV, PluginHost

from .conftest import Install


class ShoutFormat:
    """A small class-based plugin that adds an output format."""

    __name__ = "shout-format"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Register ``shout``: the Markdown in capitals."""
        register(OutputFormat("shout", "txt", "text/plain", lambda doc: doc.markdown.upper().encode(), aliases=("loud",)))


class DuplicateMarkdown:
    """Registers a second format called 'markdown'."""

    __name__ = "dup-markdown"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Register a clashing format name."""
        register(OutputFormat("markdown", "md", "text/markdown", lambda doc: b"impostor"))


class RaisingPlugin:
    """Raises inside its hook."""

    __name__ = "raiser"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Fail on purpose."""
        raise RuntimeError("boom")


class MalformedPlugin:
    """Registers the wrong kind of object and a malformed format."""

    __name__ = "malformed"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Register junk."""
        register("not a format")
        register(OutputFormat("Bad Name", ".x", "x/y", lambda doc: b""))


class ExitingPlugin:
    """Calls sys.exit inside its hook."""

    __name__ = "exiter"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """End the program on purpose."""
        sys.exit(0)


class UnknownHookPlugin:
    """Implements a hook that does not exist."""

    __name__ = "unknown-hook"

    @txplan.hookimpl
    def register_colours(self, register: Callable[[Any], None]) -> None:
        """Not a txplan hook."""


def test_hook_register_output_formats(engine_with: Callable[..., txplan.Engine], example_path: Path) -> None:
    """A registered format (and its alias) renders through the same pipeline as the built-ins."""
    engine = engine_with(ShoutFormat())
    plan = engine.load(example_path)
    assert engine.render(plan, "loud").startswith(b"**HARBOUR & VINE COUNSELLING**")
    assert engine.host.plugin_of(engine.output_format("shout")).name == "shout-format"


def test_hook_register_template_packs(tmp_path: Path, engine_with: Callable[..., txplan.Engine], example_path: Path) -> None:
    """An installed pack is found by name and extends the default pack."""
    from txplan.contracts import PackSource

    (tmp_path / "templates").mkdir()
    (tmp_path / "pack.yaml").write_text("name: brief\nversion: '1'\nsections: [goals]\n", encoding="utf-8")

    class BriefPack:
        __name__ = "brief-pack"

        @txplan.hookimpl
        def register_template_packs(self, register: Callable[[Any], None]) -> None:
            register(PackSource("brief", tmp_path))

    engine = engine_with(BriefPack(), pack="brief")
    text = engine.render(engine.load(example_path), "md").decode()
    assert text.startswith("## Goals and objectives")
    assert "## Interventions" not in text


def test_hook_register_instruments(engine_with: Callable[..., txplan.Engine], example_text: str, tmp_path: Path, toy_instrument: Any) -> None:
    """An instrument's data is validated by its fragment and scored in the rendered plan."""
    class ToyPlugin:
        __name__ = "toy-instrument"

        @txplan.hookimpl
        def register_instruments(self, register: Callable[[Any], None]) -> None:
            register(toy_instrument)

    engine = engine_with(ToyPlugin())
    text = example_text.replace("assessments:\n", "assessments:\n  - instrument: toy-3\n    date: 2026-09-01\n    responses: [1, 2, 3]\n", 1)
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(text, encoding="utf-8")
    assert "| Toy three-item scale | 2026-09-01 | Total 6 |" in engine.render(engine.load(plan_path), "md").decode()
    plan_path.write_text(text.replace("[1, 2, 3]", "[1, 2, 9]"), encoding="utf-8")
    assert [str(p) for p in engine.validate(engine.load(plan_path))] == [
        f"{plan_path}:{text[: text.index('    responses: ')].count(chr(10)) + 1}: assessments[0].responses[2]: must be at most 3 (item 3)"
    ]


def test_hook_register_intervention_libraries(engine_with: Callable[..., txplan.Engine], example_text: str, tmp_path: Path) -> None:
    """A library entry referenced by id supplies the intervention's name and description."""
    from txplan.contracts import InterventionEntry, InterventionLibrary

    class ToyLibrary:
        __name__ = "toy-library"

        @txplan.hookimpl
        def register_intervention_libraries(self, register: Callable[[Any], None]) -> None:
            register(InterventionLibrary("toy", "Toy", [InterventionEntry("pacing", "Paced breathing", "Slow, counted breathing.")]))

    engine = engine_with(ToyLibrary())
    text = example_text.replace("library: cbt.interpersonal-effectiveness", "library: toy.pacing")
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(text, encoding="utf-8")
    rendered = engine.render(engine.load(plan_path), "md").decode()
    assert "### I4: Paced breathing" in rendered and "Slow, counted breathing." in rendered
    plan_path.write_text(plan_path.read_text(encoding="utf-8").replace("toy.pacing", "toy.pacin"), encoding="utf-8")
    [problem] = engine.validate(engine.load(plan_path))
    assert problem.message == "is not one of the 25 known values (did you mean 'toy.pacing'?)"


def test_every_hook_has_a_test_and_a_docstring() -> None:
    """Each hook in hookspecs has a docstring and a test_hook_<name> in this file (datasette's rule)."""
    hooks = [name for name in dir(hookspecs) if name.startswith("register_")]
    assert hooks
    for name in hooks:
        assert getattr(hookspecs, name).__doc__, name
        assert f"test_hook_{name}" in globals(), name


def test_duplicate_id_is_refused_naming_both_plugins() -> None:
    """The first registration wins and the clash names both plugins."""
    host = PluginHost(load_entrypoints=False, extra_plugins=[DuplicateMarkdown()])
    assert host.problems == [
        "output format 'markdown' is registered by both plugin 'txplan.plugins.formats.markdown' "
        f"(txplan {host.plugins()[0].version}) and plugin 'dup-markdown' ((registered in process) -); "
        "the one from txplan.plugins.formats.markdown is used"
    ]
    assert host.output_format("markdown").render.__name__ == "render_markdown"


def test_misbehaving_plugins_are_reported_and_the_rest_works() -> None:
    """A hook that raises, junk registrations and an unknown hook are each reported by name."""
    host = PluginHost(load_entrypoints=False, extra_plugins=[RaisingPlugin(), ExitingPlugin(), MalformedPlugin(), UnknownHookPlugin(), ShoutFormat()])
    joined = "\n".join(host.problems)
    assert "plugin 'raiser' ((registered in process) -) failed in register_output_formats: RuntimeError: boom" in joined
    assert "plugin 'exiter' ((registered in process) -) failed in register_output_formats: SystemExit (the plugin tried to end txplan)" in joined
    assert "plugin 'malformed' ((registered in process) -) registered a str in register_output_formats; expected OutputFormat" in joined
    assert "format name 'Bad Name' must be lower case letters, digits and hyphens" in joined
    assert "plugin 'unknown-hook' ((registered in process) -) implements unknown hook 'register_colours'; it was not loaded" in joined
    assert set(host.output_formats) == {"markdown", "docx", "html", "pdf", "pdf-a", "shout"}


@pytest.fixture
def installed_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two real distributions on sys.path: one whose plugin imports fine, one that blows up."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "txplan_good.py").write_text(textwrap.dedent('''
        import txplan
        from txplan.contracts import OutputFormat

        @txplan.hookimpl
        def register_output_formats(register):
            register(OutputFormat("plain", "txt", "text/plain", lambda doc: doc.markdown.encode()))
    '''), encoding="utf-8")
    (site / "txplan_bad.py").write_text("raise RuntimeError('plugin import blew up')\n", encoding="utf-8")
    for dist, module in (("txplan-good", "txplan_good"), ("txplan-bad", "txplan_bad")):
        info = site / f"{dist.replace('-', '_')}-0.0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[txplan]\n{module.split('_')[1]} = {module}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(LOAD_PLUGINS_ENV)
    yield site
    for module in ("txplan_good", "txplan_bad"):
        sys.modules.pop(module, None)


def test_entry_point_plugins_load_and_a_failing_import_is_named(installed_plugins: Path) -> None:
    """Entry-point plugins load; one that fails to import is named with its distribution and version."""
    host = PluginHost()
    assert host.problems == ["plugin 'bad' (txplan-bad 0.0.1) failed to load: RuntimeError: plugin import blew up"]
    assert "plain" in host.output_formats
    assert any(p.name == "good" and p.distribution == "txplan-good" and p.version == "0.0.1" for p in host.plugins())


def test_allow_list_and_no_plugins(installed_plugins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TXPLAN_LOAD_PLUGINS limits third-party plugins; load_entrypoints=False loads none."""
    monkeypatch.setenv(LOAD_PLUGINS_ENV, "good")
    assert PluginHost().problems == []
    assert "plain" not in PluginHost(load_entrypoints=False).output_formats


def test_plugins_command_lists_versions_and_registrations(installed_plugins: Path, run: Callable[..., Any]) -> None:
    """`txplan plugins --json` lists each plugin with its version; failures go to stderr."""
    result = run("plugins", "--json")
    assert result.code == 0
    listed = {p["name"]: p for p in json.loads(result.out)}
    assert listed["good"]["version"] == "0.0.1" and listed["good"]["registers"] == {"output format": ["plain"]}
    assert listed["txplan.plugins.formats.markdown"]["builtin"] is True
    assert "plugin 'bad' (txplan-bad 0.0.1) failed to load" in result.err
    text = run("--no-plugins", "plugins")
    assert "good" not in text.out and "txplan.plugins.formats.markdown (txplan" in text.out


@pytest.mark.parametrize("failure", [ValueError("no"), SystemExit(0)], ids=["ValueError", "SystemExit"])
def test_a_format_that_fails_while_rendering_is_named(engine_with: Callable[..., txplan.Engine], example_path: Path, failure: BaseException) -> None:
    """An exception inside a format's render function, even sys.exit(), is a PluginError naming the plugin."""

    def explode(document: RenderedDocument) -> bytes:
        raise failure

    class Exploding:
        __name__ = "exploding"

        @txplan.hookimpl
        def register_output_formats(self, register: Callable[[Any], None]) -> None:
            register(OutputFormat("explode", "x", "x/x", explode))

    engine = engine_with(Exploding())
    with pytest.raises(txplan.PluginError, match=rf"output format 'explode' from plugin 'exploding' .* failed: {type(failure).__name__}"):
        engine.render(engine.load(example_path), "explode")


def test_a_format_that_exits_while_preparing_is_named(engine_with: Callable[..., txplan.Engine]) -> None:
    """sys.exit() in a format's prepare step is a PluginError naming the format and the plugin."""

    class Quitter:
        __name__ = "quitter"

        @txplan.hookimpl
        def register_output_formats(self, register: Callable[[Any], None]) -> None:
            register(OutputFormat("quit", "q", "x/q", lambda doc: b"", prepare=lambda pack: sys.exit(3)))

    engine = engine_with(Quitter())
    with pytest.raises(txplan.PluginError, match=r"output format 'quit' from plugin 'quitter' .* failed to prepare: SystemExit"):
        engine.prepare(engine.output_format("quit"))


def test_a_check_that_exits_is_a_plugin_error(example_path: Path, engine_with: Callable[..., txplan.Engine]) -> None:
    """sys.exit() inside a plugin's check is a PluginError naming the check and the plugin."""
    import datetime as dt

    from txplan.contracts import Check, PayerProfile
    from txplan.readiness import run_checks

    def leave(context: Any) -> Any:
        sys.exit(0)

    class Leaver:
        __name__ = "leaver"

        @txplan.hookimpl
        def register_checks(self, register: Callable[[Any], None]) -> None:
            register(Check("leave", "Leaves.", "Test plugin.", leave))

    engine = engine_with(Leaver())
    profile = PayerProfile("leave-only", "Runs one check.", {"leave": "error"})
    with pytest.raises(txplan.PluginError, match=r"check 'leave' from plugin 'leaver' .* failed: SystemExit"):
        run_checks(engine, engine.load(example_path), profile, {}, dt.date(2026, 11, 27))


def test_hook_register_checks(example_path: Path, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule added by a plugin runs in `txplan check` with no change to the core."""
    from txplan.contracts import Check, Finding, PayerProfile

    def no_fax(context: Any) -> Any:
        if not context.data["practice"].get("fax"):
            yield Finding(("practice",), "the practice has no fax number")

    class FaxRule:
        __name__ = "fax-rule"

        @txplan.hookimpl
        def register_checks(self, register: Callable[[Any], None]) -> None:
            register(Check("practice-fax", "Our payer still faxes.", "Test plugin.", no_fax))

        @txplan.hookimpl
        def register_payer_profiles(self, register: Callable[[Any], None]) -> None:
            register(PayerProfile("fax-payer", "A payer that faxes.", {"practice-fax": "error", "diagnosis-primary": "error"}))

    original = PluginHost.__init__

    def with_rule(self: PluginHost, *, load_entrypoints: bool = True, extra_plugins: Any = ()) -> None:
        original(self, load_entrypoints=load_entrypoints, extra_plugins=[FaxRule()])

    monkeypatch.setattr(PluginHost, "__init__", with_rule)
    result = run("check", example_path, "--payer", "fax-payer", "--as-of", "2026-11-27")
    line = example_path.read_text(encoding="utf-8").splitlines().index("practice:") + 1
    assert result.code == 1
    assert result.out.splitlines() == [
        f"{example_path}:{line}: error: practice-fax: practice: the practice has no fax number",
        "1 error, 0 warnings (fax-payer, as of 2026-11-27)",
    ]


def test_hook_register_payer_profiles() -> None:
    """Profiles register through their hook and are checked like every registration."""
    from txplan.contracts import PayerProfile

    class Profiles:
        __name__ = "profiles"

        @txplan.hookimpl
        def register_payer_profiles(self, register: Callable[[Any], None]) -> None:
            register(PayerProfile("strict", "Everything is an error.", {"plan-current": "error"}))
            register(PayerProfile("Bad Id", "x", {"plan-current": "fatal"}))

    host = PluginHost(load_entrypoints=False, extra_plugins=[Profiles()])
    assert "strict" in host.payer_profiles and {"medicare-outpatient", "accreditation", "commercial-default"} <= set(host.payer_profiles)
    assert any("profile id 'Bad Id'" in p for p in host.problems) and any("severity 'fatal'" in p for p in host.problems)


def test_output_format_conformance_kit() -> None:
    """txplan.testing.assert_output_format_conforms passes the built-in formats and catches a non-deterministic one."""
    import itertools

    from txplan.testing import assert_output_format_conforms

    host = PluginHost(load_entrypoints=False)
    for fmt in host.output_formats.values():
        if fmt.convert_many is None:  # PDF needs LibreOffice: tests/test_pdf.py runs the kit on it
            assert_output_format_conforms(fmt)
    counter = itertools.count()
    flaky = OutputFormat("flaky", "txt", "text/plain", lambda doc: str(next(counter)).encode())
    with pytest.raises(AssertionError, match="different bytes for the same plan"):
        assert_output_format_conforms(flaky)
    # A format's extra files (render --charts) are checked too: named beside the output, stable.
    for extras, said in (([("../sample.png", b"x")], "named an extra file '../sample.png'"), (lambda: [("sample.n.txt", str(next(counter)).encode())], "different files")):
        def companions(document: Any, state: object, stem: str, extras: Any = extras) -> tuple[bytes, Any]:
            return b"main", extras() if callable(extras) else extras

        with pytest.raises(AssertionError, match=said):
            assert_output_format_conforms(OutputFormat("extras", "txt", "text/plain", lambda doc: b"main", companions=companions))


def test_testing_render_helper_uses_extra_plugins() -> None:
    """txplan.testing.render renders the sample plan with a plugin that is not installed."""
    from txplan.testing import render

    assert render(format="shout", plugins=[ShoutFormat()]).startswith(b"**HARBOUR & VINE")


# -- plugins that try to end txplan, installed as real distributions -------------------------------

def test_a_plugin_that_exits_at_import_is_reported_and_render_goes_on(install_plugin: Install, run: Callable[..., Any], example_path: Path, tmp_path: Path) -> None:
    """sys.exit(0) at import no longer ends `render` silently with nothing written: the plugin is
    reported by name and version, like an import error, and the plan is rendered."""
    install_plugin("exiter", "import sys\nsys.exit(0)\n")
    result = run("render", example_path, "-f", "md", "-o", tmp_path / "out" / "plan.md")
    assert result.code == 0
    assert "txplan: warning: plugin 'exiter' (txplan-exiter 0.0.1) failed to load: SystemExit (the plugin tried to end txplan)" in result.err
    assert (tmp_path / "out" / "plan.md").read_bytes().startswith(b"**Harbour & Vine Counselling**")


def test_ctrl_c_while_a_plugin_loads_names_the_plugin(install_plugin: Install, run: Callable[..., Any], example_path: Path, tmp_path: Path) -> None:
    """Ctrl-C (KeyboardInterrupt) at a plugin's import stops the run with exit 130, naming the
    plugin and its version; nothing is written."""
    install_plugin("sleepy", "raise KeyboardInterrupt\n")
    result = run("render", example_path, "-f", "md", "-o", tmp_path / "out" / "plan.md")
    assert result.code == 130
    assert result.err == "txplan: interrupted while loading plugin 'sleepy' (txplan-sleepy 0.0.1); nothing was written\n"
    assert not (tmp_path / "out").exists()


def test_ctrl_c_in_a_registration_hook_names_the_plugin() -> None:
    """KeyboardInterrupt inside a plugin's hook is still an interruption, with the plugin named."""

    class Interrupting:
        __name__ = "interrupting"

        @txplan.hookimpl
        def register_checks(self, register: Callable[[Any], None]) -> None:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        PluginHost(load_entrypoints=False, extra_plugins=[Interrupting()])
    assert caught.value.message == "interrupted while plugin 'interrupting' ((registered in process) -) ran register_checks; nothing was written"
    assert caught.value.exit_code == 130


TOY_INSTRUMENT = """
    import sys

    import txplan
    from txplan.contracts import Instrument, ScoreResult

    def score(data):
        {body}

    @txplan.hookimpl
    def register_instruments(register):
        register(Instrument(
            id="toy-3", name="Toy three-item scale", citation="Made up for txplan's tests.", licence="Public domain.",
            schema={{"type": "object", "required": ["responses"], "properties": {{"responses": {{
                "type": "array", "description": "Three ratings 0-3.", "minItems": 3, "maxItems": 3,
                "items": {{"type": "integer", "minimum": 0, "maximum": 3}}}}}}}},
            score=score,
        ))
"""


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("raise ValueError(f'bad answers {data[\"responses\"]}')", "failed while scoring: ValueError"),
        ("sys.exit(0)", "failed while scoring: SystemExit (the plugin tried to end txplan)"),
        ("return {'total': 6}", "returned dict from its scorer, not ScoreResult"),
    ],
    ids=["raises", "exits", "wrong-type"],
)
def test_a_failing_scorer_is_a_plugin_error_naming_plugin_and_instrument(
    install_plugin: Install, run: Callable[..., Any], example_text: str, tmp_path: Path, body: str, named: str
) -> None:
    """A plugin instrument whose scorer raises, exits or returns junk stops `render`, `check`
    and `score` with exit 3 naming the instrument, the plugin and its version (not exit 70
    naming one of txplan's files), with no answer quoted and nothing written."""
    install_plugin("toy", TOY_INSTRUMENT.format(body=body))
    plan = tmp_path / "plan.yaml"
    plan.write_text(example_text.replace("assessments:\n", "assessments:\n  - instrument: toy-3\n    date: 2026-09-01\n    responses: [1, 2, 3]\n", 1), encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text("[1, 2, 3]\n", encoding="utf-8")
    expected = f"txplan: error: instrument 'toy-3' from plugin 'toy' (txplan-toy 0.0.1) {named}"
    for args in (("render", plan, "-f", "md", "-o", tmp_path / "out" / "plan.md"), ("check", plan), ("score", "toy-3", answers)):
        result = run(*args)
        assert (result.code, result.err.splitlines()[0][: len(expected)]) == (3, expected), args
        assert "[1, 2, 3]" not in result.err
    assert not (tmp_path / "out").exists()
