"""The package installs as one import name, with its data, and the repository folders do not leak."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources

import txplan


def test_folders_are_not_importable_as_top_level_packages() -> None:
    """`core` and `plugins` exist only as `txplan` and `txplan.plugins` (no double import)."""
    for name in ("core", "plugins", "schemas", "template_packs"):
        assert importlib.util.find_spec(name) is None, f"'{name}' is importable as a top-level package"


def test_data_files_ship_with_the_package() -> None:
    """The schemas, the default pack and the example plan are package data."""
    schema = json.loads(resources.files("txplan.schemas").joinpath("plan.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    pack = resources.files("txplan.template_packs.default")
    assert pack.joinpath("pack.yaml").is_file()
    assert pack.joinpath("templates", "goals.md.j2").is_file()
    assert resources.files("txplan.examples").joinpath("attachment-plan.yaml").is_file()


def test_public_api_is_exported() -> None:
    """The README's API names exist on the package."""
    for name in ("load_plan", "validate_plan", "render_plan", "run_plan", "PlanResult", "Engine", "hookimpl", "PlanError"):
        assert hasattr(txplan, name)
