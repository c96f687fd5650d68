"""Writing outputs: all of a plan's outputs or none (a failing rename puts back what was there),
and only regular files or new names (never a link, folder, device or FIFO)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from txplan import output
from txplan.errors import OutputError

OLD_DOCX, OLD_MD = b"old docx", b"old md"


def leftovers(folder: Path) -> list[str]:
    """txplan's temporary and backup files left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(output.TEMP_PREFIX))


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, Path]:
    """Two destinations that already hold an earlier render."""
    docx, md = tmp_path / "plan.docx", tmp_path / "plan.md"
    docx.write_bytes(OLD_DOCX)
    md.write_bytes(OLD_MD)
    return docx, md


def fail_replace_into(monkeypatch: pytest.MonkeyPatch, victim: Path, error: OSError) -> None:
    """Make renaming anything over ``victim`` fail (Word holding it open, say); every other
    rename, putting a backup back over another output included, works."""
    real_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == victim:
            raise error
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(output.os, "replace", replace)


def test_a_failing_second_rename_puts_the_first_back(previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second output cannot be renamed into place: the first, already replaced, gets its
    old bytes back; exit code 4 names the second; no temporary or backup file is left."""
    docx, md = previous
    fail_replace_into(monkeypatch, md, PermissionError(13, "Permission denied"))
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    assert caught.value.exit_code == 4
    assert str(md) in caught.value.message and "put back" in caught.value.message
    assert docx.read_bytes() == OLD_DOCX and md.read_bytes() == OLD_MD
    assert leftovers(tmp_path) == []


def test_a_failing_rename_removes_outputs_that_were_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An output that did not exist before is removed again when a later one fails."""
    docx, md = tmp_path / "plan.docx", tmp_path / "plan.md"
    md.write_bytes(OLD_MD)
    fail_replace_into(monkeypatch, md, OSError(16, "Device or resource busy"))
    with pytest.raises(OutputError):
        output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    assert not docx.exists() and md.read_bytes() == OLD_MD
    assert leftovers(tmp_path) == []


def test_another_program_taking_the_name_meanwhile(previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real rename failure: while the outputs are being written, a folder appears where the
    second one goes (the operating system then refuses the rename). The first is put back."""
    docx, _ = previous
    second = tmp_path / "plan.markdown"
    real_stage: Callable[[Path, bytes], str] = output._stage

    def stage_then_block(path: Path, content: bytes) -> str:
        temp = real_stage(path, content)
        if path == second:
            second.mkdir()
            (second / "notes.txt").write_bytes(b"someone else's")
        return temp

    monkeypatch.setattr(output, "_stage", stage_then_block)
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(docx, b"new docx"), (second, b"new md")])
    assert str(second) in caught.value.message
    assert docx.read_bytes() == OLD_DOCX
    assert (second / "notes.txt").read_bytes() == b"someone else's"
    assert leftovers(tmp_path) == []


def test_where_no_hard_link_can_be_made_a_private_copy_is_kept(previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a file system without hard links the backup is a 0600 copy; it still restores."""
    docx, md = previous
    os.chmod(docx, 0o640)
    modes: list[int] = []
    real_copy = output._copy_private

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(1, "Operation not permitted")

    def copy_and_look(source: Path, backup: str) -> None:
        real_copy(source, backup)
        modes.append(stat.S_IMODE(os.stat(backup).st_mode))

    monkeypatch.setattr(output.os, "link", no_links)
    monkeypatch.setattr(output, "_copy_private", copy_and_look)
    fail_replace_into(monkeypatch, md, PermissionError(13, "Permission denied"))
    with pytest.raises(OutputError):
        output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    assert modes == [0o600, 0o600]
    assert docx.read_bytes() == OLD_DOCX and md.read_bytes() == OLD_MD
    assert leftovers(tmp_path) == []


def test_no_backup_possible_means_nothing_is_replaced(previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the second destination can neither be linked nor read, nothing is renamed at all."""
    docx, md = previous
    real_copy = output._copy_private

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(1, "Operation not permitted")

    def unreadable(source: Path, backup: str) -> None:
        if Path(source) == md:
            raise PermissionError(13, "Permission denied")
        real_copy(source, backup)

    monkeypatch.setattr(output.os, "link", no_links)
    monkeypatch.setattr(output, "_copy_private", unreadable)
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    assert str(md) in caught.value.message
    assert docx.read_bytes() == OLD_DOCX and md.read_bytes() == OLD_MD
    assert leftovers(tmp_path) == []


def test_success_replaces_all_and_leaves_no_backup(previous: tuple[Path, Path], tmp_path: Path) -> None:
    """The normal case: both replaced, 0600, nothing else left in the folder."""
    docx, md = previous
    output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    assert docx.read_bytes() == b"new docx" and md.read_bytes() == b"new md"
    assert stat.S_IMODE(docx.stat().st_mode) == 0o600 == stat.S_IMODE(md.stat().st_mode)
    assert leftovers(tmp_path) == []


# -- what a destination may be ------------------------------------------------------------------


def _special(kind: str, tmp_path: Path) -> tuple[Path, Callable[[], Any]]:
    """A destination of ``kind`` and a function giving what must stay unchanged about it."""
    if kind == "link to /dev/null":
        node = tmp_path / "out.docx"
        node.symlink_to(os.devnull)
        return node, lambda: (os.readlink(node), stat.S_ISCHR(os.stat(os.devnull).st_mode))
    if kind == "link to a regular file":
        target = tmp_path / "real.docx"
        target.write_bytes(b"the real file")
        node = tmp_path / "out.docx"
        node.symlink_to(target)
        return node, lambda: (os.readlink(node), target.read_bytes())
    if kind == "FIFO":
        node = tmp_path / "out.docx"
        os.mkfifo(node)
        return node, lambda: stat.S_ISFIFO(os.lstat(node).st_mode)
    if kind == "link to a FIFO":
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        node = tmp_path / "out.docx"
        node.symlink_to(fifo)
        return node, lambda: (os.readlink(node), stat.S_ISFIFO(os.lstat(fifo).st_mode))
    node = tmp_path / "out.docx"
    node.mkdir()
    (node / "inside").write_bytes(b"kept")
    return node, lambda: (node / "inside").read_bytes()


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("link to /dev/null", "a symbolic link"),
        ("link to a regular file", "a symbolic link"),
        ("FIFO", "a named pipe (FIFO)"),
        ("link to a FIFO", "a symbolic link"),
        ("folder", "a folder"),
    ],
)
def test_outputs_that_are_not_regular_files_are_refused(kind: str, said: str, tmp_path: Path) -> None:
    """A link (to a device, a FIFO or even a regular file), a FIFO or a folder is refused with
    exit 4 naming the path and what it is; the node is untouched and nothing else is written."""
    node, state = _special(kind, tmp_path)
    before = state()
    other = tmp_path / "out.md"
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(other, b"new md"), (node, b"plan")])
    assert caught.value.exit_code == 4
    assert caught.value.message == f"cannot write {node}: it is {said}; txplan writes only regular files (give a new file name or a folder)"
    assert state() == before and os.path.lexists(node)
    assert not other.exists() and leftovers(tmp_path) == []


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    """A device node (``-o /dev/null`` run as root): refused before a temporary file is made
    beside it, and left a device. The node is made in the test's own folder (a copy of
    /dev/null's device numbers), never the system's: a regression must not replace that."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(node, b"plan")])
    assert caught.value.message == f"cannot write {node}: it is a device; txplan writes only regular files (give a new file name or a folder)"
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_render_to_a_link_to_dev_null_via_the_cli(run: Callable[..., Any], tmp_path: Path, example_path: Path) -> None:
    """``txplan render -o link`` where the link points to /dev/null: exit 4, link untouched."""
    link = tmp_path / "plan.md"
    link.symlink_to(os.devnull)
    result = run("render", example_path, "-f", "md", "-o", link)
    assert result.code == 4
    assert result.err == f"txplan: error: cannot write {link}: it is a symbolic link; txplan writes only regular files (give a new file name or a folder)\n"
    assert link.is_symlink() and os.readlink(link) == os.devnull
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]


def test_render_where_the_second_output_is_a_folder_keeps_the_first(run: Callable[..., Any], tmp_path: Path, example_path: Path) -> None:
    """`render -f docx,md` into a folder where `plan.md` is a folder: exit 4 naming it, and the
    earlier `plan.docx` keeps its bytes; nothing else is left behind."""
    stem = example_path.stem
    (tmp_path / f"{stem}.docx").write_bytes(OLD_DOCX)
    (tmp_path / f"{stem}.md").mkdir()
    result = run("render", example_path, "-f", "docx,md", "-o", f"{tmp_path}/")
    assert result.code == 4
    assert f"cannot write {tmp_path / (stem + '.md')}: it is a folder" in result.err
    assert (tmp_path / f"{stem}.docx").read_bytes() == OLD_DOCX
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{stem}.docx", f"{stem}.md"]


def test_a_file_that_cannot_be_put_back_keeps_its_backup_and_says_where(previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If even putting the first output back fails, its previous content is not deleted: the
    message names the backup that holds it."""
    docx, md = previous
    real_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if Path(dst) == md or (Path(dst) == docx and Path(src).read_bytes() == OLD_DOCX):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(output.os, "replace", replace)
    with pytest.raises(OutputError) as caught:
        output.write_outputs([(docx, b"new docx"), (md, b"new md")])
    kept = tmp_path / "plan.docx.txplan-previous"
    assert caught.value.message.endswith(f"{docx} could not be put back (permission denied (the folder is read-only or not yours)); its previous content is in {kept}")
    assert kept.read_bytes() == OLD_DOCX and md.read_bytes() == OLD_MD and leftovers(tmp_path) == []
    # The next write into the folder sweeps temporary files; the kept copy is not one of them.
    monkeypatch.setattr(output.os, "replace", real_replace)
    output.write_outputs([(md, b"newer md")])
    assert kept.read_bytes() == OLD_DOCX


def test_a_live_runs_backup_of_an_old_file_is_not_swept(previous: tuple[Path, Path], tmp_path: Path) -> None:
    """A backup is a hard link, so it carries the old file's modification time; a sweep by another
    run writing into the same folder must not take it for an hour-old leftover while its writer
    (alive: this process) may still need it."""
    docx, _ = previous
    os.utime(docx, (1_000_000_000, 1_000_000_000))  # the earlier render is from 2001
    backup = output._keep_backup(docx)
    assert backup is not None and Path(backup).name.startswith(output.temp_prefix())
    output.sweep_stale_parts(tmp_path)
    assert Path(backup).read_bytes() == OLD_DOCX


def test_a_killed_runs_backup_is_swept(previous: tuple[Path, Path], tmp_path: Path) -> None:
    """A backup left by a run killed between keeping it and removing it (its writer is dead)
    holds health information nobody needs: the next write into the folder removes it."""
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = tmp_path / f"{output.temp_prefix(dead.pid)}abcd1234{output.BACKUP_SUFFIX}"
    os.link(previous[0], orphan)
    output.write_outputs([(previous[1], b"new md")])
    assert leftovers(tmp_path) == []
