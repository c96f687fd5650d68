"""The command line: every command, every exit code, and the output rules (atomic, 0600, the
input never overwritten, nothing written for a plan that fails)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan import output

Run = Callable[..., Any]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder for the command to write into."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def files_in(folder: Path) -> list[str]:
    """Every file below ``folder``, relative, sorted (temporary files included)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_render_writes_word_to_the_current_folder_by_default(run: Run, work: Path, example_path: Path) -> None:
    """By default the output is <plan-stem>.docx in the current folder, mode 0600."""
    result = run("render", example_path)
    assert result.code == 0, result.err
    assert result.out == "wrote attachment-plan.docx\n"
    written = work / "attachment-plan.docx"
    assert written.read_bytes()[:2] == b"PK"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert run("render", example_path, "-f", "md").out == "wrote attachment-plan.md\n"
    assert (work / "attachment-plan.md").read_text(encoding="utf-8").startswith("**Harbour & Vine Counselling**")


def test_outputs_are_0600_even_with_a_permissive_umask(run: Run, work: Path, example_path: Path) -> None:
    """Outputs hold health information: 0600 whatever the umask."""
    old = os.umask(0)
    try:
        assert run("render", example_path, "-f", "docx,md", "-o", "out/").code == 0
    finally:
        os.umask(old)
    assert files_in(work / "out") == ["attachment-plan.docx", "attachment-plan.md"]
    for name in files_in(work / "out"):
        assert stat.S_IMODE((work / "out" / name).stat().st_mode) == 0o600


def test_output_path_rules(run: Run, work: Path, example_path: Path) -> None:
    """-o is a file for one plan in one format, a folder (created) otherwise or when it ends in /."""
    assert run("render", example_path, "-f", "md", "-o", "plan.md").code == 0
    assert (work / "plan.md").is_file()
    assert run("render", example_path, "-f", "markdown,md", "-o", "nested/deeper/").code == 0  # md is markdown's alias
    assert files_in(work / "nested") == ["deeper/attachment-plan.md"]
    second = work / "second.yaml"
    second.write_bytes(example_path.read_bytes())
    assert run("render", example_path, second, "-o", "many").code == 0
    assert files_in(work / "many") == ["attachment-plan.docx", "second.docx"]


def test_input_is_never_overwritten(run: Run, work: Path, example_path: Path) -> None:
    """An output path equal to an input plan is refused before anything is written."""
    plan = work / "plan.md"
    plan.write_bytes(example_path.read_bytes())
    before = plan.read_bytes()
    result = run("render", plan, "-o", plan)
    assert result.code == 2
    assert "is the input plan" in result.err
    assert plan.read_bytes() == before


def test_two_plans_with_the_same_name_are_refused(run: Run, work: Path, example_path: Path) -> None:
    """a/plan.yaml and b/plan.yaml would overwrite each other's output: refused."""
    for folder in ("a", "b"):
        (work / folder).mkdir()
        (work / folder / "plan.yaml").write_bytes(example_path.read_bytes())
    result = run("render", "a/plan.yaml", "b/plan.yaml", "-o", "out")
    assert result.code == 2 and "would both be written to out/plan.docx" in result.err
    assert not (work / "out").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "plan.yaml: is empty"),
        (b"\x00\x01binary", "plan.yaml: is a binary file"),
        ("client:\n  name: Am\xe9lie\n".encode("latin-1"), "plan.yaml:2: is not UTF-8 text"),
        (b"- a list\n", "plan.yaml:1: top level must be a mapping of fields, found a list"),
        (b"a: 1\n---\nb: 2\n", "holds more than one YAML document"),
        (b"a: 1\na: 2\n", "plan.yaml:2: a: duplicate key 'a' (first on line 1)"),
        (b"a: &x 1\nb: *x\n", "plan.yaml:1: YAML anchors (&x) are not allowed"),
        (b"a: " + b"[" * 500 + b"]" * 500 + b"\n", "is nested too deeply"),
        (b"a: !!python/object/apply:os.system ['true']\n", "plan.yaml:1: a: unsupported YAML tag"),
    ],
)
def test_bad_plan_files_exit_2_with_no_output(run: Run, work: Path, content: bytes, expected: str) -> None:
    """Each bad file: its message, exit 2, no traceback, and no output file."""
    (work / "plan.yaml").write_bytes(content)
    result = run("render", "plan.yaml", "-o", "out/")
    assert result.code == 2
    assert expected in result.err
    assert "Traceback" not in result.err
    assert not (work / "out").exists()
    assert run("validate", "plan.yaml").code == 2


def test_invalid_plan_lists_every_problem_and_writes_nothing(run: Run, work: Path, example_text: str) -> None:
    """Schema and text problems are all listed, one per line, and nothing is written."""
    text = example_text.replace("  start_date: 2026-09-14", "  start_date: 2026-02-31").replace("  name: Amélie Durand-Okafor", '  nmae: "A\\x0bB"')
    (work / "plan.yaml").write_text(text, encoding="utf-8")
    result = run("render", "plan.yaml")
    assert result.code == 2
    name_line = text[: text.index("nmae")].count("\n") + 1
    assert f"plan.yaml:{name_line}: client.nmae: character U+000B (line tabulation) at position 2 is not allowed" in result.err
    assert files_in(work) == ["plan.yaml"]
    (work / "plan.yaml").write_text(text.replace('"A\\x0bB"', "A"), encoding="utf-8")
    result = run("validate", "plan.yaml")
    assert result.code == 2
    date_line = text[: text.index("2026-02-31")].count("\n") + 1
    assert result.err.splitlines()[:3] == [
        f"plan.yaml:{name_line - 1}: client.name: required field is missing",
        f"plan.yaml:{name_line}: client.nmae: unknown field 'nmae' (did you mean 'name'?)",
        f"plan.yaml:{date_line}: plan.start_date: is not a valid date (expected YYYY-MM-DD)",
    ]
    assert result.err.splitlines()[-1] == "plan.yaml: invalid (3 errors, 0 warnings)"


def test_batch_writes_the_good_plans_and_reports_the_bad(run: Run, work: Path, example_path: Path) -> None:
    """With several plans, each is all-or-nothing: good ones are written, bad ones reported, exit 2."""
    (work / "good.yaml").write_bytes(example_path.read_bytes())
    (work / "bad.yaml").write_text("client: {}\n", encoding="utf-8")
    result = run("render", "good.yaml", "bad.yaml", "-f", "md", "-o", "out")
    assert result.code == 2
    assert files_in(work / "out") == ["good.md"]
    assert "bad.yaml:1: client.name: required field is missing" in result.err
    assert "txplan: 1 of 2 plans could not be rendered" in result.err


def test_validate_and_schema_commands(run: Run, example_path: Path) -> None:
    """validate exits 0 on the example; schema prints a Draft 2020-12 schema as JSON."""
    result = run("validate", example_path)
    assert (result.code, result.out) == (0, f"{example_path}: valid (0 warnings)\n")
    schema = run("schema")
    assert schema.code == 0
    assert json.loads(schema.out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_command(run: Run, work: Path, example_path: Path) -> None:
    """example prints the plan, writes it with -o, and never replaces an existing file."""
    assert run("example").out == example_path.read_text(encoding="utf-8")
    assert run("example", "-o", "mine.yaml").code == 0
    (work / "mine.yaml").write_text("my edits\n", encoding="utf-8")
    result = run("example", "-o", "mine.yaml")
    assert result.code == 4 and "already exists" in result.err
    assert (work / "mine.yaml").read_text(encoding="utf-8") == "my edits\n"
    assert run("example", "-o", "mine.yaml", "--force").code == 0
    assert run("validate", "mine.yaml").code == 0


def test_usage_errors(run: Run, work: Path, example_path: Path) -> None:
    """An unknown format (exit 2) and an unknown pack (exit 3) are named with the choices."""
    result = run("render", example_path, "-f", "pdf")
    assert result.code == 2 and result.err == "txplan: error: unknown output format 'pdf' (available: docx, htm, html, markdown, md, word)\n"
    result = run("render", example_path, "--pack", "acme")
    assert result.code == 3 and "no template pack named 'acme' (available: default" in result.err
    assert files_in(work) == []


def test_output_folder_that_cannot_be_written(run: Run, work: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder path through a file, or a read-only folder: exit 4, a message, no file."""
    (work / "afile").write_text("x", encoding="utf-8")
    result = run("render", example_path, "-o", "afile/out/")
    assert result.code == 4 and "afile" in result.err

    def read_only(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkstemp", read_only)
    result = run("render", example_path, "-o", "ro/")
    assert result.code == 4
    assert result.err == "txplan: error: cannot write ro/attachment-plan.docx: permission denied (the folder is read-only or not yours)\n"


def test_crash_while_writing_keeps_the_previous_outputs(run: Run, work: Path, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the second of two outputs fails, neither is replaced and no temporary file is left."""
    (work / "out").mkdir()
    (work / "out" / "attachment-plan.md").write_text("previous\n", encoding="utf-8")
    real_replace = os.replace
    calls = []

    def flaky_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", flaky_fsync)
    monkeypatch.setattr(output.os, "replace", real_replace)
    from txplan.contracts import OutputFormat
    from txplan.plugin_host import PluginHost

    class Copy:
        __name__ = "copy-format"

        @txplan.hookimpl
        def register_output_formats(self, register: Any) -> None:
            register(OutputFormat("copy", "txt", "text/plain", lambda doc: doc.markdown.encode()))

    original = PluginHost.__init__

    def with_copy(self: PluginHost, *, load_entrypoints: bool = True, extra_plugins: Any = ()) -> None:
        original(self, load_entrypoints=load_entrypoints, extra_plugins=[Copy()])

    monkeypatch.setattr(PluginHost, "__init__", with_copy)
    result = run("render", example_path, "-f", "md,copy", "-o", "out")
    assert result.code == 4 and "the disk is full" in result.err
    assert files_in(work / "out") == ["attachment-plan.md"]
    assert (work / "out" / "attachment-plan.md").read_text(encoding="utf-8") == "previous\n"


def test_internal_errors_are_one_line_without_plan_content(run: Run, example_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception prints its type and txplan's frame, exit 70; --debug shows the traceback."""
    from txplan import context

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("Amélie Durand-Okafor")

    monkeypatch.setattr(context, "build_context", broken)
    monkeypatch.setattr("txplan.pipeline.build_context", broken)
    result = run("render", example_path, "-o", "out/")
    assert result.code == 70
    assert result.err.startswith("txplan: internal error: KeyError in pipeline.py:")
    assert "Amélie" not in result.err
    debug = run("render", example_path, "--debug", "-o", "out/")
    assert debug.code == 70 and "Traceback" in debug.err


def test_help_and_version(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the version; every command has --help."""
    for args in (["--version"], ["--help"], ["render", "--help"], ["validate", "--help"], ["schema", "--help"], ["plugins", "--help"], ["example", "--help"]):
        with pytest.raises(SystemExit) as info:
            run(*args)
        assert info.value.code == 0
        assert capsys.readouterr().out
    assert run().code == 2


def test_parallel_batch_matches_sequential(run: Run, work: Path, example_path: Path) -> None:
    """--jobs renders in worker processes: same files, same bytes, failures still reported, exit 2."""
    for n in range(5):
        (work / f"plan{n}.yaml").write_bytes(example_path.read_bytes())
    (work / "bad.yaml").write_text("client: {}\n", encoding="utf-8")
    plans = sorted(str(p.name) for p in work.glob("*.yaml"))
    parallel = run("render", *plans, "-f", "docx,md", "-o", "par", "--jobs", "0")  # 0: one process per CPU
    sequential = run("render", *plans, "-f", "docx,md", "-o", "seq")
    assert parallel.code == sequential.code == 2
    assert parallel.err == sequential.err and "bad.yaml:1: client.name: required field is missing" in parallel.err
    assert files_in(work / "par") == files_in(work / "seq") == sorted(f"plan{n}.{ext}" for n in range(5) for ext in ("docx", "md"))
    for name in files_in(work / "par"):
        assert (work / "par" / name).read_bytes() == (work / "seq" / name).read_bytes()


def test_progress_shows_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    """The progress counter writes to a terminal and stays silent otherwise."""
    from txplan.commands.render import Progress

    quiet = Progress(3, enabled=False)
    quiet.step(), quiet.done()
    assert capsys.readouterr().err == ""
    shown = Progress(2, enabled=True)
    shown.step(), shown.step(), shown.done()
    assert capsys.readouterr().err == "\r[1/2] plans rendered\r[2/2] plans rendered\n"


def test_leftovers_of_a_killed_run_are_swept(run: Run, work: Path, example_path: Path) -> None:
    """An hour-old .txplan-*.part file (a run killed mid-write) is removed; a fresh one is left alone."""
    out = work / "out"
    out.mkdir()
    old, fresh = out / ".txplan-dead.part", out / ".txplan-busy.part"
    old.write_bytes(b"half a document")
    fresh.write_bytes(b"another txplan, still writing")
    os.utime(old, (1_000_000_000, 1_000_000_000))
    assert run("render", example_path, "-f", "md", "-o", "out/").code == 0
    assert not old.exists() and fresh.exists()
