"""The template sandbox's size caps: every way a template has to make a huge string or list is
refused before the work is done, with exit 3 naming the pack, template and line, no output, and
the process's memory staying small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.errors import PackError

#: Each hostile template makes (or would make, before the caps) gigabytes, in one operation or a
#: few; the key says which method it uses.
HOSTILE = {
    "str.ljust": "{{ 'a'.ljust(4 * 10**9) }}",
    "str.rjust": "{{ 'a'.rjust(4 * 10**9) }}",
    "str.center": "{{ 'a'.center(4 * 10**9) }}",
    "center filter": "{{ 'a' | center(4 * 10**9) }}",
    "indent filter": "{{ 'a\nb' | indent(4 * 10**9) }}",
    "indent filter, string width": "{{ ('a\n' * 100000) | indent('x' * 100000) }}",
    "str.zfill": "{{ '1'.zfill(4 * 10**9) }}",
    "str.expandtabs": "{{ ('\t' * 1000).expandtabs(4 * 10**6) }}",
    "str.format width": "{{ '{:>999999999}'.format('x') }}",
    "str.format nested width": "{{ '{:{}}'.format('x', 999999999) }}",
    "str.format precision": "{{ '{:.999999999f}'.format(1.0) }}",
    "str.format many fields": "{{ ('{:900000}' * 1000).format(*range(1000)) }}",
    "str.format_map": "{{ '{x:>999999999}'.format_map({'x': 'y'}) }}",
    "format filter width": "{{ '%999999999s' | format('x') }}",
    "% width": "{{ '%999999999s' % 'x' }}",
    "% star width": "{{ '%*s' % (999999999, 'x') }}",
    "str.replace": "{{ ('a' * 100000).replace('a', 'b' * 100000) }}",
    "str.replace empty": "{{ ('a' * 100000).replace('', 'b' * 100000) }}",
    "replace filter": "{{ ('a' * 100000) | replace('a', 'b' * 100000) }}",
    "str.join": "{{ ('x' * 100000).join(['y'] * 100000) }}",
    "join filter": "{{ range(100000) | join('x' * 100000) }}",
    "str.translate": "{{ ('a' * 100000).translate({97: 'b' * 100000}) }}",
    "bytes.ljust": "{{ 'a'.encode().ljust(4 * 10**9) }}",
    "ljust through attr": "{{ ('a' | attr('ljust'))(4 * 10**9) }}",
    "wordwrap filter": "{{ ('a ' * 100000) | wordwrap(1, wrapstring='x' * 100000) }}",
    "batch filter": "{{ [1] | batch(10**9, 0) | list }}",
    "~ doubling": "{% set ns = namespace(x='a' * 100000) %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x | length }}",
    "+ doubling": "{% set ns = namespace(x='a' * 100000) %}{% for i in range(40) %}{% set ns.x = ns.x + ns.x %}{% endfor %}{{ ns.x | length }}",
    "macro doubling": "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro %}{% set ns = namespace(x='a' * 100000) %}{% for i in range(40) %}{% set ns.x = twice(ns.x) %}{% endfor %}",
    "set block doubling": "{% set ns = namespace(x='a' * 100000) %}{% for i in range(40) %}{% set b %}{{ ns.x }}{{ ns.x }}{% endset %}{% set ns.x = b %}{% endfor %}",
    "one string many times in a list": "{% set big = 'a' * 900000 %}{{ [big] * 100000 }}",
    "many strings kept": "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [('a' * 900000) ~ i] %}{% endfor %}",
    "integer squaring": "{% set ns = namespace(x=10**60) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x > 1 }}",
    "lipsum": "{{ lipsum(10**6) }}",
}

#: The child process renders every hostile pack through the command line in turn, with its address
#: space capped (so that a cap that fails cannot take the machine's memory; it then fails with
#: MemoryError, not exit 3), and reports each exit code and its peak memory so far.
CHILD = textwrap.dedent(
    """
    import contextlib, io, json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from txplan.cli import main
    plan, cases = sys.argv[1], json.loads(sys.argv[2])
    def run(*args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(args))
        return code, err.getvalue()
    report = {"baseline": (run("render", plan, "-f", "md,docx", "-o", cases["benign"]), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}
    for name, (pack, out) in cases["hostile"].items():
        code, err = run("render", plan, "--pack", pack, "-f", "md,docx", "-o", out)
        report[name] = [code, err, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]
    print(json.dumps(report))
    """
)


def _hostile_pack(root: Path, template: str) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "pack.yaml").write_text("name: hostile\nversion: '1'\nsections: [evil]\n", encoding="utf-8")
    (root / "templates" / "evil.md.j2").write_text(template, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def hostile_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every hostile pack rendered once, in one child process."""
    from importlib import resources

    plan = str(resources.files("txplan.examples").joinpath("attachment-plan.yaml"))
    root = tmp_path_factory.mktemp("hostile")
    cases = {
        "benign": str(root / "benign-out"),
        "hostile": {name: (str(_hostile_pack(root / f"p{i}", text)), str(root / f"out{i}")) for i, (name, text) in enumerate(HOSTILE.items())},
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, plan, json.dumps(cases)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TXPLAN_LOAD_PLUGINS": "", "TXPLAN_CACHE_DIR": ""},
    )
    assert child.returncode == 0, child.stderr[-2000:]
    report = json.loads(child.stdout)
    report["outputs"] = {name: out for name, (_, out) in cases["hostile"].items()}
    return report


@pytest.mark.parametrize("name", list(HOSTILE))
def test_huge_results_are_refused_before_they_are_made(name: str, hostile_runs: dict[str, Any]) -> None:
    """Exit 3 naming the pack, the template and the line; no output; the process's peak memory
    stays within 100 MB of a normal render's (the attacks ask for gigabytes)."""
    (benign_code, _), baseline_kb = hostile_runs["baseline"]
    code, err, peak_kb = hostile_runs[name]
    assert benign_code == 0
    assert code == 3, err
    assert "pack 'hostile' template evil.md.j2:" in err and "Traceback" not in err
    assert any(word in err for word in ("would produce more than", "larger than", "more than 10,000,000", "more than 16,384 bits")), err
    assert not Path(hostile_runs["outputs"][name]).exists()
    assert peak_kb - baseline_kb < 100 * 1024


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'ab'.ljust(5, '.') }};{{ 'ab'.center(6) }};{{ '7'.zfill(3) }}", "ab...;  ab  ;007"),
        ("{{ '{:>5};{:.2f};{x}'.format('a', 3.14159, x=1) }};{{ '{n}'.format_map({'n': 2}) }}", "    a;3.14;1;2"),
        ("{{ '%5s;%-3d;%.1f' % ('a', 7, 2.25) }};{{ '%s-%s' | format('a', 'b') }}", "    a;7  ;2.2;a-b"),
        ("{{ 'a-b-c'.replace('-', '+') }};{{ 'x' | replace('x', 'yy') }};{{ ', '.join(['a', 'b']) }};{{ [1, 2] | join('/') }}", "a+b+c;yy;a, b;1/2"),
        ("{{ 'a' ~ 1 ~ 'b' }};{{ 'ab' + 'cd' }};{{ ([1] + [2]) | length }};{{ 'ab' * 2 }};{{ 2 ** 10 }};{{ '\tx'.expandtabs(2) }}", "a1b;abcd;2;abab;1024;  x"),
        ("{{ 'a\nb' | indent(2) }};{{ 'hello world' | wordwrap(5) | oneline }};{{ 'x' | center(3) }}", "a\\\nb;hello world; x "),
        ("{% macro m(s) %}({{ s }}){% endmacro %}{% set b %}{{ m('x') }}{% endset %}{{ b }};{{ [1, 2, 3] | batch(2) | list | length }}", "(x);2"),
    ],
    ids=["padding", "str.format", "printf", "replace-join", "operators", "indent-wordwrap", "macro-block"],
)
def test_ordinary_uses_of_the_capped_operations_still_work(template: str, expected: str, tmp_path: Path, example_path: Path) -> None:
    """The caps refuse only what is too large: everyday widths, joins and formats render as before."""
    pack = _hostile_pack(tmp_path / "p", template + "\n")
    engine = txplan.Engine(str(pack))
    text = engine.render(engine.load(example_path), "md").decode()
    assert expected in text


def test_caps_hold_in_pack_check_and_name_the_line(run: Any, tmp_path: Path) -> None:
    """`pack check` renders the sample plan under the same caps: the line of the culprit is named."""
    pack = _hostile_pack(tmp_path / "p", "fine\n{{ 'a'.ljust(4 * 10**9) }}\n")
    result = run("pack", "check", pack)
    assert result.code == 3
    assert "pack 'hostile' template evil.md.j2:2: 'ljust' would produce more than 1,000,000 characters" in result.err


def test_a_section_cannot_make_more_than_its_allowance_in_all(tmp_path: Path, example_path: Path) -> None:
    """Each operation small, but together more than a whole document may be: refused."""
    pack = _hostile_pack(tmp_path / "p", "{% for i in range(200) %}{% set x = 'a' * 100000 %}{% endfor %}")
    engine = txplan.Engine(str(pack))
    with pytest.raises(PackError) as info:
        engine.render(engine.load(example_path), "md")
    assert info.value.lines() == [
        "pack 'hostile' template evil.md.j2:1: the template makes more than 10,000,000 characters (or 1,250,000 list items) in all (a loop that builds text without end?)"
    ]
