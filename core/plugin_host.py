"""Build the plugin manager and give the rest of the core a typed view of what plugins registered.

The rest of the core never touches ``pm.hook``: it asks a :class:`PluginHost` for the output
formats, instruments, intervention libraries and template packs. Built-in plugins (listed in
:data:`BUILTIN_PLUGINS`) and third-party plugins (entry-point group ``txplan``) go through the same
registration and the same checks. A plugin that fails to import, raises in a hook (even
``SystemExit``) or registers something malformed or duplicated is recorded as a problem naming the
plugin and its distribution; everything else keeps working. Ctrl-C while a plugin loads stops the
run with a message naming that plugin. Each instrument's scorer is wrapped so that a failure
while scoring is a :class:`~txplan.errors.PluginError` naming the plugin, its version and the
instrument.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pluggy

from . import hookspecs
from .contracts import Check, Instrument, InterventionLibrary, OutputFormat, PackSource, PayerProfile, ScoreResult
from .errors import EXIT_INTERRUPTED, Interrupted, PluginError

#: Modules of the built-in plugins, registered like any third-party plugin.
BUILTIN_PLUGINS = (
    "txplan.plugins.formats.markdown",
    "txplan.plugins.formats.docx",
    "txplan.plugins.formats.html",
    "txplan.plugins.packs.default_pack",
    "txplan.plugins.packs.example_packs",
    "txplan.plugins.instruments.ecr_r",
    "txplan.plugins.instruments.ecr_rs",
    "txplan.plugins.instruments.rq",
    "txplan.plugins.instruments.aai",
    "txplan.plugins.instruments.phq9",
    "txplan.plugins.instruments.gad7",
    "txplan.plugins.interventions.attachment_based",
    "txplan.plugins.interventions.cbt",
    "txplan.plugins.interventions.mindfulness",
    "txplan.plugins.checks.payer_rules",
    "txplan.plugins.checks.clinical_record",
    "txplan.plugins.checks.profiles",
)

#: Entry-point group third-party plugins declare in their ``pyproject.toml``.
ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME

#: Comma-separated allow-list of third-party plugin (entry point) names; empty loads none.
LOAD_PLUGINS_ENV = "TXPLAN_LOAD_PLUGINS"

T = TypeVar("T")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name, the distribution it came from, and what it registered."""

    name: str
    distribution: str
    version: str
    builtin: bool
    registered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``'name' (distribution version)``, as used in messages."""
        return f"'{self.name}' ({self.distribution} {self.version})"


class PluginHost:
    """The loaded plugins and what they registered, collected once per process."""

    def __init__(self, *, load_entrypoints: bool = True, extra_plugins: Iterable[object] = ()) -> None:
        """Load built-in plugins, then third-party entry points (unless ``load_entrypoints`` is
        false or the ``TXPLAN_LOAD_PLUGINS`` allow-list excludes them), then ``extra_plugins``
        (objects with ``@hookimpl`` methods; tests use this), and collect their registrations."""
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.problems: list[str] = []
        self._info: dict[str, PluginInfo] = {}
        from . import __version__ as txplan_version
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            self._register(module, module_name, "txplan", txplan_version, builtin=True)
        if load_entrypoints:
            self._load_entrypoints()
        for plugin in extra_plugins:
            name = getattr(plugin, "__name__", type(plugin).__name__)
            self._register(plugin, name, "(registered in process)", "-", builtin=False)
        self._drop_unknown_hooks()
        self._owner: dict[int, str] = {}
        self.output_formats: dict[str, OutputFormat] = {}
        self.format_aliases: dict[str, str] = {}
        self.instruments: dict[str, Instrument] = self._collect("register_instruments", "instrument", lambda i: [i.id])
        self.intervention_libraries: dict[str, InterventionLibrary] = self._collect(
            "register_intervention_libraries", "intervention library", lambda lib: [lib.namespace]
        )
        self.template_packs: dict[str, PackSource] = self._collect("register_template_packs", "template pack", lambda p: [p.name])
        self.checks: dict[str, Check] = self._collect("register_checks", "check", lambda c: [c.id])
        self.payer_profiles: dict[str, PayerProfile] = self._collect("register_payer_profiles", "payer profile", lambda p: [p.id])
        formats = self._collect("register_output_formats", "output format", lambda f: [f.name, *f.aliases])
        for key, fmt in formats.items():
            if key == fmt.name:
                self.output_formats[key] = fmt
            else:
                self.format_aliases[key] = fmt.name

    # -- what the rest of the core asks ------------------------------------------------------

    def output_format(self, name: str) -> OutputFormat | None:
        """The output format called ``name`` or one of its aliases, or ``None``."""
        return self.output_formats.get(self.format_aliases.get(name, name))

    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin, built-ins first, in load order."""
        return list(self._info.values())

    def plugin_of(self, obj: object) -> PluginInfo | None:
        """The plugin that registered ``obj`` (an output format, instrument, ...), if known."""
        name = self._owner.get(id(obj))
        return self._info.get(name) if name else None

    # -- loading -----------------------------------------------------------------------------

    def _drop_unknown_hooks(self) -> None:
        """Like ``pm.check_pending()``, but a plugin implementing a hook that does not exist is
        reported and unregistered instead of stopping every other plugin."""
        for hook_name in dir(self.pm.hook):
            caller = getattr(self.pm.hook, hook_name)
            if hook_name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook or impl.plugin_name not in self._info:
                    continue
                info = self._info.pop(impl.plugin_name)
                self.pm.unregister(name=impl.plugin_name)
                self.problems.append(f"plugin {info.label} implements unknown hook '{hook_name}'; it was not loaded")

    def _load_entrypoints(self) -> None:
        from importlib import metadata

        allow = os.environ.get(LOAD_PLUGINS_ENV)
        allowed = None if allow is None else {n.strip() for n in allow.split(",") if n.strip()}
        if allowed == set():
            return  # nothing allowed: no need to read every installed package's metadata
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allowed is not None and ep.name not in allowed:
                continue
            dist = ep.dist.metadata["Name"] if ep.dist is not None else "unknown distribution"
            version = ep.dist.version if ep.dist is not None else "?"
            if dist == "txplan":
                continue  # the built-ins are registered above, by module
            try:
                plugin = ep.load()
            except KeyboardInterrupt as exc:
                raise _interrupted(exc, f"while loading plugin '{ep.name}' ({dist} {version})") from None
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is reported, not raised
                self.problems.append(f"plugin '{ep.name}' ({dist} {version}) failed to load: {failure(exc, detail=True)}")
                continue
            self._register(plugin, ep.name, dist, version, builtin=False)

    def _register(self, plugin: object, name: str, dist: str, version: str, *, builtin: bool) -> None:
        try:
            self.pm.register(plugin, name=name)
        except KeyboardInterrupt as exc:
            raise _interrupted(exc, f"while registering plugin '{name}' ({dist} {version})") from None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - pluggy rejects bad hook signatures here
            self.problems.append(f"plugin '{name}' ({dist} {version}) was not registered: {failure(exc, detail=True)}")
            return
        self._info[name] = PluginInfo(name, dist, version, builtin)

    def _collect(self, hook_name: str, kind: str, keys_of: Callable[[Any], list[str]]) -> dict[str, Any]:
        """Call one registration hook implementation at a time, so that a plugin that raises or
        registers something malformed is reported by name and the others still count."""
        expected = {
            "register_instruments": Instrument,
            "register_intervention_libraries": InterventionLibrary,
            "register_output_formats": OutputFormat,
            "register_template_packs": PackSource,
            "register_checks": Check,
            "register_payer_profiles": PayerProfile,
        }[hook_name]
        found: dict[str, Any] = {}
        owners: dict[str, str] = {}
        caller = getattr(self.pm.hook, hook_name)
        # In registration order (pluggy would call them last-registered first): built-ins first,
        # so a third-party plugin cannot take over a built-in id.
        for impl in caller.get_hookimpls():
            info = self._info[impl.plugin_name]

            def register(obj: Any, _info: PluginInfo = info) -> None:
                if not isinstance(obj, expected):
                    self.problems.append(
                        f"plugin {_info.label} registered a {type(obj).__name__} in {hook_name}; expected {expected.__name__}"
                    )
                    return
                issues = obj.problems()
                if issues:
                    self.problems.extend(f"plugin {_info.label}: {kind}: {issue}" for issue in issues)
                    return
                if isinstance(obj, Instrument):
                    obj = dataclasses.replace(obj, score=_guarded_score(obj, _info))
                keys = keys_of(obj)
                clash = next((k for k in keys if k in found), None)
                if clash is not None:
                    first = self._info[owners[clash]]
                    self.problems.append(
                        f"{kind} '{clash}' is registered by both plugin {first.label} and plugin {_info.label}; "
                        f"the one from {first.name} is used"
                    )
                    return
                for key in keys:
                    found[key] = obj
                    owners[key] = _info.name
                self._owner[id(obj)] = _info.name
                _info.registered.setdefault(kind, []).append(keys[0])

            kwargs = {"register": register}
            try:
                impl.function(**{arg: kwargs[arg] for arg in impl.argnames})
            except KeyboardInterrupt as exc:
                raise _interrupted(exc, f"while plugin {info.label} ran {hook_name}") from None
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - reported with the plugin's name
                self.problems.append(f"plugin {info.label} failed in {hook_name}: {failure(exc, detail=True)}")
        return found


def failure(exc: BaseException, *, detail: bool = False) -> str:
    """How a plugin failed, for a message: the exception's type (and, with ``detail``, its text:
    only where no plan content can be in it, as at import and registration); a ``SystemExit``
    is named for what it is, whatever its code."""
    if isinstance(exc, SystemExit):
        return "SystemExit (the plugin tried to end txplan)"
    return f"{type(exc).__name__}: {exc}" if detail else type(exc).__name__


def _interrupted(exc: KeyboardInterrupt, doing: str) -> Interrupted:
    """Ctrl-C or SIGTERM that came while plugin code ran, with the plugin named in the message."""
    base = exc.message if isinstance(exc, Interrupted) else "interrupted"
    code = exc.exit_code if isinstance(exc, Interrupted) else EXIT_INTERRUPTED
    return Interrupted(f"{base} {doing}; nothing was written", code)


def _guarded_score(instrument: Instrument, plugin: PluginInfo) -> Callable[[Mapping[str, Any]], ScoreResult]:
    """``instrument.score`` wrapped so that whatever it raises (``SystemExit`` included; Ctrl-C
    excepted) or a result that is not a :class:`ScoreResult` becomes a :class:`PluginError`
    naming the instrument, the plugin and its version. The exception's text is left out: it
    may quote the answers, which are health information (``--debug`` shows the traceback)."""
    score = instrument.score
    where = f"instrument '{instrument.id}' from plugin {plugin.label}"

    @functools.wraps(score)
    def guarded(data: Mapping[str, Any]) -> ScoreResult:
        try:
            result = score(data)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - the plugin's failure, reported with its name
            raise PluginError(f"{where} failed while scoring: {failure(exc)} (run with --debug for details)") from exc
        if not isinstance(result, ScoreResult):
            raise PluginError(f"{where} returned {type(result).__name__} from its scorer, not ScoreResult")
        return result

    return guarded

