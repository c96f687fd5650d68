"""Every hook a txplan plugin can implement.

Plugins implement these with :data:`txplan.hookimpl`. Each hook hands the plugin a ``register``
callback (the style of simonw/llm): the plugin calls it once per object it provides, and the core
checks each object and refuses a duplicate id, naming both plugins. Hooks are called once per
process, when the plugin host is built; nothing here is called per plan. The repository's
docs/plugins.md documents every hook with a runnable example (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .contracts import Check, Instrument, InterventionLibrary, OutputFormat, PackSource, PayerProfile

PROJECT_NAME = "txplan"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def register_instruments(register: Callable[[Instrument], None]) -> None:
    """Register assessment instruments (ECR-R, PHQ-9, ...).

    Called once when the plugin host is built.

    :param register: call ``register(instrument)`` with a :class:`txplan.contracts.Instrument`
        for each instrument the plugin provides. Its JSON Schema fragment becomes part of the
        effective plan schema for assessments whose ``instrument`` is its id.
    :return: nothing; return values are ignored.
    """


@hookspec
def register_intervention_libraries(register: Callable[[InterventionLibrary], None]) -> None:
    """Register intervention libraries (``cbt``, ``mindfulness``, ``attachment-based``, ...).

    Called once when the plugin host is built.

    :param register: call ``register(library)`` with a
        :class:`txplan.contracts.InterventionLibrary` for each library. Its entry ids, qualified
        by the library's namespace (``cbt.cognitive-restructuring``), become the values an
        intervention's ``library`` field may take.
    :return: nothing; return values are ignored.
    """


@hookspec
def register_output_formats(register: Callable[[OutputFormat], None]) -> None:
    """Register output formats (``markdown``, ``docx``, ...).

    Called once when the plugin host is built.

    :param register: call ``register(output_format)`` with a
        :class:`txplan.contracts.OutputFormat`: a short stable name, aliases, the file extension,
        the media type and ``render``, a function from the
        :class:`txplan.contracts.RenderedDocument` to bytes. A format that needs something from
        the template pack also gives ``prepare(pack)``: it is called with the
        :class:`txplan.contracts.PackView` once per pack per process, before any plan is rendered,
        and what it returns is passed on as ``render(document, state)``.
    :return: nothing; return values are ignored.
    """


@hookspec
def register_template_packs(register: Callable[[PackSource], None]) -> None:
    """Register installed template packs by name.

    Called once when the plugin host is built.

    :param register: call ``register(pack_source)`` with a :class:`txplan.contracts.PackSource`
        naming the pack and the folder (a path or an ``importlib.resources`` traversable) that
        holds its ``pack.yaml`` and ``templates/``.
    :return: nothing; return values are ignored.
    """


@hookspec
def register_checks(register: Callable[[Check], None]) -> None:
    """Register insurer-readiness checks (``txplan check``).

    Called once when the plugin host is built.

    :param register: call ``register(check)`` with a :class:`txplan.contracts.Check` for each
        rule: an id, a one-line rationale, its source, and ``run(context)`` yielding findings.
        A payer profile decides whether it runs and how serious its findings are.
    :return: nothing; return values are ignored.
    """


@hookspec
def register_payer_profiles(register: Callable[[PayerProfile], None]) -> None:
    """Register payer profiles (``txplan check --payer ID``).

    Called once when the plugin host is built.

    :param register: call ``register(profile)`` with a :class:`txplan.contracts.PayerProfile`:
        which checks run, at which severity, with which parameters.
    :return: nothing; return values are ignored.
    """
