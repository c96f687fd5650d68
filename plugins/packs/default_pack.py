"""Registers the default template pack shipped in ``txplan.template_packs.default``."""

from __future__ import annotations

from importlib import resources

from txplan import hookimpl
from txplan.contracts import PackSource


@hookimpl
def register_template_packs(register):
    """Register the ``default`` pack, which every other pack extends."""
    register(
        PackSource(
            name="default",
            root=resources.files("txplan.template_packs.default"),
            description="Every section txplan knows, in an insurer-ready order",
        )
    )
