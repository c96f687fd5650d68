"""Score charts: what they show (series, bands, thresholds from baseline, targets), their alt
text, the same bytes every time, a pack turning them off or colouring them, and documents that
render as before where matplotlib is not installed."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import txplan
from txplan.charts import CHART_REFERENCE, ChartSpec, charts_available, without_chart_references
from txplan.contracts import Instrument, ScoreResult
from txplan.plugins.formats import chart_images

from .conftest import Install, write
from .test_progress import MOTHER, PARTNER, ecr_rs, plan_with

AS_OF = dt.date(2026, 12, 1)


def document(plan: Path, pack: str | None = None) -> Any:
    engine = txplan.Engine(pack, as_of=AS_OF)
    return engine, engine.render_document(engine.load(plan))


def render(plan: Path, fmt: str, pack: str | None = None) -> bytes:
    engine = txplan.Engine(pack, as_of=AS_OF)
    return engine.render(engine.load(plan), fmt)


def pictures(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("word/media/")}


def test_a_chart_for_each_instrument_given_twice(example_path: Path) -> None:
    _, doc = document(example_path)
    charts = doc.context.charts
    assert list(charts) == ["ecr-r", "phq-9", "gad-7"]  # the RQ and AAI were given once
    phq: ChartSpec = charts["phq-9"]
    assert [s.label for s in phq.series] == ["Total"]
    assert phq.series[0].points == (("2026-08-31", 12.0), ("2026-10-12", 9.0), ("2026-11-09", 6.0))
    assert [(b.low, b.high, b.label) for b in phq.bands][0] == (0.0, 4.0, "none to minimal")
    # The 5-point threshold of Löwe et al. (2004), counted down from the baseline of 12.
    assert [(m.kind, m.value) for m in phq.markers] == [("threshold", 7.0)]
    gad = charts["gad-7"]
    assert sorted((m.kind, m.value) for m in gad.markers) == [("target", 9.0), ("threshold", 7.0), ("threshold", 9.0)]
    ecr = charts["ecr-r"]
    assert [s.label for s in ecr.series] == ["Anxiety", "Avoidance"] and ecr.bands == ()
    assert [(m.kind, m.value, m.label) for m in ecr.markers] == [("target", 4.5, "target G1.2: Anxiety \u2264 4.5")]


def test_alt_text_states_every_value(example_path: Path) -> None:
    _, doc = document(example_path)
    charts = doc.context.charts
    assert charts["phq-9"].alt == (
        "PHQ-9: scores over time. Total: 12 (2026-08-31), 9 (2026-10-12), 6 (2026-11-09). "
        "Bands: 0-4 none to minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. "
        "Clinically meaningful change: \u22125 from baseline (7)."
    )
    assert "Anxiety: 5.78 (2026-08-31), 4.78 (2026-11-30). Avoidance: 4.28 (2026-08-31), 4.06 (2026-11-30)." in charts["ecr-r"].alt
    assert charts["gad-7"].alt.endswith("Target G3.3: Total \u2264 9.")
    docx = render(example_path, "docx")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode()
    descriptions = re.findall(r'<wp:docPr id="\d+" name="Chart ([a-z0-9-]+)" descr="([^"]+)"', body)
    assert [name for name, _ in descriptions] == ["ecr-r", "phq-9", "gad-7"]
    assert "Total: 12 (2026-08-31), 9 (2026-10-12), 6 (2026-11-09)" in descriptions[1][1]


def test_ecr_rs_one_line_per_subscale_and_relationship(example_text: str, tmp_path: Path) -> None:
    plan = plan_with(example_text, tmp_path, ecr_rs("2026-09-01", partner=PARTNER, mother=MOTHER) + ecr_rs("2026-11-01", partner=PARTNER))
    _, doc = document(plan)
    series = {s.label: s.points for s in doc.context.charts["ecr-rs"].series}
    # The means over mother + partner and over partner alone are not joined into one line.
    assert series["Avoidance (mother, partner)"] == (("2026-09-01", 4.0),)
    assert series["Avoidance (partner)"] == (("2026-11-01", 2.0),)
    assert series["Partner: avoidance"] == (("2026-09-01", 2.0), ("2026-11-01", 2.0))
    assert series["Mother: anxiety"] == (("2026-09-01", 1.0),)
    assert "Partner: anxiety: 6 (2026-09-01), 6 (2026-11-01)." in doc.context.charts["ecr-rs"].alt


def test_the_same_chart_is_the_same_bytes(example_path: Path) -> None:
    from txplan.charts import DEFAULT_COLOURS

    _, doc = document(example_path)
    spec = doc.context.charts["gad-7"]
    first_png, first_svg = chart_images.png(spec, DEFAULT_COLOURS), chart_images.svg(spec, DEFAULT_COLOURS)
    assert first_png.startswith(b"\x89PNG") and b"tEXt" not in first_png and b"tIME" not in first_png
    chart_images._draw.cache_clear()  # drawn afresh, not taken from the cache
    assert chart_images.png(spec, DEFAULT_COLOURS) == first_png
    assert chart_images.svg(spec, DEFAULT_COLOURS) == first_svg
    assert "<dc:date>" not in first_svg and "http" not in first_svg and "<metadata" not in first_svg
    assert 'id="chart-gad-7-' in first_svg and not re.search(r'id="(?!chart-gad-7-)', first_svg)
    docx = render(example_path, "docx")
    chart_images._draw.cache_clear()
    assert render(example_path, "docx") == docx


def test_charts_appear_after_their_progress_tables(example_path: Path) -> None:
    _, doc = document(example_path)
    markdown = doc.markdown
    references = CHART_REFERENCE.findall(markdown)
    assert len(references) == 3
    assert markdown.index("chart:phq-9") > markdown.index("### Progress over time: PHQ-9")
    assert markdown.index("chart:phq-9") < markdown.index("### Progress over time: GAD-7")
    assert len(pictures(render(example_path, "docx"))) == 3
    # Markdown shows the tables alone.
    md = render(example_path, "md").decode()
    assert "chart:" not in md and md == without_chart_references(markdown)


def test_pack_turns_charts_off(example_path: Path, tmp_path: Path) -> None:
    pack = tmp_path / "quiet"
    write(pack / "pack.yaml", "name: quiet\nversion: '1'\nextends: default\ncharts:\n  enabled: false\n")
    docx = render(example_path, "docx", str(pack))
    assert pictures(docx) == {}
    html = render(example_path, "html", str(pack)).decode()
    assert "<svg" not in html and "chart:" not in html and "<figure" not in html
    assert "Progress over time: PHQ-9" in html  # the tables stay


def test_pack_sets_chart_colours(example_path: Path, tmp_path: Path) -> None:
    pack = tmp_path / "coloured"
    write(pack / "pack.yaml", "name: coloured\nversion: '1'\nextends: default\ncharts:\n  colours:\n    series: ['#ab1234']\n    target: '#00ff00'\n")
    html = render(example_path, "html", str(pack)).decode()
    assert "#ab1234" in html and "#00ff00" in html
    assert "#ab1234" not in render(example_path, "html").decode()


def test_bad_colour_is_a_pack_error(example_path: Path, tmp_path: Path) -> None:
    pack = tmp_path / "bad"
    write(pack / "pack.yaml", "name: bad\nversion: '1'\nextends: default\ncharts:\n  colours:\n    target: red; background:url(x)\n")
    with pytest.raises(txplan.PackError) as caught:
        txplan.Engine(str(pack)).build()
    assert "charts" in "\n".join(caught.value.lines()) and "colours" in "\n".join(caught.value.lines())


@pytest.fixture
def without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib cannot be imported, as where the charts extra is not installed."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    chart_images._draw.cache_clear()
    yield
    chart_images._draw.cache_clear()


@pytest.mark.usefixtures("without_matplotlib")
def test_without_matplotlib_documents_render_without_charts(example_path: Path, run: Callable[..., Any]) -> None:
    assert not charts_available()
    docx = render(example_path, "docx")
    assert pictures(docx) == {}
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode()
    assert "scores over time" not in body  # no alt text left behind as a paragraph
    html = render(example_path, "html").decode()
    assert "<svg" not in html and "<figure" not in html and "chart:" not in html
    result = run("plugins")
    assert "score charts: off (matplotlib is not installed; pip install 'txplan[charts]'" in result.out


def test_plugins_says_charts_are_on(run: Callable[..., Any]) -> None:
    assert charts_available()  # matplotlib is in the test extra: charts are tested for real
    assert re.search(r"^score charts: on \(matplotlib [\d.]+", run("plugins").out, re.MULTILINE)


def test_instrument_bands_are_checked() -> None:
    def score(data: Any) -> ScoreResult:
        return ScoreResult(scores={"total": 1})

    schema = {"type": "object", "properties": {"responses": {"type": "array"}}}
    good = Instrument("x-1", "X", "c", "l", schema, score, bands={"total": ((0, 4, "low"), (5, 9, "high"))})
    assert good.problems() == []
    for bands in ({"total": ((5, 9, "high"), (0, 4, "low"))}, {"total": ((0, "a", "low"),)}, {"total": ((4, 0, "low"),)}):
        assert any("bands" in p for p in Instrument("x-1", "X", "c", "l", schema, score, bands=bands).problems())


def test_chart_text_is_shown_literally(example_path: Path, tmp_path: Path) -> None:
    """A pack's wording with '$' (matplotlib's mathematics) or a leading '_' (hidden from a
    legend) is drawn as written, and the document still renders."""
    pack = tmp_path / "money"
    write(pack / "pack.yaml", "name: money\nversion: '1'\nextends: default\nlabels:\n  chart_title: 'in $ and $\\frac{'\n  target: _aim\n")
    engine, doc = document(example_path, str(pack))
    gad = doc.context.charts["gad-7"]
    assert gad.title == "GAD-7: in $ and $\\frac{" and "_aim G3.3: Total \u2264 9." in gad.alt
    from txplan.charts import DEFAULT_COLOURS

    svg = chart_images.svg(gad, DEFAULT_COLOURS)
    assert "GAD-7: in $ and $\\frac{" in svg and "_aim G3.3" in svg
    assert engine.render_with(engine.output_format("docx"), doc).startswith(b"PK")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_markdown_with_chart_files(example_path: Path, tmp_path: Path, run: Callable[..., Any], jobs: str) -> None:
    """`render -f md,docx --charts`: each chart as a PNG beside the .md, linked where the chart
    goes (alt text kept), written together with the .md (0600, each file said), also from workers."""
    second = tmp_path / "second.yaml"
    second.write_bytes(example_path.read_bytes())
    out = tmp_path / "out"
    result = run("render", example_path, second, "-f", "md,docx", "--charts", "-o", out, "--as-of", "2026-12-01", "--jobs", jobs)
    assert result.code == 0, result.err
    for stem in ("second", example_path.stem):
        assert sorted(p.name for p in out.iterdir() if p.name.startswith(stem + ".")) == sorted(
            f"{stem}.{suffix}" for suffix in ("docx", "ecr-r.png", "gad-7.png", "md", "phq-9.png")
        )
    markdown = (out / f"{example_path.stem}.md").read_text(encoding="utf-8")
    assert "chart:" not in markdown
    links = re.findall(r"^!\[([^\n]*)\]\(([^)\n]+)\)$", markdown, re.MULTILINE)
    assert [target for _, target in links] == [f"{example_path.stem}.{i}.png" for i in ("ecr-r", "phq-9", "gad-7")]
    assert links[1][0].startswith("PHQ-9: scores over time. Total: 12 (2026-08-31), 9 (2026-10-12), 6 (2026-11-09).")
    # Where the chart goes: after its progress table, before the next one.
    assert markdown.index("### Progress over time: PHQ-9") < markdown.index(links[1][1]) < markdown.index("### Progress over time: GAD-7")
    from txplan.charts import DEFAULT_COLOURS

    _, doc = document(example_path)
    for chart_id in ("ecr-r", "phq-9", "gad-7"):
        picture = out / f"{example_path.stem}.{chart_id}.png"
        assert picture.read_bytes() == chart_images.png(doc.context.charts[chart_id], DEFAULT_COLOURS)
        assert picture.stat().st_mode & 0o777 == 0o600
        assert f"wrote {picture}" in result.out.splitlines()
    # Without --charts the same command writes the tables alone and no picture.
    assert run("render", example_path, "-f", "md", "-o", f"{tmp_path / 'plain'}/", "--as-of", "2026-12-01").code == 0
    assert [p.name for p in (tmp_path / "plain").iterdir()] == [f"{example_path.stem}.md"]
    assert without_chart_references(doc.markdown) == (tmp_path / "plain" / f"{example_path.stem}.md").read_text(encoding="utf-8")


def test_charts_option_with_one_output_file(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    """`-o notes.md --charts` names the pictures after notes.md."""
    result = run("render", example_path, "-f", "md", "--charts", "-o", tmp_path / "notes.md", "--as-of", "2026-12-01")
    assert result.code == 0, result.err
    assert "](notes.phq-9.png)" in (tmp_path / "notes.md").read_text(encoding="utf-8")
    assert (tmp_path / "notes.phq-9.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.usefixtures("without_matplotlib")
def test_charts_option_without_matplotlib_writes_nothing(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    second = tmp_path / "second.yaml"
    second.write_bytes(example_path.read_bytes())
    for jobs in ("1", "2"):
        result = run("render", example_path, second, "-f", "md", "--charts", "-o", tmp_path / "out", "--jobs", jobs)
        assert result.code == 2
        assert "--charts needs matplotlib" in result.err and "pip install 'txplan[charts]'" in result.err and "Traceback" not in result.err
        assert not (tmp_path / "out").exists()


def test_charts_option_needs_a_format_with_chart_files(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    result = run("render", example_path, "-f", "docx", "--charts", "-o", f"{tmp_path / 'out'}/")
    assert result.code == 2 and "--charts writes chart files beside markdown output" in result.err
    assert not (tmp_path / "out").exists()


def test_charts_option_where_the_pack_turns_charts_off(example_path: Path, tmp_path: Path, run: Callable[..., Any]) -> None:
    pack = tmp_path / "quiet"
    write(pack / "pack.yaml", "name: quiet\nversion: '1'\nextends: default\ncharts:\n  enabled: false\n")
    with_option = run("render", example_path, "-f", "md", "--charts", "--pack", pack, "-o", f"{tmp_path / 'with'}/", "--as-of", "2026-12-01")
    without = run("render", example_path, "-f", "md", "--pack", pack, "-o", f"{tmp_path / 'without'}/", "--as-of", "2026-12-01")
    assert with_option.code == without.code == 0, with_option.err
    assert [p.name for p in (tmp_path / "with").iterdir()] == [f"{example_path.stem}.md"]
    assert (tmp_path / "with" / f"{example_path.stem}.md").read_bytes() == (tmp_path / "without" / f"{example_path.stem}.md").read_bytes()


@pytest.fixture
def notes_format(install_plugin: Install) -> None:
    """An installed plugin with a format ``notes`` whose extra file is named by the test
    (``TXPLAN_TEST_EXTRA``, ``{stem}`` replaced by the output's stem)."""
    install_plugin("notes", '''
        import os
        import txplan
        from txplan.contracts import OutputFormat

        def companions(document, state, stem):
            return b"notes", [(os.environ["TXPLAN_TEST_EXTRA"].format(stem=stem), b"extra")]

        @txplan.hookimpl
        def register_output_formats(register):
            register(OutputFormat("notes", "txt", "text/plain", lambda document: b"notes", companions=companions))
    ''')


@pytest.mark.usefixtures("notes_format")
@pytest.mark.parametrize("extra", ["../{stem}.escape", "/tmp/{stem}.x", "{stem}.txt", "{stem}.TXT", "{stem}.yaml", "other.png", "{stem}./../x", "{stem}.a\nb"])
def test_an_extra_file_cannot_leave_the_folder_or_replace_a_plan_or_output(
    example_path: Path, tmp_path: Path, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    """A format's extra file is a plain name beside its output, never the output itself or a
    plan (the plan here sits in the output folder): the run stops (exit 3), nothing is written."""
    out = tmp_path / "out"
    out.mkdir()
    plans = [out / "plan.yaml", out / "second.yaml"]
    for plan in plans:
        plan.write_bytes(example_path.read_bytes())
    monkeypatch.setenv("TXPLAN_TEST_EXTRA", extra)
    for jobs in ("1", "2"):
        result = run("render", *plans, "-f", "notes", "--charts", "-o", out, "--jobs", jobs)
        assert result.code == 3, result.err
        said = "would replace a plan or another output" if extra == "{stem}.yaml" else "named an extra file"
        assert said in result.err and "Traceback" not in result.err
        assert sorted(p.name for p in out.iterdir()) == ["plan.yaml", "second.yaml"]
        assert all(plan.read_bytes() == example_path.read_bytes() for plan in plans)
        assert not (tmp_path / "plan.escape").exists()


@pytest.mark.usefixtures("notes_format")
def test_a_third_party_format_writes_its_extra_file(example_path: Path, tmp_path: Path, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TXPLAN_TEST_EXTRA", "{stem}.notes.extra")
    result = run("render", example_path, "-f", "notes", "--charts", "-o", tmp_path)
    assert result.code == 0, result.err
    extra = tmp_path / f"{example_path.stem}.notes.extra"
    assert extra.read_bytes() == b"extra" and extra.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / f"{example_path.stem}.txt").read_bytes() == b"notes"
