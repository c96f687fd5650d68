"""The seams between the core and its plugins: what a format may read (a typed pack view and
render context), state a format prepares once per pack, hooks called through pluggy, settings a
pack names instead of the core, rules refused when no plugin provides them, and a core that
names no built-in plugin."""

from __future__ import annotations

import ast
import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

import txplan
from txplan.contracts import OutputFormat, PackFile, PackView, PayerProfile, RenderContext, RenderedDocument
from txplan.errors import EXIT_BAD_PACK_OR_PLUGIN, PackError, PluginError
from txplan.packs import resolve_pack
from txplan.plugin_host import LOAD_PLUGINS_ENV, PluginHost, builtin_plugin_modules
from txplan.readiness import select_profile


class Stateful:
    """A format with ``prepare``: counts how often it prepares and hands its state to render."""

    __name__ = "stateful-format"

    def __init__(self) -> None:
        self.prepared: list[PackView] = []
        self.seen: list[tuple[RenderedDocument, object]] = []

    def prepare(self, pack: PackView) -> object:
        """Remember the pack view; the state is a fresh object per call."""
        self.prepared.append(pack)
        return object()

    def render(self, document: RenderedDocument, state: object) -> bytes:
        """Remember what render was given."""
        self.seen.append((document, state))
        return document.title.encode()

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Register ``stateful``."""
        register(OutputFormat("stateful", "txt", "text/plain", self.render, prepare=self.prepare))


def test_prepare_runs_once_per_pack_and_its_state_reaches_every_render(engine_with: Callable[..., txplan.Engine], example_path: Path) -> None:
    """Three plans through one engine: ``prepare`` ran once, with the pack view, and each render got its state."""
    plugin = Stateful()
    engine = engine_with(plugin)
    for _ in range(3):
        assert engine.render(engine.load(example_path), "stateful") == b"Treatment Plan"
    assert len(plugin.prepared) == 1 and len(plugin.seen) == 3
    (state,) = {id(state) for _, state in plugin.seen}
    assert state == id(engine.prepare(engine.output_format("stateful")))


def test_a_format_sees_a_typed_pack_view_and_render_context(engine_with: Callable[..., txplan.Engine], example_path: Path) -> None:
    """The document a format gets carries a PackView (no manifest, no folder) and a RenderContext."""
    plugin = Stateful()
    engine = engine_with(plugin, pack="harbour-group")
    engine.render(engine.load(example_path), "stateful")
    document, _ = plugin.seen[0]
    pack, context = document.pack, document.context
    assert isinstance(pack, PackView) and isinstance(context, RenderContext)
    assert not hasattr(pack, "manifest") and not hasattr(pack, "root") and not hasattr(pack, "chain")
    assert pack.name == "harbour-group" and pack.labels["title"] == "Individualized Treatment Plan"
    assert pack.practice["name"] == "Harbour & Vine Counselling Group" and "logo" not in pack.practice
    assert pack.sections[:3] == ("letterhead", "client_profile", "alerts")
    reference = pack.find_file("reference.docx")
    assert isinstance(reference, PackFile) and reference.pack == "default" and reference.read()[:2] == b"PK"
    logo = pack.find_logo()
    assert logo is not None and (logo.pack, logo.name) == ("harbour-group", "logo.png") and logo.read()[:4] == b"\x89PNG"
    assert pack.find_file("no-such-file.txt") is None
    with pytest.raises(PackError, match="template pack 'harbour-group'"):
        pack.find_file("../harbour_group/pack.yaml")
    assert context.title == "Individualized Treatment Plan" and context.client["name"]
    assert context.letterhead["name"] == "Harbour & Vine Counselling Group" and context.start_date == "2026-09-14"


def test_the_word_format_reads_the_reference_document_once_per_pack(engine_with: Callable[..., txplan.Engine], example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three Word documents from one engine check the reference document once, not per document."""
    from txplan.plugins.formats import docx as word

    calls: list[Path] = []
    load = word.load_reference

    def counting(path: Path) -> Any:
        calls.append(path)
        return load(path)

    monkeypatch.setattr(word, "load_reference", counting)
    engine = engine_with()
    outputs = {engine.render(engine.load(example_path), "docx") for _ in range(3)}
    assert len(calls) == 1 and len(outputs) == 1


class Watcher:
    """A plugin that only wraps ``register_output_formats`` (a pluggy wrapper), recording each call."""

    __name__ = "watcher"

    def __init__(self) -> None:
        self.calls = 0
        self.failures: list[str] = []

    @txplan.hookimpl(wrapper=True)
    def register_output_formats(self, register: Callable[[Any], None]) -> Iterator[None]:
        """Count the call; record the failure of the plugin inside, and let it through."""
        self.calls += 1
        try:
            return (yield)
        except Exception as exc:
            self.failures.append(str(exc))
            raise


class Raiser:
    """Fails in its hook."""

    __name__ = "raiser"

    @txplan.hookimpl
    def register_output_formats(self, register: Callable[[Any], None]) -> None:
        """Fail on purpose."""
        raise RuntimeError("boom")


def test_hook_wrappers_see_every_plugin_call_and_failures_stay_isolated() -> None:
    """A pluggy wrapper wraps each plugin's registration call; a failing plugin is still named and the others count."""
    watcher = Watcher()
    host = PluginHost(load_entrypoints=False, extra_plugins=[watcher, Raiser(), Stateful()])
    providers = [p for p in host.pm.hook.register_output_formats.get_hookimpls() if not p.wrapper]
    assert watcher.calls == len(providers) == 6  # markdown, docx, html, pdf, raiser, stateful: one call each
    assert watcher.failures == ["boom"]
    assert {"markdown", "docx", "stateful"} <= set(host.output_formats)
    assert any("plugin 'raiser'" in p and "RuntimeError: boom" in p for p in host.problems)
    assert not any("watcher" in p for p in host.problems)


def test_hook_call_monitoring_sees_each_registration_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """pluggy's hook-call monitoring sees every registration hook, one plugin per call, built-ins in order."""
    seen: list[tuple[str, list[str]]] = []

    class Monitored(pluggy.PluginManager):
        def __init__(self, project_name: str) -> None:
            super().__init__(project_name)
            self.add_hookcall_monitoring(lambda name, impls, kwargs: seen.append((name, [i.plugin_name for i in impls])), lambda *a: None)

    monkeypatch.setattr(pluggy, "PluginManager", Monitored)
    PluginHost(load_entrypoints=False)
    formats = [plugins for name, plugins in seen if name == "register_output_formats"]
    modules = builtin_plugin_modules()
    assert formats == [[modules[0]], [modules[1]], [modules[2]], [modules[3]]]
    for hook in ("register_instruments", "register_intervention_libraries", "register_template_packs", "register_checks", "register_payer_profiles"):
        assert [name for name, _ in seen].count(hook) >= 1, hook


class TypoProfile:
    """Registers a payer profile that names a rule nobody provides, and a rule no profile runs."""

    __name__ = "typo-profile"

    @txplan.hookimpl
    def register_payer_profiles(self, register: Callable[[Any], None]) -> None:
        """A profile with one real and one misspelt rule."""
        register(PayerProfile("typo-payer", "A payer with a typo.", {"diagnosis-primary": "error", "diagnosis-primry": "error"}))


def test_a_profile_naming_an_unknown_rule_is_refused(engine_with: Callable[..., txplan.Engine]) -> None:
    """Selecting a profile with a rule no plugin provides is a PluginError (exit 3) naming the profile and its plugin."""
    engine = engine_with(TypoProfile())
    with pytest.raises(PluginError) as raised:
        select_profile(engine, "typo-payer")
    assert raised.value.exit_code == EXIT_BAD_PACK_OR_PLUGIN == 3
    assert "payer profile 'typo-payer' from plugin 'typo-profile'" in raised.value.message
    assert "diagnosis-primry" in raised.value.message and "diagnosis-primary," not in raised.value.message
    profile, _ = select_profile(engine, "commercial-default")  # the built-in profiles are whole
    assert profile.id == "commercial-default"


@pytest.fixture
def rule_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution whose plugin adds a rule no profile runs and a profile with a misspelt rule."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "txplan_rules.py").write_text(textwrap.dedent('''
        import txplan
        from txplan.contracts import Check, PayerProfile

        @txplan.hookimpl
        def register_checks(register):
            register(Check("lonely-rule", "Nobody runs it.", "A test.", lambda context: []))

        @txplan.hookimpl
        def register_payer_profiles(register):
            register(PayerProfile("typo-payer", "A payer with a typo.", {"diagnosis-primry": "error"}))
    '''), encoding="utf-8")
    info = site / "txplan_rules-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: txplan-rules\nVersion: 0.0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[txplan]\nrules = txplan_rules\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(LOAD_PLUGINS_ENV, "rules")
    yield site
    sys.modules.pop("txplan_rules", None)


def test_check_with_a_profile_naming_an_unknown_rule_exits_3(rule_plugins: Path, run: Callable[..., Any], example_path: Path) -> None:
    """`txplan check --payer` with such a profile exits 3 before judging, naming the profile, its plugin and the rule."""
    result = run("check", example_path, "--payer", "typo-payer")
    assert result.code == 3 and result.out == ""
    assert "payer profile 'typo-payer' from plugin 'rules' (txplan-rules 0.0.1) names rules no plugin provides: diagnosis-primry" in result.err
    assert run("render", example_path, "--check", "--payer", "typo-payer", "-o", rule_plugins / "out").code == 3
    assert not (rule_plugins / "out").exists()


def test_plugins_lists_rules_no_profile_runs(rule_plugins: Path, run: Callable[..., Any]) -> None:
    """`txplan plugins` (text and JSON) names the rule no profile runs and the profile's unknown rule."""
    text = run("plugins")
    assert "    checks no payer profile runs: lonely-rule" in text.out
    assert "    payer profile typo-payer names rules no plugin provides: diagnosis-primry" in text.out
    listed = {p["name"]: p for p in json.loads(run("plugins", "--json").out)}
    assert listed["rules"]["checks_no_profile_runs"] == ["lonely-rule"]
    assert listed["rules"]["profiles_naming_unknown_rules"] == {"typo-payer": ["diagnosis-primry"]}
    assert all(p["checks_no_profile_runs"] == [] for name, p in listed.items() if name != "rules")


def test_a_pack_names_its_default_format_and_profile(tmp_path: Path, run: Callable[..., Any], example_path: Path) -> None:
    """`render` without --format writes the pack's render.format; `check` without --payer uses its check.profile."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: p\nversion: '1'\nrender:\n  format: md\ncheck:\n  profile: accreditation\n", encoding="utf-8")
    assert run("render", example_path, "--pack", pack, "-o", f"{tmp_path / 'out'}/").code == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"{example_path.stem}.md"]
    assert run("render", example_path, "-o", f"{tmp_path / 'default'}/").code == 0
    assert [p.name for p in (tmp_path / "default").iterdir()] == [f"{example_path.stem}.docx"]
    judged = run("check", example_path, "--pack", pack, "--as-of", "2026-10-01")
    assert "(accreditation, as of 2026-10-01)" in judged.out
    assert "(commercial-default, as of 2026-10-01)" in run("check", example_path, "--as-of", "2026-10-01").out


def test_the_schema_defaults_are_the_default_packs_settings() -> None:
    """The defaults pack.schema.json declares are what the default pack names, and what a pack without them gets."""
    from importlib import resources

    schema = json.loads(resources.files("txplan.schemas").joinpath("pack.schema.json").read_text(encoding="utf-8"))
    host = PluginHost(load_entrypoints=False)
    default = resolve_pack(None, host.template_packs)
    for group, key in (("render", "format"), ("check", "profile")):
        declared = schema["properties"][group]["properties"][key]["default"]
        assert default.manifest[group][key] == declared == default.setting(group, key)
    assert default.setting("render", "format") in host.output_formats
    assert default.setting("check", "profile") in host.payer_profiles


def test_a_pack_cannot_drop_a_section_a_pack_it_extends_always_renders(tmp_path: Path) -> None:
    """always_sections accumulate along the chain: a child's own list adds, never removes."""
    host = PluginHost(load_entrypoints=False)
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text(
        "name: p\nversion: '1'\nsections: [goals, signatures]\nalways_sections:\n  - name: strengths\n    after: goals\n", encoding="utf-8"
    )
    assert resolve_pack(str(pack), host.template_packs).rendered_sections == ["alerts", "goals", "strengths", "signatures"]


def _context_keys(example_path: Path) -> set[str]:
    """The names the core itself gives render-context values (``plan.goals``, ``letterhead``):
    those are the core's words, whatever a pack calls its sections."""
    engine = txplan.Engine()
    document = engine.render_document(engine.load(example_path))
    return set(document.context.plan) | set(RenderContext.__dataclass_fields__) | {"plan"}


#: Words of the core's own languages that are also built-in ids, each allowed in one module only:
#: the base pack every pack extends (``extends`` defaults to it, templates include
#: ``default:<template>``) and the JSON Schema keyword ``default``; the post-nominal "MD" (Doctor
#: of Medicine) among the titles de-identification strips from names; the template filter
#: ``markdown`` (Markdown in a plan's free text), which is not the output format.
ALLOWED = {("packs.py", "default"), ("cli.py", "default"), ("templating.py", "markdown"), ("deidentify.py", "md")}


def test_no_core_module_names_a_builtin_plugin(example_path: Path) -> None:
    """No core module (the installed package, less its plugins) names a built-in plugin's id, a
    section of a built-in pack, or a built-in plugin's module: each belongs to its plugin or pack.
    The names come from the plugins themselves."""
    host = PluginHost(load_entrypoints=False)
    ids = {alias for fmt in host.output_formats.values() for alias in (fmt.name, *fmt.aliases)}
    ids |= {*host.instruments, *host.intervention_libraries, *host.template_packs, *host.checks, *host.payer_profiles}
    sections = {s for name in host.template_packs for s in resolve_pack(name, host.template_packs).rendered_sections}
    from txplan.documents import KINDS

    # The document kinds (plan, review, discharge) are the core's own words, like its context keys.
    names = ids | (sections - _context_keys(example_path) - set(KINDS))
    modules = builtin_plugin_modules()
    plugins_package = modules[0].rsplit(".", 2)[0]
    assert len(ids) > 30 and "client_profile" in names and plugins_package == "txplan.plugins"
    core = Path(txplan.__file__).parent
    found = []
    for path in sorted([*core.glob("*.py"), *core.glob("commands/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if (node.value in names and (path.name, node.value) not in ALLOWED) or plugins_package in node.value:
                    found.append(f"{path.name}:{node.lineno}: {node.value!r}")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                imported = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if any(m.startswith(plugins_package) or (isinstance(node, ast.ImportFrom) and node.level and m.startswith("plugins")) for m in imported):
                    found.append(f"{path.name}:{node.lineno}: import {imported}")
    assert found == []


def test_pack_check_names_a_format_or_profile_no_plugin_provides(tmp_path: Path, run: Callable[..., Any]) -> None:
    """`pack check` reports a render.format or check.profile that is not installed (exit 3)."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: p\nversion: '1'\nrender:\n  format: rtf\ncheck:\n  profile: no-such-payer\n", encoding="utf-8")
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "template pack 'p': render.format 'rtf' is not an installed output format" in result.err
    assert "template pack 'p': check.profile 'no-such-payer' is not an installed payer profile" in result.err
    (pack / "pack.yaml").write_text("name: p\nversion: '1'\nrender:\n  format: word\n", encoding="utf-8")
    assert run("pack", "check", pack).code == 0


def test_builtin_plugins_are_found_the_same_way_with_or_without_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast read of txplan's entry_points.txt and importlib.metadata name the same built-in modules."""
    from txplan import plugin_host

    fast = plugin_host.builtin_plugin_modules()
    monkeypatch.setattr(plugin_host, "_entry_point_section", lambda text, group: [])
    assert plugin_host.builtin_plugin_modules() == fast
    assert fast[0].endswith(".markdown") and len(fast) == len(set(fast)) >= 16
