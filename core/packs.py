"""Template packs: find one by name or folder, read its ``pack.yaml``, and layer it on the pack
it extends (practice pack -> the pack it extends -> default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from .contracts import InterventionLibrary, PackFile, PackView
from .datafile import parse_data_bytes
from .errors import PackError, PlanError, Problem
from .patterns import pattern_problems
from .safe_paths import MAX_LIBRARY_BYTES, MAX_LOGO_BYTES, MAX_MANIFEST_BYTES, MAX_REFERENCE_BYTES, MAX_STYLESHEET_BYTES, UnsafePackPath, locate, read_located

DEFAULT_PACK = "default"
MAX_EXTENDS_DEPTH = 8


@dataclass
class TemplatePack:
    """A loaded template pack and the chain of packs it extends."""

    name: str
    root: Path
    manifest: dict[str, Any]
    parent: TemplatePack | None = None

    def chain(self) -> list[TemplatePack]:
        """This pack, then the pack it extends, and so on to the default pack."""
        packs: list[TemplatePack] = []
        pack: TemplatePack | None = self
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
    def rendered_sections(self) -> list[str]:
        """The sections a plan document renders (:meth:`rendered_sections_for` ``plan``)."""
        return self.rendered_sections_for("plan")

    def rendered_sections_for(self, kind: str) -> list[str]:
        """The sections document ``kind`` renders, in order: :meth:`sections_for`, plus each
        section a pack in the chain lists under ``always_sections`` that they leave out, put
        after the section it names (or first). A pack cannot drop a section a pack it extends
        always renders (the default pack's safety alerts)."""
        sections = list(self.sections_for(kind))
        for pack in reversed(self.chain()):
            for always in pack.manifest.get("always_sections", []):
                if always["name"] not in sections:
                    after = always.get("after")
                    sections.insert(sections.index(after) + 1 if after in sections else 0, always["name"])
        return sections

    def setting(self, group: str, key: str) -> Any:
        """``pack.yaml``'s ``group.key`` (``check.profile``, ``render.format``) from the nearest
        pack in the chain that gives it, else the default the pack schema declares."""
        for pack in self.chain():
            value = (pack.manifest.get(group) or {}).get(key)
            if value is not None:
                return value
        return _manifest_schema()["properties"][group]["properties"][key].get("default")

    @cached_property
    def view(self) -> PackView:
        """What output formats may read of this pack (:class:`~txplan.contracts.PackView`)."""
        language = next((p.manifest["language"] for p in self.chain() if p.manifest.get("language")), "en")
        charts: dict[str, Any] = {"colours": {}}
        for pack in reversed(self.chain()):  # the most specific pack that sets a key wins
            settings = pack.manifest.get("charts") or {}
            if "enabled" in settings:
                charts["enabled"] = bool(settings["enabled"])
            charts["colours"].update(settings.get("colours") or {})
        return PackView(
            self.name, self.labels, self.practice, tuple(self.rendered_sections), self._logo, self._pack_file, language, charts, self._named_file
        )

    def _named_file(self, group: str, key: str) -> PackFile | None:
        """The file the nearest pack's ``group.key`` names (located safely, not yet read)."""
        owner = next((p for p in self.chain() if (p.manifest.get(group) or {}).get(key)), None)
        if owner is None:
            return None
        relative = owner.manifest[group][key]
        path = owner.file_inside(relative, MAX_STYLESHEET_BYTES)
        return PackFile(owner.name, relative, path, lambda: owner._read_located(path, relative, MAX_STYLESHEET_BYTES))

    def _pack_file(self, name: str) -> PackFile | None:
        found = self._find(name, MAX_REFERENCE_BYTES)
        if found is None:
            return None
        owner, path = found
        return PackFile(owner.name, name, path, lambda: owner._read_located(path, name, MAX_REFERENCE_BYTES))

    def _logo(self) -> PackFile | None:
        """The file the nearest pack's ``practice.logo`` names (located safely, not yet read)."""
        owner = next((p for p in self.chain() if p.manifest.get("practice", {}).get("logo")), None)
        if owner is None:
            return None
        relative = owner.manifest["practice"]["logo"]
        path = owner.file_inside(relative, MAX_LOGO_BYTES)
        return PackFile(owner.name, relative, path, lambda: owner._read_located(path, relative, MAX_LOGO_BYTES))

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
        return self._read_located(self.file_inside(relative, cap), relative, cap)

    def _read_located(self, path: Path, relative: str, cap: int) -> bytes:
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
        found = self._find(name, cap)
        return found[1] if found else None

    def _find(self, name: str, cap: int) -> tuple[TemplatePack, Path] | None:
        for pack in self.chain():
            try:
                candidate = locate(pack.root, name, cap)
            except UnsafePackPath as exc:
                raise PackError(f"template pack '{pack.name}': {exc}") from None
            if candidate is not None:
                return pack, candidate
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
        root = Path(str(source.root))
    elif _looks_like_path(spec):
        root = Path(spec)
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
    return TemplatePack(name, root, manifest, parent)


def _looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.startswith(".") or Path(spec).is_dir()


def _read_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        loaded = parse_data_bytes(raw, str(path))
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
    return jsonschema.Draft202012Validator(_manifest_schema())


@lru_cache(maxsize=1)
def _manifest_schema() -> dict[str, Any]:
    from .schema import bundled_schema

    return bundled_schema("pack.schema.json")


def problem_in_template(pack: TemplatePack, template: str, line: int | None, message: str) -> Problem:
    """A problem located in one of ``pack``'s templates, for template errors at render time."""
    return Problem(f"pack '{pack.name}' template {template}", line, "", message)
