"""Every source a user sees is a real, public one: instrument citations name the paper in full,
licences carry the developers' own attribution, and nothing txplan installs or writes points to a
file a user does not have (the project's internal notes)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pytest

import txplan

TEXT_SUFFIXES = (".py", ".md", ".j2", ".yaml", ".yml", ".json", ".txt", ".typed", ".xml", ".cfg", ".toml")
#: The developers' attribution line for the PHQ-9 and GAD-7, as their terms give it.
PFIZER_LINE = ("Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational "
               "grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute.")


def _files(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        if entry.name == "__pycache__":
            continue
        name = f"{prefix}/{entry.name}"
        if entry.is_dir():
            yield from _files(entry, name)
        else:
            yield name, entry


def _texts_of(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) for a text file, or for each XML part of a Word document."""
    if name.endswith(".docx"):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            for part in package.namelist():
                if part.endswith((".xml", ".rels")):
                    yield f"{name}!{part}", package.read(part).decode("utf-8", "replace")
    elif name.endswith(TEXT_SUFFIXES):
        yield name, data.decode("utf-8", "replace")


def _hits(where: str, text: str, internal_notes: re.Pattern[str]) -> list[str]:
    return [f"{where}:{number}: {line.strip()[:120]}" for number, line in enumerate(text.splitlines(), 1) if internal_notes.search(line)]


def test_installed_package_cites_no_internal_file(internal_notes: re.Pattern[str]) -> None:
    """No file txplan installs (code, templates, schemas, packs, the example) names an internal note."""
    hits = []
    for name, entry in _files(resources.files("txplan"), "txplan"):
        for where, text in _texts_of(name, entry.read_bytes()):
            hits += _hits(where, text, internal_notes)
    assert hits == [], "\n".join(hits)


@pytest.mark.parametrize("pack", ["default", "harbour-group", "es"])
def test_generated_documents_cite_no_internal_file(pack: str, example_path: Path, internal_notes: re.Pattern[str]) -> None:
    """The example rendered as Markdown and as Word, with each bundled pack, names no internal note."""
    hits = []
    for fmt in ("markdown", "docx"):
        data = txplan.render_plan(example_path, fmt, pack=pack)
        name = f"example.{'docx' if fmt == 'docx' else 'md'}"
        for where, text in _texts_of(name, data):
            hits += _hits(where, text, internal_notes)
    assert hits == [], "\n".join(hits)


def test_instrument_citations_are_complete(run: Callable[..., Any]) -> None:
    """`txplan instruments` shows each paper with its full title and journal, and every change
    threshold names its paper; none rests on an unnamed 'definition'."""
    listed = {i["id"]: i for i in json.loads(run("instruments", "--json").out)}
    assert "Models of the self and other: Fundamental dimensions underlying measures of adult attachment. Journal of " \
        "Personality and Social Psychology, 67(3), 430-445" in listed["rq"]["citation"]
    assert "Relationship Structures questionnaire: A method for assessing attachment orientations across relationships. " \
        "Psychological Assessment, 23(3), 615-625" in listed["ecr-rs"]["citation"]
    gad7 = {t["points"]: t["citation"] for t in listed["gad-7"]["thresholds"]}
    assert gad7[6] == ("Bischoff, T., Anderson, S. R., Heafner, J., & Tambling, R. (2020). Establishment of a reliable change "
                       "index for the GAD-7. Psychology, Community & Health, 8(1), 176-187")
    phq9 = {t["points"]: t["citation"] for t in listed["phq-9"]["thresholds"]}
    # The 6-point 'reliable improvement' had no named document behind it and is not offered.
    assert list(phq9) == [5] and "Medical Care, 42(12), 1194-1201" in phq9[5]
    for instrument in listed.values():
        for threshold in instrument["thresholds"]:
            assert "(" in threshold["citation"] and any(c.isdigit() for c in threshold["citation"]), threshold


def test_pfizer_attribution_is_shown_in_full(run: Callable[..., Any]) -> None:
    """The PHQ-9 and GAD-7 licence is the developers' own line, in the JSON and the plain listing."""
    listed = {i["id"]: i for i in json.loads(run("instruments", "--json").out)}
    assert listed["phq-9"]["licence"] == PFIZER_LINE and listed["gad-7"]["licence"] == PFIZER_LINE
    assert run("instruments").out.count(f"licence: {PFIZER_LINE}") == 2
