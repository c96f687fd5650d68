"""Every path a pack uses stays inside the pack: no symbolic link anywhere between the pack folder
and the file, regular files only (a folder or FIFO is an error, never replaced by the parent
pack's file, and never blocks), and sizes capped before a byte is read."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from txplan.safe_paths import MAX_MANIFEST_BYTES, MAX_REFERENCE_BYTES

Run = Callable[..., Any]
DEFAULT_REFERENCE = Path(str(resources.files("txplan.template_packs.default").joinpath("reference.docx")))
HARBOUR_LOGO = Path(str(resources.files("txplan.template_packs.harbour_group").joinpath("logo.png")))


def make_pack(tmp_path: Path, manifest_extra: str = "") -> Path:
    """A small working pack: one section, its template, the default's reference document."""
    pack = tmp_path / "pack"
    (pack / "templates").mkdir(parents=True)
    (pack / "pack.yaml").write_text(f"name: probe\nversion: '1'\nsections: [only]\n{manifest_extra}", encoding="utf-8")
    (pack / "templates" / "only.md.j2").write_text("## Only\n", encoding="utf-8")
    shutil.copyfile(DEFAULT_REFERENCE, pack / "reference.docx")
    return pack


def outside(tmp_path: Path) -> Path:
    """A folder outside the pack holding a template that would leak a secret, and a reference."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "only.md.j2").write_text("ZZSECRET\n", encoding="utf-8")
    shutil.copyfile(DEFAULT_REFERENCE, folder / "reference.docx")
    return folder


def refused(run: Run, pack: Path, example_path: Path, tmp_path: Path, expected: str) -> None:
    """`render` exits 3 naming ``expected`` and writes nothing; `pack check` exits 3 naming it too."""
    result = run("render", example_path, "--pack", pack, "-f", "md,docx", "-o", tmp_path / "out")
    assert result.code == 3, result.err
    assert expected in result.err, result.err
    assert "ZZSECRET" not in result.out + result.err and "Traceback" not in result.err
    assert not (tmp_path / "out").exists()
    checked = run("pack", "check", pack)
    assert checked.code == 3 and expected in checked.err, checked.err


def test_linked_templates_folder_is_refused(run: Run, tmp_path: Path, example_path: Path) -> None:
    """templates/ as a link to a folder outside the pack is not followed."""
    pack = make_pack(tmp_path)
    shutil.rmtree(pack / "templates")
    (pack / "templates").symlink_to(outside(tmp_path), target_is_directory=True)
    refused(run, pack, example_path, tmp_path, "is or goes through a symbolic link (templates); symbolic links are not allowed in a pack")


def test_linked_reference_document_is_refused(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A reference.docx that links to a (valid) document outside the pack is not used."""
    pack = make_pack(tmp_path)
    (pack / "reference.docx").unlink()
    (pack / "reference.docx").symlink_to(outside(tmp_path) / "reference.docx")
    refused(run, pack, example_path, tmp_path, "template pack 'probe': 'reference.docx' is or goes through a symbolic link")


def test_reference_document_that_is_a_folder_is_not_replaced_by_the_parents(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A folder named reference.docx is an error, not a silent fall-back to the default pack's."""
    pack = make_pack(tmp_path)
    (pack / "reference.docx").unlink()
    (pack / "reference.docx").mkdir()
    refused(run, pack, example_path, tmp_path, "'reference.docx' is a folder, not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_reference_document_that_is_a_fifo_is_refused_without_blocking(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A FIFO named reference.docx is refused (its type is checked before it is opened)."""
    pack = make_pack(tmp_path)
    (pack / "reference.docx").unlink()
    os.mkfifo(pack / "reference.docx")
    refused(run, pack, example_path, tmp_path, "'reference.docx' is a named pipe (FIFO), not a regular file")


def test_oversized_reference_document_is_refused_before_reading(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A reference.docx over the cap is refused from its size alone (a sparse file: nothing to read)."""
    pack = make_pack(tmp_path)
    with open(pack / "reference.docx", "r+b") as handle:
        handle.truncate(MAX_REFERENCE_BYTES + 1)
    refused(run, pack, example_path, tmp_path, f"'reference.docx' is {MAX_REFERENCE_BYTES + 1:,} bytes; at most {MAX_REFERENCE_BYTES:,} are allowed")


def test_linked_manifest_is_refused(run: Run, tmp_path: Path, example_path: Path) -> None:
    """pack.yaml itself may not be a link."""
    pack = make_pack(tmp_path)
    real = tmp_path / "manifest.yaml"
    (pack / "pack.yaml").rename(real)
    (pack / "pack.yaml").symlink_to(real)
    result = run("render", example_path, "--pack", pack, "-f", "md", "-o", tmp_path / "out")
    assert result.code == 3 and "'pack.yaml' is or goes through a symbolic link" in result.err
    assert not (tmp_path / "out").exists()


def test_oversized_manifest_is_refused(run: Run, tmp_path: Path, example_path: Path) -> None:
    """A pack.yaml over the cap (here: padded with comments) is refused before parsing."""
    pack = make_pack(tmp_path)
    with open(pack / "pack.yaml", "a", encoding="utf-8") as handle:
        handle.write("# padding\n" * (MAX_MANIFEST_BYTES // 10 + 1))
    result = run("render", example_path, "--pack", pack, "-f", "md", "-o", tmp_path / "out")
    assert result.code == 3 and f"at most {MAX_MANIFEST_BYTES:,} are allowed" in result.err


@pytest.mark.parametrize("kind", ["link", "fifo", "folder"])
def test_unusable_logo_is_refused(kind: str, run: Run, tmp_path: Path, example_path: Path) -> None:
    """The logo named in pack.yaml must be a regular file inside the pack."""
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    pack = make_pack(tmp_path, "practice:\n  logo: logo.png\n")
    target = pack / "logo.png"
    if kind == "link":
        shutil.copyfile(HARBOUR_LOGO, tmp_path / "real.png")
        target.symlink_to(tmp_path / "real.png")
        expected = "'logo.png' is or goes through a symbolic link"
    elif kind == "fifo":
        os.mkfifo(target)
        expected = "'logo.png' is a named pipe (FIFO), not a regular file"
    else:
        target.mkdir()
        expected = "'logo.png' is a folder, not a regular file"
    refused(run, pack, example_path, tmp_path, expected)
