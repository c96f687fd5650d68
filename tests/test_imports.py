"""What may import what, read from the installed package's source (every import statement,
also those inside functions): no import cycle anywhere in the package, and nothing outside the
command line (``txplan.cli``, ``txplan.commands``) imports it, so the core and the plugins can be
used without it and never reach back into it. Also: loading a plan pulls in no template engine
and no schema validator."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import txplan

#: The command-line layer: it imports the core; the core never imports it.
CLI_MODULES = ("txplan.cli", "txplan.commands")


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package installed at ``root``, by dotted name."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """For each module, the modules of the package it imports anywhere in its source. Importing
    a module's own parent packages is implicit in Python and not counted."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for target in targets:
                # `from . import x` names a submodule; `from .x import y` names x (y is an attribute).
                if target in graph and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (strongly
    connected components of more than one module, by Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, neighbours = work[-1]
            for other in neighbours:
                if other not in index:
                    index[other] = low[other] = len(index)
                    stack.append(other)
                    on_stack.add(other)
                    work.append((other, iter(sorted(graph[other]))))
                    break
                if other in on_stack:
                    low[node] = min(low[node], index[other])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def installed_graph() -> dict[str, set[str]]:
    return import_graph(module_files(Path(txplan.__file__).parent, "txplan"))


def is_cli(module: str) -> bool:
    return any(module == cli or module.startswith(cli + ".") for cli in CLI_MODULES)


def test_the_package_has_no_import_cycle() -> None:
    """A cycle (the batch workers once imported the render command, which imported them back)
    makes the import order decide what works; there is none."""
    assert cycles(installed_graph()) == []


def test_nothing_outside_the_command_line_imports_it() -> None:
    """The core and the plugins never import `txplan.cli` or `txplan.commands`: what the
    commands share lives in the core (txplan.jobs), and the command line only parses and prints."""
    graph = installed_graph()
    offenders = {name: sorted(d for d in deps if is_cli(d)) for name, deps in graph.items() if not is_cli(name)}
    assert {name: deps for name, deps in offenders.items() if deps} == {}
    assert any(is_cli(d) for d in graph["txplan.cli"]), "the graph must see the command line's own imports"


def test_the_checks_above_find_what_they_guard_against(tmp_path: Path) -> None:
    """A made-up package with a cycle through a function-level import, and a core module that
    imports the command line, is caught by the same code."""
    root = tmp_path / "pkg"
    (root / "commands").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "commands" / "__init__.py").write_text("")
    (root / "commands" / "render.py").write_text("from .. import batch\n")
    (root / "batch.py").write_text("def work():\n    from .commands.render import run\n")
    (root / "jobs.py").write_text("from . import errors\n")
    (root / "errors.py").write_text("import txplan\n")
    graph = import_graph(module_files(root, "pkg"))
    assert cycles(graph) == [["pkg.batch", "pkg.commands.render"]]
    assert graph["pkg.batch"] == {"pkg.commands.render"}
    assert graph["pkg.jobs"] == {"pkg.errors"}


def test_loading_a_plan_needs_no_templates_or_schema_validator(example_path: Path) -> None:
    """`txplan.load_plan()` builds no engine part: Jinja2 and jsonschema are not even imported."""
    probe = (
        "import sys, txplan; txplan.load_plan(sys.argv[1]); "
        "print(sorted(m for m in ('jinja2', 'jsonschema', 'docx', 'lxml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(example_path)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_validate_builds_no_templates(example_path: Path) -> None:
    """`txplan validate` needs plugins, schema and validator, not the pack's templates: Jinja2 is
    never imported, nor the Word writer's libraries."""
    probe = (
        "import sys; from txplan.cli import main; code = main(['validate', sys.argv[1]]); "
        "print(code, sorted(m for m in ('jinja2', 'docx', 'lxml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(example_path)], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"


def test_rendering_word_imports_no_network_modules(example_path: Path, tmp_path: Path) -> None:
    """`txplan render -f docx` escapes XML itself: no `xml.sax.saxutils`, which would pull in
    urllib, http.client and ssl (about 9 ms of every start) for one function."""
    probe = (
        "import sys; from txplan.cli import main; code = main(['render', sys.argv[1], '-f', 'docx', '-o', sys.argv[2]]); "
        "print(code, sorted(m for m in ('xml.sax', 'ssl', 'http.client', 'urllib.request') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(example_path), str(tmp_path / "plan.docx")], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"
