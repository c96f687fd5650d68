"""Registers the two example practice packs shipped with txplan: ``harbour-group`` (a group
practice's letterhead, section order and insurer requirements) and ``es`` (the whole document
in Spanish). Copy either folder to start a pack of your own."""

from __future__ import annotations

from importlib import resources

from txplan import hookimpl
from txplan.contracts import PackSource


@hookimpl
def register_template_packs(register):
    """Register the example packs."""
    register(PackSource("harbour-group", resources.files("txplan.template_packs.harbour_group"), "Example: a group practice's paperwork"))
    register(PackSource("es", resources.files("txplan.template_packs.es"), "Example: the plan in Spanish"))
