"""Plan text interpolated into Markdown stays literal text: it can never add a heading, a list,
a link, a table cell or emphasis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from txplan.markdown_text import MarkdownText, escape_markdown, one_line

md = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def inline_text(markdown: str) -> str:
    """The text a Markdown paragraph displays, with hard breaks as newlines; fails if the
    Markdown is anything but one plain paragraph."""
    tokens = md.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    out = []
    for child in tokens[1].children or []:
        assert child.type in ("text", "hardbreak", "softbreak"), (child.type, markdown)
        out.append("\n" if child.type != "text" else child.content)
    return "".join(out)


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n"), min_size=1, max_size=120
)


@given(printable)
def test_any_text_reads_back_as_itself(value: str) -> None:
    """Escaped text parses as one paragraph of plain text equal to the input (whitespace at the
    edges of lines and blank lines aside)."""
    lines = [line.strip() for line in value.split("\n")]
    expected = "\n".join(line for line in lines if line)
    if expected:
        assert inline_text(escape_markdown(value)) == expected


@given(printable)
def test_one_line_text_stays_in_its_table_cell(value: str) -> None:
    """One-lined, escaped text in a table cell keeps the table at one row of two cells."""
    cell = escape_markdown(one_line(value)) or "x"
    tokens = md.parse(f"| a | b |\n|---|---|\n| {cell} | z |\n")
    assert sum(t.type == "td_open" for t in tokens) == 2
    assert sum(t.type == "tr_open" for t in tokens) == 2


def test_structure_characters_are_literal() -> None:
    """Headings, lists, quotes, links, emphasis, HTML and entities in plan text stay text."""
    for value in ["# not a heading", "- not a list", "1. not a list", "> not a quote", "[x](javascript:alert(1))",
                  "**not bold**", "<script>alert(1)</script>", "&amp; stays", "a | b", "::: not a container", "{.not-attrs}",
                  "line one\n# line two", "=== not an underline", "`code`", "~~not struck~~"]:
        assert inline_text(escape_markdown(value)) == value, value


def test_ordinary_punctuation_is_left_readable() -> None:
    """Escaping is minimal: a chart reader sees 'Harbour & Vine, Suite 3.' as written."""
    assert escape_markdown("Dr. Tomás Reyes, PhD & co. (she/her) 50-minute") == "Dr. Tomás Reyes, PhD & co. (she/her) 50-minute"


def test_template_markdown_is_not_escaped() -> None:
    """Text a template marks as Markdown passes through; None renders as nothing."""
    assert escape_markdown(MarkdownText("**bold**")) == "**bold**"
    assert escape_markdown(None) == ""
