"""The pipeline: load -> validate -> build context -> render sections -> output format -> bytes.

An :class:`Engine` builds everything expensive once (plugin host, template pack, effective schema
and validator, compiled templates) and reuses it for every plan, so rendering many plans is a loop
over the same objects.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import SecurityError

from .context import build_context
from .contracts import InterventionLibrary, OutputFormat, RenderedDocument, Section
from .errors import PackError, PlanError, PluginError, Problem, TxplanError, UsageError
from .loader import Plan, load_plan_file, plan_from_data
from .packs import TemplatePack, problem_in_template, resolve_pack
from .plugin_host import PluginHost
from .schema import compose_schema
from .settings import seconds_from_environment
from .template_limits import RenderTimeout, section_limits
from .templating import PackTemplateError, make_environment
from .validation import PlanValidator

if TYPE_CHECKING:
    from .deidentify import Deidentify

#: Rendered Markdown larger than this is refused: a pack's loop gone wrong, not a treatment plan.
MAX_RENDERED_CHARS = 5_000_000
ALERTS_SECTION = "alerts"
#: How long one section's template may take to render: a pack's runaway loop is stopped.
RENDER_SECONDS = 10.0
RENDER_SECONDS_ENV = "TXPLAN_RENDER_SECONDS"


def render_seconds_setting(seconds: float | None = None) -> float:
    """The time one section may take to render: ``seconds`` if given (0: no limit, for an
    integrator's own trusted packs), else ``$TXPLAN_RENDER_SECONDS``, else 10. Anything but a
    finite number of seconds (greater than 0, for the environment variable) is a
    :class:`UsageError`: a limit that silently switched itself off would be no limit."""
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
            raise UsageError(f"render_seconds must be a finite number of seconds, 0 or more (0: no limit), not {seconds!r}")
        return float(seconds)
    return seconds_from_environment(RENDER_SECONDS_ENV, RENDER_SECONDS, "10 or 2.5")


class Engine:
    """Everything needed to turn plans into documents with one template pack."""

    def __init__(
        self, pack: str | None = None, *, host: PluginHost | None = None, render_seconds: float | None = None, as_of: dt.date | None = None
    ) -> None:
        """Load plugins (unless ``host`` is given), resolve ``pack`` (a name or a folder;
        the default pack when ``None``), compose the effective schema and compile every section
        template. Raises :class:`PackError` if the pack or its templates are broken.
        ``render_seconds`` limits how long one section may take to render, in any thread (0: no
        limit; default 10, or ``$TXPLAN_RENDER_SECONDS``); :class:`UsageError` if it is not a
        finite number. ``as_of`` is the date documents state objectives' status at (default: the
        day each plan is rendered)."""
        self.as_of = as_of
        self.render_seconds = render_seconds_setting(render_seconds)
        self.host = host if host is not None else PluginHost()
        self.pack: TemplatePack = resolve_pack(pack, self.host.template_packs)
        self.libraries = _all_libraries(self.host, self.pack)
        self.schema = compose_schema(self.host.instruments.values(), self.libraries.values(), self.pack.requires)
        try:
            self.validator = PlanValidator(self.schema, self.host.instruments, self.libraries)
        except Exception as exc:  # noqa: BLE001 - only a pack's 'requires' overlay can break it
            raise PackError(f"template pack '{self.pack.name}': its 'requires' is not a usable JSON Schema: {exc}") from None
        self.env = make_environment(self.pack.template_roots())
        self.templates = {name: self._compile(f"{name}.md.j2") for name in _with_alerts(self.pack.sections)}
        self._prepared: set[str] = set()

    # -- the steps ----------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any]) -> Plan:
        """Load a plan from a file path, or check a mapping an integrator built in memory."""
        if isinstance(source, Mapping):
            return plan_from_data(source)
        return load_plan_file(source)

    def validate(self, plan: Plan) -> list[Problem]:
        """Every problem in ``plan``: errors (severity ``error``) and warnings, in line order."""
        return self.validator.problems(plan)

    def render_document(
        self, plan: Plan, problems: list[Problem] | None = None, *, as_of: dt.date | None = None, deidentify: Deidentify | None = None
    ) -> RenderedDocument:
        """Validate ``plan`` (unless its ``problems`` from :meth:`validate` are given) and render
        its sections, stating objectives' status as of ``as_of`` (default: the engine's date, else
        today); raises :class:`PlanError` if it has errors. With ``deidentify``, the context is
        de-identified before any template sees it, a notice heads the document, and the context's
        ``deidentified["review"]`` lists what a person must check (see :mod:`txplan.deidentify`)."""
        if problems is None:
            problems = self.validate(plan)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PlanError(problems=errors)
        context = build_context(
            plan.data, self.schema, self.pack.labels, self.host.instruments, self.libraries, self.pack.practice, as_of or self.as_of
        )
        if deidentify is not None:
            context, _ = deidentify.apply(context, plan.data, lambda path, message: plan.problem(path, message, "warning"))
        sections, total = [], 0
        for name, template in self.templates.items():
            text = render_template(self.pack, template, context, total, self.render_seconds)
            total += len(text)
            if text.strip():
                sections.append(Section(name, text))
        if deidentify is not None:
            at = 1 if sections and sections[0].name == "letterhead" else 0
            sections.insert(at, deidentify.notice_section())
        return RenderedDocument(str(context["title"]), tuple(sections), context, self.pack)

    def render(self, plan: Plan, format_name: str, *, as_of: dt.date | None = None, deidentify: Deidentify | None = None) -> bytes:
        """Render ``plan`` to the bytes of output format ``format_name`` (or an alias), stating
        objectives' status as of ``as_of`` (default: the engine's date, else today), de-identified
        with ``deidentify`` when given."""
        return self.render_with(self.output_format(format_name), self.render_document(plan, as_of=as_of, deidentify=deidentify))

    def prepare(self, output_format: OutputFormat) -> None:
        """Let ``output_format`` check this engine's pack (once): a missing or unsafe reference
        document is reported before any plan is rendered."""
        if output_format.name in self._prepared or output_format.prepare is None:
            return
        try:
            output_format.prepare(self.pack)
        except TxplanError:  # said as it is: a converter missing or timed out is exit 4, a bad setting exit 2
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a plugin's failure (even sys.exit) is reported with its name
            raise PluginError(f"output format '{output_format.name}'{self._owner(output_format)} failed to prepare: {type(exc).__name__}") from exc
        self._prepared.add(output_format.name)

    def render_with(self, output_format: OutputFormat, document: RenderedDocument) -> bytes:
        """Run one output format over an already rendered document."""
        self.prepare(output_format)
        try:
            result = output_format.render(document)
        except TxplanError:  # said as it is: a converter missing or timed out is exit 4, a bad setting exit 2
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a plugin's failure (even sys.exit) is reported with its name
            raise PluginError(
                f"output format '{output_format.name}'{self._owner(output_format)} failed: {type(exc).__name__} (run with --debug for details)"
            ) from exc
        if not isinstance(result, bytes):
            raise PluginError(f"output format '{output_format.name}' returned {type(result).__name__}, not bytes")
        return result

    def _owner(self, output_format: OutputFormat) -> str:
        owner = self.host.plugin_of(output_format)
        return f" from plugin {owner.label}" if owner else ""

    def output_format(self, name: str) -> OutputFormat:
        """The output format ``name`` (or alias); :class:`UsageError` naming the choices if unknown."""
        found = self.host.output_format(name)
        if found is None:
            names = sorted([*self.host.output_formats, *self.host.format_aliases])
            raise UsageError(f"unknown output format '{name}' (available: {', '.join(names)})")
        return found

    # -- templates ----------------------------------------------------------------------------

    def _compile(self, name: str) -> jinja2.Template:
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise PackError(problems=[problem_in_template(self.pack, exc.name or name, exc.lineno, exc.message or "syntax error")]) from None
        except jinja2.TemplateNotFound:
            raise PackError(f"template pack '{self.pack.name}' lists section '{name.removesuffix('.md.j2')}' but has no templates/{name}") from None
        except PackTemplateError as exc:
            raise PackError(f"template pack '{self.pack.name}': {exc}") from None



def render_template(pack: TemplatePack, template: jinja2.Template, context: dict[str, Any], so_far: int = 0, seconds: float = 0) -> str:
    """Render one section template, turning every failure into a :class:`PackError` that names
    the pack, the template and the line; ``seconds`` limits the time it may take (0: no limit),
    checked inside the sandbox, so it holds in any thread and touches no signal or timer."""
    parts: list[str] = []
    size = so_far
    name = template.name or "?"
    try:
        with section_limits(seconds) as deadline:
            for chunk in template.generate(context):
                size += len(chunk)
                if size > MAX_RENDERED_CHARS:
                    raise PackError(problems=[problem_in_template(pack, name, None, f"renders more than {MAX_RENDERED_CHARS:,} characters")])
                if time.monotonic() > deadline:  # inline: this runs for every chunk of every document
                    raise RenderTimeout(seconds)
                parts.append(chunk)
    except PackError:
        raise
    except (jinja2.TemplateError, SecurityError, PackTemplateError) as exc:  # RenderTimeout and size caps included
        message = getattr(exc, "message", None) or str(exc)
        raise PackError(problems=[problem_in_template(pack, name, _template_line(exc, template), message)]) from None
    except RecursionError:
        raise PackError(problems=[problem_in_template(pack, name, None, "recursion too deep (a macro or include that calls itself)")]) from None
    except Exception as exc:  # noqa: BLE001 - e.g. 1/0 in a template; the type is enough
        raise PackError(problems=[problem_in_template(pack, name, _template_line(exc, template), f"{type(exc).__name__} while rendering")]) from exc
    return "".join(parts)


def _all_libraries(host: PluginHost, pack: TemplatePack) -> dict[str, InterventionLibrary]:
    """Plugin libraries and the pack's own; a namespace used twice is a pack error."""
    libraries = dict(host.intervention_libraries)
    for library in pack.libraries():
        if library.namespace in libraries:
            owner = host.plugin_of(libraries[library.namespace])
            where = f"plugin {owner.label}" if owner else "another library of the pack"
            raise PackError(f"template pack '{pack.name}': its library namespace '{library.namespace}' is already used by {where}")
        libraries[library.namespace] = library
    return libraries


def _with_alerts(sections: list[str]) -> list[str]:
    """The pack's sections, with ``alerts`` (safety flags from instruments) added after the
    client profile, or first, when the pack leaves it out: a safety flag is shown in every
    document, whatever the pack."""
    if ALERTS_SECTION in sections:
        return list(sections)
    at = sections.index("client_profile") + 1 if "client_profile" in sections else 0
    return [*sections[:at], ALERTS_SECTION, *sections[at:]]


def _template_line(exc: BaseException, template: jinja2.Template) -> int | None:
    """The template line an exception was raised at (Jinja rewrites tracebacks so that template
    frames carry template line numbers)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == template.filename or frame.filename.endswith(".j2"):
            line = frame.lineno
    return line
