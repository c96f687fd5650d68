"""The pipeline: load -> validate -> build context -> render sections -> output format -> bytes.

An :class:`Engine` holds everything expensive (plugin host, template pack, intervention libraries,
effective schema and validator, compiled templates) and reuses it for every plan, so rendering
many plans is a loop over the same objects. Each part is built the first time it is used: loading
a plan needs none of them, validating needs no templates.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .context import build_context
from .contracts import InterventionLibrary, OutputFormat, RenderContext, RenderedDocument, ScoreResult, Section
from .errors import PackError, PlanError, PluginError, Problem, TxplanError, UsageError
from .loader import Plan, load_plan_file, plan_from_data
from .render_time import render_seconds_setting

if TYPE_CHECKING:  # the heavy parts are imported where they are first built
    import jinja2

    from .deidentify import Deidentify
    from .packs import TemplatePack
    from .plugin_host import PluginHost
    from .validation import PlanValidator

#: Rendered Markdown larger than this is refused: a pack's loop gone wrong, not a treatment plan.
MAX_RENDERED_CHARS = 5_000_000


class Engine:
    """Everything needed to turn plans into documents with one template pack."""

    def __init__(
        self, pack: str | None = None, *, host: PluginHost | None = None, render_seconds: float | None = None, as_of: dt.date | None = None
    ) -> None:
        """An engine for ``pack`` (a name or a folder; the default pack when ``None``) with the
        plugins of ``host`` (default: every installed plugin). Nothing is built yet: the plugins,
        the pack, the schema and validator and the compiled templates are each built when first
        used, and a broken pack raises :class:`PackError` then (call :meth:`build` to build
        everything now). ``render_seconds`` limits how long one section may take to render, in
        any thread (0: no limit; default 10, or ``$TXPLAN_RENDER_SECONDS``); :class:`UsageError`
        at once if it is not a finite number. ``as_of`` is the date documents state objectives'
        status at (default: the day each plan is rendered)."""
        self.as_of = as_of
        self.render_seconds = render_seconds_setting(render_seconds)
        self.pack_spec = pack
        if host is not None:
            self.host = host  # fills the cached property
        self._prepared: dict[str, object] = {}

    def build(self) -> Engine:
        """Build every part now (plugins, pack, libraries, schema, validator, templates), so a
        broken pack is reported here rather than at first use; returns the engine."""
        self.validator  # noqa: B018 - built for its errors
        self.templates  # noqa: B018
        return self

    # -- the parts, each built on first use ----------------------------------------------------

    @cached_property
    def host(self) -> PluginHost:
        """The plugin host: built-in and installed plugins."""
        from .plugin_host import PluginHost

        return PluginHost()

    @cached_property
    def pack(self) -> TemplatePack:
        """The template pack and the chain of packs it extends."""
        from .packs import resolve_pack

        return resolve_pack(self.pack_spec, self.host.template_packs)

    @cached_property
    def libraries(self) -> dict[str, InterventionLibrary]:
        """Plugin libraries and the pack's own; a namespace used twice is a pack error."""
        libraries = dict(self.host.intervention_libraries)
        for library in self.pack.libraries():
            if library.namespace in libraries:
                owner = self.host.plugin_of(libraries[library.namespace])
                where = f"plugin {owner.label}" if owner else "another library of the pack"
                raise PackError(f"template pack '{self.pack.name}': its library namespace '{library.namespace}' is already used by {where}")
            libraries[library.namespace] = library
        return libraries

    @cached_property
    def schema(self) -> dict[str, Any]:
        """The effective plan schema: core, instruments, libraries and the pack's ``requires``."""
        from .schema import compose_schema

        return compose_schema(self.host.instruments.values(), self.libraries.values(), self.pack.requires)

    @cached_property
    def validator(self) -> PlanValidator:
        """The validator for :attr:`schema`, built once for every plan."""
        from .validation import PlanValidator

        schema, instruments, libraries = self.schema, self.host.instruments, self.libraries
        try:
            return PlanValidator(schema, instruments, libraries)
        except Exception as exc:  # noqa: BLE001 - only a pack's 'requires' overlay can break it
            raise PackError(f"template pack '{self.pack.name}': its 'requires' is not a usable JSON Schema: {exc}") from None

    @cached_property
    def env(self) -> jinja2.Environment:
        """The sandboxed Jinja environment over the pack's template folders."""
        from .templating import make_environment

        return make_environment(self.pack.template_roots())

    @cached_property
    def sections(self) -> list[str]:
        """The sections a document has, in order: the pack's, with the sections every document
        must show (``always_sections``, such as safety alerts) where the pack leaves them out."""
        return list(self.pack.rendered_sections)

    @cached_property
    def templates(self) -> dict[str, jinja2.Template]:
        """Every section's compiled template; :class:`PackError` for the first that is broken."""
        return {name: self.template(name) for name in self.sections}

    # -- the steps ----------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any]) -> Plan:
        """Load a plan from a file path, or check a mapping an integrator built in memory."""
        if isinstance(source, Mapping):
            return plan_from_data(source)
        return load_plan_file(source)

    def validate(self, plan: Plan) -> list[Problem]:
        """Every problem in ``plan``: errors (severity ``error``) and warnings, in line order."""
        return self.validator.validate(plan)

    def score(self, plan: Plan) -> dict[int, ScoreResult]:
        """Each assessment's result by its index in ``plan.data['assessments']``, for a valid
        plan; an assessment no plugin scores (``custom``) has none. Computed once per plan and
        shared by the check and the document."""
        results = {}
        for index, assessment in enumerate(plan.data.get("assessments") or []):
            instrument = self.host.instruments.get(assessment.get("instrument"))
            if instrument is not None:
                results[index] = instrument.score(assessment)
        return results

    def context(self, plan: Plan, *, as_of: dt.date | None = None, scores: Mapping[int, ScoreResult] | None = None) -> dict[str, Any]:
        """The render context templates see for a valid ``plan``, stating objectives' status as
        of ``as_of`` (default: the engine's date, else today); ``scores`` from :meth:`score`
        are used rather than scored again."""
        return build_context(
            plan.data, self.schema, self.pack.labels, self.host.instruments, self.libraries, self.pack.practice, as_of or self.as_of, scores
        )

    def render_document(
        self,
        plan: Plan,
        problems: list[Problem] | None = None,
        *,
        as_of: dt.date | None = None,
        scores: Mapping[int, ScoreResult] | None = None,
        deidentify: Deidentify | None = None,
    ) -> RenderedDocument:
        """Validate ``plan`` (unless its ``problems`` from :meth:`validate` are given) and render
        its sections, stating objectives' status as of ``as_of`` (default: the engine's date, else
        today); raises :class:`PlanError` if it has errors. With ``deidentify``, the context is
        de-identified before any template sees it, a notice heads the document, and
        ``RenderContext.deidentified["for_review"]`` lists what a person must check (see
        :mod:`txplan.deidentify`)."""
        if problems is None:
            problems = self.validate(plan)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise PlanError(problems=errors)
        templates = self.templates
        context = self.context(plan, as_of=as_of, scores=scores)
        if deidentify is not None:
            context, _ = deidentify.apply(context, plan.data, lambda path, message: plan.problem(path, message, "warning"))
        sections, total = [], 0
        for name, template in templates.items():
            text = render_template(self.pack, template, context, total, self.render_seconds)
            total += len(text)
            if text.strip():
                sections.append(Section(name, text))
        if deidentify is not None:
            at = 1 if sections and sections[0].name == "letterhead" else 0
            sections.insert(at, deidentify.notice_section())
        return RenderedDocument(str(context["title"]), tuple(sections), RenderContext.of(context), self.pack.view)

    def render(self, plan: Plan, format_name: str, *, as_of: dt.date | None = None, deidentify: Deidentify | None = None) -> bytes:
        """Render ``plan`` to the bytes of output format ``format_name`` (or an alias), stating
        objectives' status as of ``as_of`` (default: the engine's date, else today), de-identified
        with ``deidentify`` when given."""
        return self.render_with(self.output_format(format_name), self.render_document(plan, as_of=as_of, deidentify=deidentify))

    def prepare(self, output_format: OutputFormat) -> object:
        """Let ``output_format`` check this engine's pack, once: a missing or unsafe reference
        document is reported before any plan is rendered. Returns what the format's ``prepare``
        returned (kept, and handed to its ``render`` for every document)."""
        if output_format.prepare is None:
            return None
        if output_format.name not in self._prepared:
            try:
                self._prepared[output_format.name] = output_format.prepare(self.pack.view)
            except TxplanError:  # said as it is: a converter missing or timed out is exit 4, a bad setting exit 2
                raise
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - a plugin's failure (even sys.exit) is reported with its name
                raise PluginError(f"output format '{output_format.name}'{self._owner(output_format)} failed to prepare: {type(exc).__name__}") from exc
        return self._prepared[output_format.name]

    def render_with(self, output_format: OutputFormat, document: RenderedDocument) -> bytes:
        """Run one output format over an already rendered document."""
        state = self.prepare(output_format)
        result = self._run_format(output_format, lambda: output_format.render_prepared(document, state))
        if not isinstance(result, bytes):
            raise PluginError(f"output format '{output_format.name}' returned {type(result).__name__}, not bytes")
        return result

    def render_with_companions(self, output_format: OutputFormat, document: RenderedDocument, stem: str) -> tuple[bytes, list[tuple[str, bytes]]]:
        """Run one output format's :attr:`~txplan.contracts.OutputFormat.companions` over an
        already rendered document whose file is named ``stem`` plus the format's extension: its
        bytes and the files to write beside it (name, bytes). A format without ``companions``
        gives its bytes alone. A name that is not a plain file name starting with ``stem.``, or
        that names the output itself or another extra file, is the plugin's error."""
        if output_format.companions is None:
            return self.render_with(output_format, document), []
        state = self.prepare(output_format)
        companions = output_format.companions
        result = self._run_format(output_format, lambda: companions(document, state, stem))
        said = f"output format '{output_format.name}'{self._owner(output_format)}"
        try:
            main, extras = result
            extras = [(name, content) for name, content in extras]
        except (TypeError, ValueError) as exc:
            raise PluginError(f"{said} companions returned {type(result).__name__}, not (bytes, [(name, bytes)])") from exc
        if not isinstance(main, bytes) or not all(isinstance(name, str) and isinstance(content, bytes) for name, content in extras):
            raise PluginError(f"{said} companions returned something other than bytes and (name, bytes) pairs")
        # Compared without case: on a case-insensitive disk "plan.MD" is the output "plan.md".
        taken = {f"{stem}.{output_format.extension}".casefold()}
        for name, _ in extras:
            if not _companion_name_ok(name, stem) or name.casefold() in taken:
                raise PluginError(f"{said} named an extra file {name!r}: it must be a new plain file name starting with '{stem}.'")
            taken.add(name.casefold())
        return main, extras

    def _run_format(self, output_format: OutputFormat, call: Callable[[], Any]) -> Any:
        """``call()``, a plugin's failure reported as a :class:`PluginError` naming the format."""
        try:
            return call()
        except TxplanError:  # said as it is: a converter missing or timed out is exit 4, a bad setting exit 2
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a plugin's failure (even sys.exit) is reported with its name
            raise PluginError(
                f"output format '{output_format.name}'{self._owner(output_format)} failed: {type(exc).__name__} (run with --debug for details)"
            ) from exc

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

    def template(self, section: str) -> jinja2.Template:
        """The compiled template of ``section``; :class:`PackError` naming the pack, the template
        and the line if it is missing or broken."""
        import jinja2

        from .packs import problem_in_template
        from .templating import PackTemplateError

        name = f"{section}.md.j2"
        try:
            return self.env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            raise PackError(problems=[problem_in_template(self.pack, exc.name or name, exc.lineno, exc.message or "syntax error")]) from None
        except jinja2.TemplateNotFound:
            raise PackError(f"template pack '{self.pack.name}' lists section '{section}' but has no templates/{name}") from None
        except PackTemplateError as exc:
            raise PackError(f"template pack '{self.pack.name}': {exc}") from None

    def render_section(self, section: str, context: dict[str, Any], so_far: int = 0) -> str:
        """Render one section's template over ``context`` (from :meth:`context`) under the
        engine's time limit; ``so_far`` is what earlier sections made (the document's size cap)."""
        return render_template(self.pack, self.template(section), context, so_far, self.render_seconds)


def render_template(pack: TemplatePack, template: jinja2.Template, context: dict[str, Any], so_far: int = 0, seconds: float = 0) -> str:
    """Render one section template, turning every failure into a :class:`PackError` that names
    the pack, the template and the line; ``seconds`` limits the time it may take (0: no limit),
    checked inside the sandbox, so it holds in any thread and touches no signal or timer."""
    import jinja2
    from jinja2.sandbox import SecurityError

    from .packs import problem_in_template
    from .template_limits import RenderTimeout, section_limits
    from .templating import PackTemplateError

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


def _template_line(exc: BaseException, template: jinja2.Template) -> int | None:
    """The template line an exception was raised at (Jinja rewrites tracebacks so that template
    frames carry template line numbers)."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == template.filename or frame.filename.endswith(".j2"):
            line = frame.lineno
    return line


def _companion_name_ok(name: str, stem: str) -> bool:
    """Whether ``name`` is a plain file name (no folder, no control character) starting with
    ``stem.``: an extra file lands beside its output, named after it. (That it is not a plan or
    another output of the run is for the command that writes it to check.)"""
    return (
        name.startswith(f"{stem}.")
        and len(name) > len(stem) + 1
        and "/" not in name
        and "\\" not in name
        and ".." not in name[len(stem):]
        and name.isprintable()
        and len(name.encode("utf-8")) <= 255
    )
