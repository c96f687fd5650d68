"""The documentation cannot drift from the code: every hook in txplan.hookspecs is documented in
docs/plugins.md with its exact signature, and the examples there run; the README's command list
matches the CLI's subcommands and its hook list matches the hookspecs."""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from txplan import hookspecs

ROOT = Path(__file__).resolve().parent.parent
PLUGINS_DOC = ROOT / "docs" / "plugins.md"
README = ROOT / "README.md"

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def hooks() -> dict[str, Any]:
    """Every hook txplan declares: the functions marked as hook specifications."""
    found = {
        name: function
        for name, function in vars(hookspecs).items()
        if inspect.isfunction(function) and hasattr(function, f"{hookspecs.PROJECT_NAME}_spec")
    }
    assert found, "no hook specifications found in txplan.hookspecs"
    return found


def _annotation(value: Any) -> str:
    # hookspecs uses `from __future__ import annotations`, so annotations are the source text.
    return value if isinstance(value, str) else inspect.formatannotation(value)


def signature_text(name: str, function: Any) -> str:
    """``name(param: Annotation, ...) -> Return`` as the hook reference writes it."""
    signature = inspect.signature(function)
    params = []
    for param in signature.parameters.values():
        text = param.name if param.annotation is param.empty else f"{param.name}: {_annotation(param.annotation)}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        params.append(text)
    returns = "" if signature.return_annotation is signature.empty else f" -> {_annotation(signature.return_annotation)}"
    return f"{name}({', '.join(params)}){returns}"


def doc_sections(text: str) -> dict[str, str]:
    """The text under each ``## heading`` of a Markdown document."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {heading.strip(): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def documented_hooks() -> dict[str, tuple[str, list[str]]]:
    """For each hook section of docs/plugins.md: its signature line and its example blocks."""
    out = {}
    for heading, body in doc_sections(PLUGINS_DOC.read_text(encoding="utf-8")).items():
        if not re.fullmatch(r"register_\w+", heading):
            continue
        blocks = [code for language, code in FENCE.findall(body) if language == "python"]
        assert blocks, f"docs/plugins.md: section {heading} has no signature block"
        out[heading] = (blocks[0].strip(), blocks[1:])
    return out


def test_every_hook_is_documented_with_its_signature() -> None:
    documented = documented_hooks()
    declared = hooks()
    assert sorted(declared) == sorted(documented), "docs/plugins.md must have one '## <hook>' section per hook in txplan.hookspecs"
    for name, function in declared.items():
        assert documented[name][0] == signature_text(name, function), f"docs/plugins.md: the signature of {name} differs from txplan.hookspecs"


def test_every_hook_has_a_docstring() -> None:
    for name, function in hooks().items():
        assert (function.__doc__ or "").strip(), f"hookspec {name} has no docstring"


def test_signature_check_notices_a_difference() -> None:
    """The comparison above is not vacuous: a changed parameter changes the text."""

    def register_instruments(register: Any, extra: int = 1) -> None:  # a drifted hook
        """Drifted."""

    documented = documented_hooks()["register_instruments"][0]
    assert signature_text("register_instruments", register_instruments) != documented


def _examples() -> list[tuple[str, str]]:
    return [(name, code) for name, (_, blocks) in sorted(documented_hooks().items()) for code in blocks]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("hook", "code"), _examples(), ids=[name for name, _ in _examples()])
def test_hook_example_runs_and_registers(hook: str, code: str, tmp_path: Path) -> None:
    """Each example is a whole plugin module: run as a script (in a fresh folder, against the
    installed txplan) it exits 0, and its hook registers objects the core accepts."""
    path = tmp_path / f"{hook}_example.py"
    path.write_text(code, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"the {hook} example in docs/plugins.md failed:\n{result.stderr}"
    implementation = getattr(_load(path), hook, None)
    assert implementation is not None, f"the {hook} example does not implement {hook}"
    registered: list[Any] = []
    implementation(register=registered.append)
    assert registered, f"the {hook} example registered nothing"
    for obj in registered:
        assert obj.problems() == [], f"the {hook} example registered a malformed {type(obj).__name__}"


def test_every_hook_has_an_example() -> None:
    assert {name for name, _ in _examples()} == set(hooks())


# -- README -----------------------------------------------------------------------------------


def cli_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser, found in txplan.cli by what it returns."""
    from txplan import cli

    for name, value in vars(cli).items():
        if "parser" in name.lower() and inspect.isfunction(value) and value.__module__ == cli.__name__:
            try:
                parser = value()
            except TypeError:
                continue
            if isinstance(parser, argparse.ArgumentParser):
                return parser
    raise AssertionError("no function in txplan.cli builds the argument parser")


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A parser's subcommands by name (aliases included)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def option_groups(parser: argparse.ArgumentParser) -> list[set[str]]:
    """Each option of a parser with its spellings (``{"-o", "--output"}``)."""
    return [set(action.option_strings) for action in parser._actions if action.option_strings]


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for group in option_groups(parser) for option in group}


#: Options every command takes, which the README names once under the list.
COMMON_OPTIONS = {"-h", "--help", "--debug", "--no-plugins"}


def readme_command_lines() -> dict[str, str]:
    """``txplan <command> ...`` lines of the README's command list, by command."""
    body = doc_sections(README.read_text(encoding="utf-8"))["Commands"]
    block = FENCE.search(body)
    assert block is not None, "README: the Commands section has no command list"
    lines = {}
    for line in block.group(2).splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "txplan":
            lines[words[1]] = line
    return lines


def test_readme_lists_every_command() -> None:
    assert sorted(readme_command_lines()) == sorted(subcommands(cli_parser()))


def test_readme_command_options_match_the_cli() -> None:
    """Every option a command takes is in its README line (in one of its spellings), and the
    README names no option the command does not take."""
    commands = subcommands(cli_parser())
    for name, line in readme_command_lines().items():
        parser = commands[name]
        written = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line))
        parsers = [parser]
        for sub_name, sub_parser in subcommands(parser).items():
            assert re.search(rf"\b{sub_name}\b", line), f"README: 'txplan {name}' does not list '{sub_name}'"
            parsers.append(sub_parser)
        groups = [group for each in parsers for group in option_groups(each) if not group & COMMON_OPTIONS]
        missing = [sorted(group) for group in groups if not group & written]
        assert not missing, f"README: 'txplan {name}' does not show the options {missing}"
        unknown = written - {option for group in groups for option in group}
        assert not unknown, f"README: 'txplan {name}' shows options the CLI does not take: {sorted(unknown)}"


def test_readme_common_options_exist() -> None:
    """The options the README says every command takes, each command takes."""
    for name, parser in subcommands(cli_parser()).items():
        if not subcommands(parser):
            assert COMMON_OPTIONS <= options(parser), f"'txplan {name}' lacks a common option"


def test_readme_lists_every_hook() -> None:
    body = doc_sections(README.read_text(encoding="utf-8"))["Plugins"]
    named = set(re.findall(r"`(register_\w+)`", body))
    assert named == set(hooks()), "README: the Plugins section must name every hook in txplan.hookspecs, and no other"


# -- docs/sources --------------------------------------------------------------------------------

SOURCES = ROOT / "docs" / "sources"
#: Where the repository's own text lives (tests are left out: they hold the guards' patterns).
REPOSITORY_TEXT = ("README.md", "Makefile", "pyproject.toml", "NOTICE", "core", "plugins", "schemas", "template_packs", "examples", "docs", "scripts", "benchmarks")


def _repository_text_files() -> list[Path]:
    files = []
    for name in REPOSITORY_TEXT:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [p for p in candidates if p.suffix in (".py", ".md", ".j2", ".yaml", ".json", ".toml", "") and "__pycache__" not in p.parts]
    return files


def test_repository_cites_no_file_outside_it(internal_notes: re.Pattern[str]) -> None:
    hits = []
    for path in _repository_text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if internal_notes.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert hits == [], "\n".join(hits)


def test_every_builtin_instrument_has_its_sources_section() -> None:
    """docs/sources/instrument-scoring.md has a section for each built-in instrument, by id."""
    from txplan.plugin_host import PluginHost

    text = (SOURCES / "instrument-scoring.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## .+\(`([a-z0-9-]+)`\)$", text, flags=re.MULTILINE))
    builtin = set(PluginHost(load_entrypoints=False).instruments)
    assert documented == builtin


def test_every_builtin_check_is_placed_in_the_sources() -> None:
    """Each built-in check appears in docs/sources (payer rules or codes) beside the rule it rests on."""
    from txplan.plugin_host import PluginHost

    text = "".join((SOURCES / name).read_text(encoding="utf-8") for name in ("payer-rules.md", "codes.md"))
    missing = sorted(check for check in PluginHost(load_entrypoints=False).checks if f"`{check}`" not in text)
    assert missing == []


def test_sources_links_resolve() -> None:
    """Relative links in docs/ and the README point at files that exist."""
    broken = []
    for path in [README, *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            if "://" not in target and not (path.parent / target).exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert broken == []


# -- exit codes ---------------------------------------------------------------------------------


def exit_codes() -> set[int]:
    from txplan import errors

    return {value for name, value in vars(errors).items() if name.startswith("EXIT_") and isinstance(value, int)}


def test_readme_lists_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    paragraph = text[text.index("Exit codes:") :].split("\n\n")[0]
    assert {int(code) for code in re.findall(r"`(\d+)`", paragraph)} == exit_codes()


def test_architecture_lists_every_exit_code() -> None:
    table = doc_sections((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))["Contracts"]
    rows = re.findall(r"^\| ([\d, ]+) \|", table, flags=re.MULTILINE)
    assert {int(code) for row in rows for code in row.split(",")} == exit_codes()


# -- docs/architecture.md ------------------------------------------------------------------------


def test_architecture_module_map_matches_the_package() -> None:
    """The module map names every module of the core, and only modules that exist, so a module
    added, split or renamed shows up in the map a newcomer reads."""
    import txplan

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    mapped = {name for cell in re.findall(r"^\| (`[^|]+`) \|", doc_sections(text)["Module map"], flags=re.MULTILINE) for name in re.findall(r"`([a-z_]+)", cell)}
    package = Path(txplan.__file__).parent
    # The core's modules and its sub-packages (commands/, fhir/, ...), not the other packages
    # the wheel installs under txplan (plugins, packs, schemas, the example).
    others = {"plugins", "schemas", "template_packs", "examples"}
    modules = {path.stem for path in package.glob("*.py")} | {p.name for p in package.iterdir() if (p / "__init__.py").is_file() and p.name not in others}
    assert sorted(mapped - modules) == [], "docs/architecture.md maps modules that do not exist"
    assert sorted(modules - mapped) == [], "docs/architecture.md's module map leaves these modules out"
