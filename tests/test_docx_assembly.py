"""The Word package assembled from strings (serialised once per pack, each document spliced in)
has exactly the bytes python-docx writes when it builds the same document element by element:
every pack shipped, a logo, lists, reused and escaped hyperlinks, dropped header lines, odd
names, and any goal text."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import txplan
from txplan.charts import without_chart_references
from txplan.deidentify import Deidentify
from txplan.plugins.formats import docx as word_format
from txplan.plugins.formats.chart_pictures import chart_pictures
from txplan.plugins.formats.wordml.assembly import R_NS, W_NS, placeholder_filler
from txplan.plugins.formats.wordml.package import save_reproducibly, set_core_properties
from txplan.plugins.formats.wordml.reference import header_footer_parts
from txplan.plugins.formats.wordml.writer import BodyWriter

PROBE_TEMPLATES = {
    "lists": "- one\n  - nested\n\n1. a\n2. b\n\nText.\n\n1. again\n\n- more\n",
    "links": (
        '::: note\nA [link](https://example.org/a?b=1&c="2") and [bad](javascript:alert(1)), '
        '[again](https://example.org/a?b=1&c="2") and [other](http://x.example/<y>)\n:::\n\n'
        "::: page-break\n:::\n\n::: signature-block\nSign.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n"
    ),
    "empty": "",
}


def built_by_python_docx(engine: txplan.Engine, plan: Any, deidentify: Any = None) -> bytes:
    """The same document built the way python-docx builds it: a copy of the reference opened
    by python-docx, the body moved in, list definitions, hyperlinks and charts added as elements,
    relationships and parts, the logo placed (unless de-identified), placeholders filled, the
    package saved."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml

    document = engine.render_document(plan, deidentify=deidentify)
    prepared = engine.prepare(engine.output_format("docx"))
    word = prepared.reference.fresh_document()
    body = word.element.body
    section_properties = body.sectPr
    for child in list(body):
        body.remove(child)
    numbering = word.part.numbering_part.element
    abstract_ids = [int(e.get(f"{{{W_NS}}}abstractNumId")) for e in numbering.findall(f"{{{W_NS}}}abstractNum")]
    num_ids = [int(e.get(f"{{{W_NS}}}numId")) for e in numbering.findall(f"{{{W_NS}}}num")]
    counters = {"abstract": max(abstract_ids, default=-1) + 1, "num": max(num_ids, default=0) + 1}
    lists: dict[str, int] = {}

    def add_abstract(ordered: bool) -> int:
        formats, bullets = ["decimal", "lowerLetter", "lowerRoman"], ["\u2022", "\u25e6", "\u25aa"]
        levels = "".join(
            f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="{formats[n % 3] if ordered else "bullet"}"/>'
            f'<w:lvlText w:val="{f"%{n + 1}." if ordered else bullets[n % 3]}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{360 * (n + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            for n in range(9)
        )
        number = counters["abstract"]
        counters["abstract"] += 1
        element = parse_xml(f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{number}"><w:multiLevelType w:val="hybridMultilevel"/>{levels}</w:abstractNum>')
        first = numbering.find(f"{{{W_NS}}}num")
        numbering.append(element) if first is None else first.addprevious(element)
        return number

    def add_num(abstract: int, restart: bool) -> int:
        number = counters["num"]
        counters["num"] += 1
        override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
        numbering.append(parse_xml(f'<w:num xmlns:w="{W_NS}" w:numId="{number}"><w:abstractNumId w:val="{abstract}"/>{override}</w:num>'))
        return number

    def new_list(ordered: bool) -> int:
        if not ordered:
            if "bullet" not in lists:
                lists["bullet"] = add_num(add_abstract(False), False)
            return lists["bullet"]
        if "decimal" not in lists:
            lists["decimal"] = add_abstract(True)
        return add_num(lists["decimal"], True)

    def link_id(url: str) -> str:
        return str(word.part.relate_to(url, RT.HYPERLINK, is_external=True))

    pictures = chart_pictures(word, document)
    markdown = document.markdown_without(word_format.SKIPPED_SECTIONS)
    if pictures is None:
        markdown = without_chart_references(markdown)
    xml = BodyWriter(prepared.reference.style_ids, link_id, new_list, pictures).body_xml(markdown)
    for element in list(parse_xml(f'<w:body xmlns:w="{W_NS}" xmlns:r="{R_NS}">{xml}</w:body>')):
        body.append(element)
    if section_properties is not None:
        body.append(section_properties)
    context = document.context
    if not context.deidentified:
        word_format._add_logo(word, prepared.logo, prepared.logo_file)
    fill = placeholder_filler(word_format._placeholder_values(context.client, context.letterhead, context.labels))
    for part in header_footer_parts(word):
        fill(part.element)
    set_core_properties(word.core_properties._element, document.title, context.start_date)
    return save_reproducibly(word)


def probe_engine(tmp_path: Path, name: str) -> txplan.Engine:
    """An engine for the bundled pack ``name``, for a one-section probe pack, or (``name`` with
    ``charts-off``) for the pack it names with score charts turned off."""
    if name.endswith(" charts-off"):
        pack = tmp_path / "charts-off"
        pack.mkdir(exist_ok=True)
        (pack / "pack.yaml").write_text(f"name: charts-off\nversion: '1'\nextends: {name.split()[0]}\ncharts: {{enabled: false}}\n", encoding="utf-8")
        return txplan.Engine(str(pack))
    if name not in PROBE_TEMPLATES:
        return txplan.Engine(name)
    pack = tmp_path / name
    (pack / "templates").mkdir(parents=True, exist_ok=True)
    (pack / "pack.yaml").write_text(f"name: {name}\nversion: '1'\nsections: [probe]\n", encoding="utf-8")
    (pack / "templates" / "probe.md.j2").write_text(PROBE_TEMPLATES[name], encoding="utf-8")
    return txplan.Engine(str(pack))


PLAN_CHANGES: dict[str, Callable[[str], str]] = {
    "as given": lambda text: text,
    "no phone, fax or email": lambda text: "\n".join(
        line for line in text.splitlines() if not line.startswith(("  phone:", "  fax:", "  email:"))
    ) + "\n",
    "a name with markup characters": lambda text: text.replace("name: Amélie Durand-Okafor", "name: 'Zoë <&> \"O''Brien\"  x'", 1),
}


PACKS = ["default", "es", "harbour-group", "default charts-off", "harbour-group charts-off", *PROBE_TEMPLATES]


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("change", list(PLAN_CHANGES))
def test_assembled_package_equals_python_docx_build(pack: str, change: str, tmp_path: Path, example_text: str) -> None:
    """Same bytes as python-docx's own build, for every pack shipped (with its charts, drawn
    through python-docx, and with charts off, assembled) and the probe packs."""
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(PLAN_CHANGES[change](example_text), encoding="utf-8")
    engine = probe_engine(tmp_path, pack)
    plan = engine.load(plan_path)
    assembled = engine.render(plan, "docx")
    assert assembled == built_by_python_docx(engine, plan)


@pytest.mark.parametrize("pack", ["harbour-group", "harbour-group charts-off"])
def test_a_deidentified_document_is_assembled_without_the_logo(pack: str, tmp_path: Path, example_path: Path) -> None:
    """De-identified: python-docx's bytes, from the package without the practice's logo."""
    engine = probe_engine(tmp_path, pack)
    plan = engine.load(example_path)
    assembled = engine.render(plan, "docx", deidentify=Deidentify())
    assert assembled == built_by_python_docx(engine, plan, Deidentify())
    assert b"word/_rels/header" not in assembled  # the logo is the header's only relationship


def test_a_reference_with_other_namespace_prefixes_is_assembled_alike(tmp_path: Path, example_path: Path) -> None:
    """A reference whose main part names WordprocessingML twice (``w`` and ``w2``) takes the
    slower path (the body moved in by lxml), and still gives python-docx's bytes."""
    import zipfile
    from importlib import resources

    reference = Path(str(resources.files("txplan.template_packs.default").joinpath("reference.docx"))).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(reference)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in ("word/document.xml", "word/numbering.xml"):
                data = data.replace(b"xmlns:w=", f'xmlns:w2="{W_NS}" xmlns:w='.encode(), 1)
            target.writestr(info, data)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: prefixes\nversion: '1'\nextends: default\n", encoding="utf-8")
    (pack / "reference.docx").write_bytes(out.getvalue())
    engine = txplan.Engine(str(pack))
    prepared = engine.prepare(engine.output_format("docx"))
    assert prepared.package.document_pieces is None and prepared.package.numbering_pieces is None
    plan = engine.load(example_path)
    assert engine.render(plan, "docx") == built_by_python_docx(engine, plan)


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200)


@given(statement=_text.filter(lambda s: s.strip()))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_goal_text_assembles_like_python_docx(statement: str, example_text: str, tmp_path: Path) -> None:
    """Whatever a goal says (markup characters, Markdown, any script), the bytes are python-docx's."""
    import yaml

    data = yaml.safe_load(example_text)
    data["goals"][0]["statement"] = statement
    plan_path = tmp_path / "plan.yaml"
    plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    engine = txplan.Engine()
    try:
        plan = engine.load(plan_path)
        assembled = engine.render(plan, "docx")
    except txplan.PlanError:
        return  # a statement the schema refuses is not rendered at all
    assert assembled == built_by_python_docx(engine, plan)
