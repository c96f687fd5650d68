"""Keep the garbage collector off the objects a command builds once and keeps, in processes
that end with the command (``txplan`` and its worker processes), never in an application that
embeds txplan: see :func:`settle`."""

from __future__ import annotations

import gc

#: Whether this process ends with the command (set by :func:`own_process`).
_OWNED: list[bool] = [False]


def own_process() -> None:
    """Declare that this process ends when the command does (the ``txplan`` script, a worker
    process): :func:`settle` then takes effect."""
    _OWNED[0] = True


def settle() -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``), in a
    process that ends with the command.

    After the engine is built, its modules, schema, validator, templates and reference document
    live until the process ends; a full collection would walk them all again while plans are
    rendered, and once more at exit. An application embedding txplan keeps its own heap: there,
    frozen objects that later became cyclic garbage would never be reclaimed, so nothing is done.
    """
    if _OWNED[0]:
        gc.freeze()
