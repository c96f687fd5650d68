"""The HTML format: one self-contained page that fetches nothing and runs nothing, plan text
escaped, txplan's blocks as classed elements, accessible, and the same bytes for the same input."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

import txplan
from txplan.errors import PackError

from .conftest import REPO, write

AS_OF = dt.date(2026, 12, 1)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
#: Anything that could make a browser fetch: an address in an attribute or in CSS.
FETCHING = re.compile(r"""(?:src|href|action|poster|data|srcset|xlink:href)\s*=\s*["']?\s*(?!data:|#)[a-z][a-z0-9+.-]*:|url\(\s*["']?\s*(?!data:|#)|@import""", re.IGNORECASE)


def render_html(plan: object, pack: str | None = None) -> str:
    engine = txplan.Engine(pack, as_of=AS_OF)
    return engine.render(engine.load(plan), "html").decode("utf-8")


@pytest.fixture(scope="module")
def example_html() -> str:
    from importlib import resources

    return render_html(Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml"))))


def plan_data(example_path: Path) -> dict:
    """The example plan as data, loaded as txplan loads it (dates as text)."""
    import copy

    return copy.deepcopy(dict(txplan.Engine().load(example_path).data))


def test_page_is_self_contained_with_csp(example_html: str) -> None:
    assert example_html.startswith("<!DOCTYPE html>\n")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}; ' in example_html
    assert "<script" not in example_html.lower()
    assert not FETCHING.search(example_html), FETCHING.search(example_html)
    # No address of any kind in the page, not even a namespace or a DTD.
    assert not re.search(r"https?://", example_html)
    assert '<html lang="en">' in example_html


def test_fetch_pattern_catches_what_it_should() -> None:
    """The regex the other tests rely on finds a fetch in each form it can take."""
    for sample in ('<img src="https://x.example/a.png">', "<a href='http://x'>", "a{background:url(http://x)}", '@import "x.css";', '<use xlink:href="https://x#a"/>'):
        assert FETCHING.search(sample), sample
    for harmless in ('<img src="data:image/png;base64,AAAA">', 'clip-path="url(#p1)"', '<use xlink:href="#m1"/>'):
        assert not FETCHING.search(harmless), harmless


def test_one_h1_headings_with_stable_unique_ids_and_scoped_headers(example_html: str) -> None:
    assert example_html.count("<h1") == 1
    ids = re.findall(r'<h[1-6] id="([^"]+)"', example_html)
    assert len(ids) == len(set(ids)) > 10
    assert "progress-over-time-phq-9" in ids and "goals-and-objectives" in ids
    assert "<th>" not in example_html and '<th scope="col"' in example_html


def test_every_image_has_alt_text_and_charts_state_their_values(example_html: str) -> None:
    for tag in re.findall(r"<img\b[^>]*>", example_html):
        assert re.search(r'alt="[^"]+"', tag), tag
    svgs = re.findall(r"<svg\b[^>]*>", example_html)
    assert len(svgs) == 3  # ECR-R, PHQ-9, GAD-7: each given at least twice
    phq = next(tag for tag in svgs if "PHQ-9" in tag)
    assert 'role="img"' in phq
    assert "Total: 12 (2026-08-31), 9 (2026-10-12), 6 (2026-11-09)" in phq


def test_containers_become_classed_elements(example_path: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack / "pack.yaml", "name: boxes\nversion: '1'\nextends: default\n")
    write(
        pack / "templates" / "strengths.md.j2",
        "## Boxes\n\n::: note\nA note.\n:::\n\n::: alert\nAn alert.\n:::\n\n::: page-break\n:::\n\n"
        "::: signature-block\n| Signed | Date |\n|---|---|\n| x | y |\n:::\n\n# A second title\n",
    )
    html = render_html(example_path, str(pack))
    assert '<div class="note">\n<p>A note.</p>\n</div>' in html
    assert '<div class="alert">\n<p>An alert.</p>\n</div>' in html
    assert '<div class="page-break" aria-hidden="true">' in html
    assert re.search(r'<div class="signature-block">\s*<table>', html)
    assert html.count("<h1") == 1 and '<h2 id="a-second-title">A second title</h2>' in html
    for rule in (".page-break { break-before: page", ".signature-block { break-inside: avoid", "thead { display: table-header-group"):
        assert rule in html


def test_unknown_block_is_a_pack_error(example_path: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write(pack / "pack.yaml", "name: odd\nversion: '1'\nextends: default\n")
    write(pack / "templates" / "strengths.md.j2", "::: sidebar\nx\n:::\n")
    with pytest.raises(PackError, match="unknown block '::: sidebar'"):
        render_html(example_path, str(pack))


def test_plan_text_is_escaped(example_path: Path) -> None:
    data = plan_data(example_path)
    data["strengths"] = [
        "<script>alert(1)</script>",
        '<img src="https://evil.example/x.png" onerror="alert(1)">',
        "**not bold** [a link](https://evil.example) ![pic](https://evil.example/p.png) # not a heading",
        "</style><style>body{background:url(https://evil.example)}",
    ]
    data["client"]["name"] = 'Ann "Quote" <b>Bold</b> & Co'
    html = render_html(data)
    assert "<script" not in html and "<img src=\"https" not in html and "<b>Bold" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "**not bold** [a link](https://evil.example)" in html  # shown as the client wrote it
    assert "Ann &quot;Quote&quot; &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    # The client's "</style>" stays text: the only style elements are txplan's and the charts'.
    assert html.count("</style>") == 1 + html.count('<style type="text/css">') == 4
    # The client's words are on the page as text, never in a tag or a stylesheet that fetches.
    assert "background:url(https://evil.example)" in html
    tags_and_styles = re.findall(r"<[^>]+>|<style[^>]*>.*?</style>", html, re.DOTALL)
    assert not any(FETCHING.search(part) for part in tags_and_styles)


def test_same_input_same_bytes(example_path: Path) -> None:
    first = render_html(example_path).encode()
    assert render_html(example_path).encode() == first
    engine = txplan.Engine(as_of=AS_OF)  # a fresh engine, the same bytes
    assert engine.render(engine.load(example_path), "htm") == first


def test_page_size_and_language_come_from_the_pack(example_path: Path, tmp_path: Path) -> None:
    from docx import Document
    from docx.shared import Mm

    pack = tmp_path / "pack"
    write(pack / "pack.yaml", "name: a4\nversion: '1'\nextends: es\nlanguage: es-MX\n")
    reference = Document(str(REPO / "template_packs" / "default" / "reference.docx"))
    for section in reference.sections:
        section.page_width, section.page_height, section.left_margin = Mm(210), Mm(297), Mm(20)
    reference.save(str(pack / "reference.docx"))
    html = render_html(example_path, str(pack))
    assert '<html lang="es-MX">' in html
    assert re.search(r"@page \{ size: A4; margin: [\d.]+mm [\d.]+mm [\d.]+mm 20mm; \}", html)
    assert "@page { size: letter;" in render_html(example_path)


def test_logo_is_a_data_uri_with_alt(example_path: Path) -> None:
    html = render_html(example_path, "harbour-group")
    logo = re.search(r'<header class="letterhead">\n<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)">', html)
    assert logo and logo.group(1) == "Harbour &amp; Vine Counselling Group logo"
    assert not FETCHING.search(html)


GOOD_CSS = "h2 { color: #004d40; }\n.logo { background: url(data:image/png;base64,AAAA); }\n"


def stylesheet_pack(tmp_path: Path, css: str | bytes) -> Path:
    pack = tmp_path / "styled"
    write(pack / "pack.yaml", "name: styled\nversion: '1'\nextends: default\nhtml:\n  stylesheet: style.css\n")
    (pack / "style.css").write_bytes(css if isinstance(css, bytes) else css.encode())
    return pack


def test_pack_stylesheet_is_added(example_path: Path, tmp_path: Path) -> None:
    html = render_html(example_path, str(stylesheet_pack(tmp_path, GOOD_CSS)))
    assert f"<style>\n{GOOD_CSS}\n</style>" in html
    assert html.index("h2 { color: #004d40; }") > html.index("@page")  # after txplan's own


@pytest.mark.parametrize(
    ("css", "reason"),
    [
        ('@import "https://evil.example/x.css";', "@import"),
        ("@IMP\\4f RT 'x.css';", "@import"),
        ("body { background: url(https://evil.example/t.png); }", "url(https://evil.example/t.png)"),
        ("body { background: url( 'http://evil.example/t.png' ); }", "url(http://evil.example/t.png)"),
        ("body { background: \\75 rl(//evil.example/t.png); }", "url(//evil.example/t.png)"),
        ("body { background: u/**/rl(x.png); }", None),  # not a function once the comment goes: harmless
        ("@font-face { src: url(font.woff); }", "url(font.woff)"),
        ("body { background: image-set('https://evil.example/a.png' 1x); }", "image-set()"),
        ("</style><script>alert(1)</script>", "'<'"),
        ("p { width: expression(alert(1)); }", "script-like"),
    ],
)
def test_hostile_pack_stylesheet_is_refused(example_path: Path, tmp_path: Path, css: str, reason: str | None) -> None:
    pack = stylesheet_pack(tmp_path, css)
    if reason is None:
        render_html(example_path, str(pack))
        return
    with pytest.raises(PackError, match=re.escape(reason)):
        render_html(example_path, str(pack))


def test_oversized_or_binary_stylesheet_is_refused(example_path: Path, tmp_path: Path) -> None:
    with pytest.raises(PackError, match="style.css"):
        render_html(example_path, str(stylesheet_pack(tmp_path, "p{}" * 90_000)))
    shutil.rmtree(tmp_path / "styled")
    with pytest.raises(PackError, match="not UTF-8"):
        render_html(example_path, str(stylesheet_pack(tmp_path, b"p { color: red }\xff\xfe")))


def test_pack_check_reports_a_hostile_stylesheet(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pack = stylesheet_pack(tmp_path, "@import url(https://evil.example/x.css);")
    result = run("pack", "check", pack)
    assert result.code != 0
    assert "stylesheet 'style.css' uses @import" in result.err + result.out
    assert "url(https://evil.example/x.css)" in result.err + result.out


def test_cli_writes_html(run, example_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("render", example_path, "-f", "html", "-o", tmp_path, "--as-of", "2026-12-01")
    assert result.code == 0, result.err
    out = tmp_path / "attachment-plan.html"
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_stylesheet_outside_the_pack_or_linked_is_refused(example_path: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.css"
    outside.write_text("p { color: red }", encoding="utf-8")
    pack = stylesheet_pack(tmp_path, "")
    (pack / "style.css").unlink()
    (pack / "style.css").symlink_to(outside)
    with pytest.raises(PackError, match="style.css"):
        render_html(example_path, str(pack))
    (pack / "style.css").unlink()
    write(pack / "pack.yaml", "name: styled\nversion: '1'\nextends: default\nhtml:\n  stylesheet: css/../../outside.css\n")
    with pytest.raises(PackError, match="outside the pack"):
        render_html(example_path, str(pack))
