"""Rendering: the example plan matches its golden Markdown; plan text cannot change the
document's structure; a broken or hostile template pack is stopped with a clear message."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

import txplan
from txplan.errors import PackError

GOLDEN = Path(__file__).parent / "golden" / "attachment-plan.md"
#: The golden file states objectives' status as of this date, so it does not change with the day.
GOLDEN_AS_OF = dt.date(2026, 12, 5)
md = MarkdownIt("commonmark").enable("table")


def structure(markdown: str) -> list[str]:
    """The block structure of a Markdown document: its block token types, in order."""
    return [t.type for t in md.parse(markdown) if t.type.endswith("_open") or t.type in ("hr", "fence", "code_block")]


def test_example_matches_golden_markdown(example_path: Path) -> None:
    """The rendered example is exactly tests/golden/attachment-plan.md (TXPLAN_UPDATE_GOLDEN=1 rewrites it)."""
    rendered = txplan.render_plan(example_path, "markdown", as_of=GOLDEN_AS_OF).decode("utf-8")
    if os.environ.get("TXPLAN_UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_rendered_plan_has_every_section_a_clinician_expects(example_path: Path) -> None:
    """Headings for every section, each goal with its objectives' target dates, review dates, signatures."""
    text = txplan.render_plan(example_path, as_of=GOLDEN_AS_OF).decode()
    for heading in ("# Treatment Plan", "## Client information", "## Presenting issues", "## Diagnoses (ICD-10-CM)", "## Medical necessity",
                    "## Assessments", "## Goals and objectives", "## Interventions", "## Type, amount, frequency and duration of therapy",
                    "## Progress monitoring", "## Review and discharge", "## Plan revisions", "## Signatures"):
        assert f"\n{heading}\n" in f"\n{text}", heading
    for fact in ("Amélie Durand-Okafor", "Harbour & Vine Counselling", "| 2027-01-15 | In progress |", "2026-12-07, 2027-03-01",
                 "**Clinician signature:** ______________________ | Dr. Tomás Reyes | PhD, Licensed Psychologist | 2026-09-14 |"):
        assert fact in text, fact


def test_rendering_is_deterministic(example_path: Path) -> None:
    """The same plan renders to the same bytes every time."""
    assert txplan.render_plan(example_path) == txplan.render_plan(example_path)


def test_plan_text_cannot_change_the_document_structure(example_text: str, tmp_path: Path) -> None:
    """A goal starting '# ', text with '|', list markers and links leaves the structure unchanged."""
    hostile = example_text
    for old, new in [
        ("I want to stop panicking every time someone I love doesn't answer right away.", "# I want | to stop"),
        ("criterion: Uses a settling skill before checking on at least 4 of 5 logged occasions for two consecutive weeks.",
         'criterion: "| injected | cell |\\n- list\\n1. item\\n[x](javascript:alert(1))"'),
        ("  - Motivated for therapy and attends consistently", "  - \"---\\n***\\n<script>alert(1)</script>\""),
    ]:
        assert old in hostile
        hostile = hostile.replace(old, new)
    plain = txplan.render_plan(txplan.load_plan(_write(tmp_path / "plain.yaml", example_text))).decode()
    tricky = txplan.render_plan(txplan.load_plan(_write(tmp_path / "tricky.yaml", hostile))).decode()
    assert structure(tricky) == structure(plain)
    assert "<script>" not in md.render(tricky)
    assert 'href="javascript' not in md.render(tricky)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- template packs ---------------------------------------------------------------------------


def make_pack(root: Path, templates: dict[str, str], sections: list[str] | None = None) -> Path:
    """A pack folder extending default, rendering ``sections`` from ``templates``."""
    (root / "templates").mkdir(parents=True)
    listed = sections if sections is not None else [name.removesuffix(".md.j2") for name in templates]
    (root / "pack.yaml").write_text(f"name: test-pack\nversion: '1'\nsections: [{', '.join(listed)}]\n", encoding="utf-8")
    for name, text in templates.items():
        (root / "templates" / name).write_text(text, encoding="utf-8")
    return root


def render_with_pack(pack: Path | str, example_path: Path) -> str:
    """Render the example with ``pack``."""
    engine = txplan.Engine(str(pack))
    return engine.render(engine.load(example_path), "md").decode()


def pack_error(pack: Path | str, example_path: Path) -> str:
    """The printed lines of the PackError rendering with ``pack`` raises."""
    with pytest.raises(PackError) as info:
        render_with_pack(pack, example_path)
    return "\n".join(info.value.lines())


def test_pack_folder_overrides_one_template_and_inherits_the_rest(tmp_path: Path, example_path: Path) -> None:
    """A practice pack replaces one section and keeps the default's others and labels."""
    pack = make_pack(tmp_path / "p", {"strengths.md.j2": "## Our strengths heading\n"}, ["client_profile", "strengths"])
    text = render_with_pack(pack, example_path)
    assert text.startswith("# Treatment Plan\n") and "## Our strengths heading" in text and "## Goals" not in text


def test_pack_template_can_extend_the_default_one(tmp_path: Path, example_path: Path) -> None:
    """`default:NAME` reaches the parent pack's template, so a pack can wrap it."""
    pack = make_pack(tmp_path / "p", {"strengths.md.j2": "{% include 'default:strengths.md.j2' %}\n\nAdded by the practice.\n"})
    assert render_with_pack(pack, example_path).endswith("- Enjoys running, which she already uses to settle herself\n\nAdded by the practice.\n")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("line one\n{{ plan.client.name ", "pack 'test-pack' template broken.md.j2:2: unexpected end of template"),
        ("ok\n\n{{ plan.goal }}\n", "pack 'test-pack' template broken.md.j2:3: 'dict object' has no attribute 'goal'"),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__' of 'type' object is unsafe"),
        ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{% set x = plan.goals.append(1) %}", "access to attribute 'append' of 'list' object is unsafe"),
        ("{{ plan | attr('__class__') }}", "unsafe"),
        ("{% set n = 10 %}{{ n ** (n ** 7) }}", "broken.md.j2:1: exponent larger than 64"),
        ("{{ ('x' * 10**8) | length }}", "broken.md.j2:1: repetition would produce more than 1,000,000 characters (or 125,000 list items)"),
        ("{% for a in range(100) %}{% for b in range(100000) %}{{ 'word ' * 100 }}{% endfor %}{% endfor %}", "renders more than 5,000,000 characters"),
        ("{{ 1 / 0 }}", "pack 'test-pack' template broken.md.j2:1: ZeroDivisionError while rendering"),
        ("{% include 'broken.md.j2' %}", "recursion too deep"),
        ("{% include '../../../etc/passwd' %}", "../../../etc/passwd"),
    ],
)
def test_broken_or_hostile_templates_are_stopped(template: str, expected: str, tmp_path: Path, example_path: Path) -> None:
    """Syntax errors, typos, sandbox escapes and resource bombs end in a PackError naming the template."""
    pack = make_pack(tmp_path / "p", {"broken.md.j2": template})
    assert expected in pack_error(pack, example_path)


def test_symlink_in_pack_is_refused(tmp_path: Path, example_path: Path) -> None:
    """A template that is a link to a file outside the pack is refused; the target never shows."""
    secret = tmp_path / "secret.txt"
    secret.write_text("ZZSECRET", encoding="utf-8")
    pack = make_pack(tmp_path / "p", {})
    (pack / "pack.yaml").write_text("name: test-pack\nversion: '1'\nsections: [evil]\n", encoding="utf-8")
    (pack / "templates" / "evil.md.j2").symlink_to(secret)
    message = pack_error(pack, example_path)
    assert "symbolic links are not allowed in a pack" in message and "ZZSECRET" not in message


def test_bad_pack_manifests(tmp_path: Path, example_path: Path) -> None:
    """A missing folder, a missing pack.yaml, an invalid one and a missing template: one message each."""
    assert "template pack folder './nowhere' does not exist" in pack_error("./nowhere", example_path)
    (tmp_path / "empty").mkdir()
    assert "has no pack.yaml" in pack_error(tmp_path / "empty", example_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pack.yaml").write_text("name: Bad Name\nversion: '1'\ncolour: red\n", encoding="utf-8")
    message = pack_error(bad, example_path)
    assert f"{bad / 'pack.yaml'}:1: name: 'Bad Name' does not match" in message
    assert "Additional properties are not allowed ('colour' was unexpected)" in message
    missing = make_pack(tmp_path / "missing", {}, ["nosuch"])
    assert "lists section 'nosuch' but has no templates/nosuch.md.j2" in pack_error(missing, example_path)


def test_pack_requirements_join_the_effective_schema(tmp_path: Path, example_text: str) -> None:
    """A pack's `requires` overlay makes `txplan validate` demand more (here: a practice NPI)."""
    pack = make_pack(tmp_path / "p", {"x.md.j2": "x\n"})
    with (pack / "pack.yaml").open("a", encoding="utf-8") as handle:
        handle.write("requires:\n  properties:\n    practice:\n      required: [npi]\n")
    plan = _write(tmp_path / "plan.yaml", example_text)
    problems = txplan.validate_plan(plan, pack=str(pack))
    assert [(p.path, p.message) for p in problems] == [("practice.npi", "required field is missing")]
    assert txplan.validate_plan(plan) == []


def test_render_refuses_an_invalid_plan(example_text: str, tmp_path: Path, run: Callable[..., object]) -> None:
    """render_plan raises PlanError with every problem; nothing is rendered."""
    plan = _write(tmp_path / "plan.yaml", example_text.replace("2026-09-14", "2026-02-31"))
    with pytest.raises(txplan.PlanError) as info:
        txplan.render_plan(plan)
    assert len(info.value.problems) >= 1
    assert all("2026-02-31" in p.message or "date" in p.message for p in info.value.problems)


def test_pack_requirements_cannot_reach_the_network(tmp_path: Path, example_path: Path) -> None:
    """A remote $ref in a pack's overlay is refused up front; no connection is attempted."""
    pack = make_pack(tmp_path / "p", {"x.md.j2": "x\n"})
    with (pack / "pack.yaml").open("a", encoding="utf-8") as handle:
        handle.write("requires:\n  $ref: http://127.0.0.1:9/evil.json\n")
    assert "only references inside the schema ('#/...') are allowed, not http://127.0.0.1:9/evil.json" in pack_error(pack, example_path)


def test_a_template_that_never_ends_is_stopped(tmp_path: Path, example_path: Path) -> None:
    """A loop with no output is stopped by the render time limit, naming the template."""
    pack = make_pack(tmp_path / "p", {"slow.md.j2": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"})
    engine = txplan.Engine(str(pack), render_seconds=0.3)
    with pytest.raises(PackError) as info:
        engine.render(engine.load(example_path), "md")
    assert info.value.lines() == ["pack 'test-pack' template slow.md.j2:1: took longer than 0.3 s to render (a loop that does not end?)"]
