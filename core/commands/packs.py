"""``txplan pack list | new | check``: template packs for practices."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from ..errors import EXIT_BAD_PACK_OR_PLUGIN, EXIT_OK
from .common import EXAMPLE_PLAN, count, host_from_args


def cmd_pack_list(args: argparse.Namespace) -> int:
    """List the installed template packs and where each comes from."""
    from ..packs import resolve_pack

    host = host_from_args(args)
    for name in sorted(host.template_packs):
        source = host.template_packs[name]
        owner = host.plugin_of(source)
        origin = "built-in" if owner is None or owner.builtin else f"plugin {owner.label}"
        pack = resolve_pack(name, host.template_packs)
        extends = f", extends {pack.parent.name}" if pack.parent else ""
        print(f"{name} ({origin}{extends}): {source.description or pack.manifest.get('description', '')}")
        print(f"    {pack.root}")
    return EXIT_OK


def cmd_pack_new(args: argparse.Namespace) -> int:
    """Scaffold a template pack that renders at once."""
    from ..packs import resolve_pack
    from ..packtools import new_pack

    parent = resolve_pack(args.extends, host_from_args(args).template_packs)
    folder = Path(args.output or args.name)
    for path in new_pack(args.name, folder, args.extends, parent):
        print(f"wrote {path}")
    print(f"next: txplan pack check {folder}")
    return EXIT_OK


def cmd_pack_check(args: argparse.Namespace) -> int:
    """Report every problem with a template pack at once; exit 3 if there are any."""
    from ..packtools import lint_pack

    host = host_from_args(args)
    sample = resources.files("txplan.examples").joinpath(EXAMPLE_PLAN)
    messages = lint_pack(args.pack_dir, host, Path(str(sample)))
    for line in messages:
        print(line, file=sys.stderr)
    if messages:
        print(f"txplan: pack {args.pack_dir}: {count(len(messages), 'problem')}", file=sys.stderr)
        return EXIT_BAD_PACK_OR_PLUGIN
    print(f"{args.pack_dir}: no problems found")
    return EXIT_OK
