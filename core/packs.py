"""Template packs: find one by name or folder, read its ``pack.yaml``, and layer it on the pack
it extends (practice pack -> the pack it extends -> default)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from .contracts import InterventionLibrary
from .errors import PackError, PlanError, Problem
from .loader import load_plan_bytes
from .patterns import pattern_problems
from .safe_paths import MAX_LIBRARY_BYTES, MAX_LOGO_BYTES, MAX_MANIFEST_BYTES, MAX_REFERENCE_BYTES, UnsafePackPath, locate, read_located

DEFAULT_PACK = "default"
MAX_EXTENDS_DEPTH = 8


@dataclass
class TemplatePack:
    """A loaded template pack and the chain of packs it extends.

    ``origin`` says where it came from (``built-in``, ``folder ...``, ``plugin '...'``).
    """

    name: str
    root: Path
    origin: str
    manifest: dict[str, Any]
    parent: TemplatePack | None = None
    _labels: dict[str, Any] = field(default_factory=dict, repr=False)

    def chain(self) -> list[TemplatePack]:
        """This pack, then the pack it extends, and so on to the default pack."""
        packs, pack = [], self
        while pack is not None:
            packs.append(pack)
            pack = pack.parent
        return packs

    @cached_property
    def sections(self) -> list[str]:
        """Section names in document order (this pack's, or the nearest ancestor's)."""
        return next(list(p.manifest["sections"]) for p in self.chain() if "sections" in p.manifest)

    def sections_for(self, kind: str) -> list[str]:
        """Section names of document ``kind`` in order: ``plan`` (:attr:`sections`), ``review``
        or ``discharge`` (``documents.<kind>.sections`` of this pack or the nearest ancestor
        that gives them); :class:`PackError` when no pack in the chain has that document."""
        if kind == "plan":
            return self.sections
        for pack in self.chain():
            document = pack.manifest.get("documents", {}).get(kind)
            if document:
                return list(document["sections"])
        raise PackError(f"template pack '{self.name}' has no '{kind}' document (documents.{kind}.sections in pack.yaml)")

    @cached_property
    def labels(self) -> dict[str, Any]:
        """Labels merged along the chain; the most specific pack wins, group by group."""
        merged: dict[str, Any] = {}
        for pack in reversed(self.chain()):
            for key, value in pack.manifest.get("labels", {}).items():
                if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
        return merged

    @cached_property
    def requires(self) -> dict[str, Any] | None:
        """The plan-schema overlays of every pack in the chain, combined, or ``None``."""
        overlays = [p.manifest["requires"] for p in self.chain() if p.manifest.get("requires")]
        if not overlays:
            return None
        return overlays[0] if len(overlays) == 1 else {"allOf": overlays}

    @cached_property
    def practice(self) -> dict[str, Any]:
        """The practice identity the packs in the chain give (most specific wins), without the logo."""
        merged: dict[str, Any] = {}
        for pack in reversed(self.chain()):
            merged.update({k: v for k, v in pack.manifest.get("practice", {}).items() if k != "logo"})
        return merged

    @cached_property
    def logo(self) -> bytes | None:
        """The letterhead logo (PNG or JPEG, checked) of the nearest pack that names one."""
        for pack in self.chain():
            relative = pack.manifest.get("practice", {}).get("logo")
            if relative:
                data = pack.read_inside(relative, MAX_LOGO_BYTES)
                problem = image_problem(data)
                if problem:
                    raise PackError(f"template pack '{pack.name}': logo '{relative}' {problem}")
                return data
        return None

    def libraries(self) -> list[InterventionLibrary]:
        """The intervention libraries the packs in the chain list, the default's side first."""
        from .libraries import load_library

        found = []
        for pack in reversed(self.chain()):
            for relative in pack.manifest.get("libraries", []):
                found.append(load_library(pack.file_inside(relative, MAX_LIBRARY_BYTES)))
        return found

    def file_inside(self, relative: str, cap: int) -> Path:
        """``relative`` within the pack folder: a regular file of at most ``cap`` bytes, no link
        on the way, no way out of the pack; :class:`PackError` otherwise (also when absent)."""
        try:
            path = locate(self.root, relative, cap)
        except UnsafePackPath as exc:
            raise PackError(f"template pack '{self.name}': {exc}") from None
        if path is None:
            raise PackError(f"template pack '{self.name}': '{relative}' does not exist")
        return path

    def read_inside(self, relative: str, cap: int) -> bytes:
        """The bytes of ``relative`` within the pack, checked as :meth:`file_inside` does and
        read without following a link or blocking on a pipe."""
        path = self.file_inside(relative, cap)
        try:
            return read_located(path, cap, relative)
        except UnsafePackPath as exc:
            raise PackError(f"template pack '{self.name}': {exc}") from None

    def template_roots(self) -> list[tuple[str, Path]]:
        """(pack name, folder) for each pack in the chain, most specific first."""
        return [(p.name, p.root) for p in self.chain()]

    def find_file(self, name: str, cap: int = MAX_REFERENCE_BYTES) -> Path | None:
        """The first pack in the chain that has file ``name`` (e.g. ``reference.docx``). A pack
        whose ``name`` is present but unusable (a link, a folder, a FIFO, over ``cap`` bytes)
        is a :class:`PackError`: it is never silently replaced by the parent pack's."""
        for pack in self.chain():
            try:
                candidate = locate(pack.root, name, cap)
            except UnsafePackPath as exc:
                raise PackError(f"template pack '{pack.name}': {exc}") from None
            if candidate is not None:
                return candidate
        return None


def resolve_pack(spec: str | None, registered: Mapping[str, Any]) -> TemplatePack:
    """The pack ``spec`` names: a registered pack's name, or a folder holding ``pack.yaml``.
    ``None`` means the default pack. Raises :class:`PackError` (exit 3) when it cannot be used."""
    return _load(spec or DEFAULT_PACK, registered, seen=())


def _load(spec: str, registered: Mapping[str, Any], seen: tuple[str, ...]) -> TemplatePack:
    if len(seen) > MAX_EXTENDS_DEPTH:
        raise PackError(f"template pack '{seen[0]}' extends more than {MAX_EXTENDS_DEPTH} packs deep")
    if spec in registered:
        source = registered[spec]
        root, origin = Path(str(source.root)), "built-in" if spec == DEFAULT_PACK else "installed plugin"
    elif _looks_like_path(spec):
        root, origin = Path(spec), f"folder {spec}"
        if not root.is_dir():
            raise PackError(f"template pack folder '{spec}' does not exist")
    else:
        available = ", ".join(sorted(registered)) or "none"
        raise PackError(f"no template pack named '{spec}' (available: {available}; or give a pack folder)")
    manifest_path = root / "pack.yaml"
    try:
        located = locate(root, "pack.yaml", MAX_MANIFEST_BYTES)
        raw = None if located is None else read_located(located, MAX_MANIFEST_BYTES, "pack.yaml")
    except UnsafePackPath as exc:
        raise PackError(f"template pack '{spec}': {exc}") from None
    if raw is None:
        raise PackError(f"template pack '{spec}' has no pack.yaml ({manifest_path})")
    manifest = _read_manifest(manifest_path, raw)
    name = manifest["name"]
    if name in seen:
        raise PackError(f"template pack '{name}' extends itself (through {' -> '.join(seen)})")
    if spec in registered and name != spec:
        raise PackError(f"{manifest_path}: name '{name}' differs from the name '{spec}' it is registered under")
    default_parent = None if name == DEFAULT_PACK else DEFAULT_PACK
    parent_name = manifest.get("extends", default_parent)
    parent = _load(parent_name, registered, (*seen, name)) if parent_name else None
    if parent is None and "sections" not in manifest:
        raise PackError(f"{manifest_path}: a pack that extends no other pack must list its sections")
    return TemplatePack(name, root, origin, manifest, parent)


MAX_IMAGE_BYTES = MAX_LOGO_BYTES
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be a letterhead image (``None`` when it is a whole PNG or JPEG of sane
    size). A truncated or corrupt image is caught here, not deep in the Word writer."""
    if not (data.startswith(PNG_SIGNATURE) or data.startswith(b"\xff\xd8\xff")):
        return "is not a PNG or JPEG image"
    if len(data) > MAX_IMAGE_BYTES:
        return f"is {len(data):,} bytes; at most {MAX_IMAGE_BYTES:,} are allowed"
    damage = _png_damage(data) if data.startswith(PNG_SIGNATURE) else _jpeg_damage(data)
    return f"is a damaged image ({damage}); export it again from an image editor" if damage else None


def _png_damage(data: bytes) -> str | None:
    """Walk the PNG's chunks (PNG specification, section 5.3): each must fit in the file and
    match its CRC; the first is IHDR and the last IEND."""
    import struct
    import zlib

    offset, first, last = len(PNG_SIGNATURE), None, None
    while offset < len(data):
        if offset + 12 > len(data):
            return "it is cut short"
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        end = offset + 12 + length
        if end > len(data):
            return "it is cut short"
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[offset + 4 : end - 4]) != crc:
            return f"chunk {kind.decode('latin-1')!r} fails its checksum"
        first, last, offset = first or kind, kind, end
        if kind == b"IEND":
            break
    if first != b"IHDR" or last != b"IEND":
        return "it is cut short" if first == b"IHDR" else "it has no header"
    return None


def _jpeg_damage(data: bytes) -> str | None:
    """A JPEG must carry a frame header python-docx can size, and end with its end marker."""
    from docx.image.image import Image

    if b"\xff\xd9" not in data[-1024:]:
        return "it is cut short"
    try:
        Image.from_blob(data)
    except Exception:  # noqa: BLE001 - python-docx raises several types for unreadable headers
        return "its header cannot be read"
    return None


def _looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.startswith(".") or Path(spec).is_dir()


def _read_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        loaded = load_plan_bytes(raw, str(path))
    except PlanError as exc:
        raise PackError(problems=exc.problems) from None
    problems = [
        loaded.problem(tuple(error.absolute_path), _manifest_message(error))
        for error in _manifest_validator().iter_errors(loaded.data)
    ]
    if isinstance(loaded.data, Mapping) and "requires" in loaded.data:
        # Checked now, not when the first plan is validated: a broken or unsafe pattern is the
        # pack's fault (exit 3), and a plan must never reach a pattern that can hang.
        problems.extend(loaded.problem(where, message) for where, message in pattern_problems(loaded.data["requires"], ("requires",)))
    if problems:
        raise PackError(f"template pack manifest {path} is not valid:", problems)
    return loaded.data


def _manifest_message(error: jsonschema.ValidationError) -> str:
    # pack.yaml holds no health information, so jsonschema's own message is safe to show here.
    return error.message


@lru_cache(maxsize=1)
def _manifest_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("txplan.schemas").joinpath("pack.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def problem_in_template(pack: TemplatePack, template: str, line: int | None, message: str) -> Problem:
    """A problem located in one of ``pack``'s templates, for template errors at render time."""
    return Problem(f"pack '{pack.name}' template {template}", line, "", message)
