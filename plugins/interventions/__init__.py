"""Built-in intervention libraries, one module each, their entries in YAML files of the same
shape a practice's own library uses (schemas/library.schema.json)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from txplan.contracts import InterventionLibrary
from txplan.libraries import load_library


def builtin_library(filename: str) -> InterventionLibrary:
    """One of the library files shipped beside this module, read and checked exactly as a
    practice's own library is."""
    return load_library(Path(str(resources.files(__name__).joinpath(filename))))
