"""The Starlette application: routes for the caseload, the editor and its live parts.

Every route goes through :class:`~txplan.serve.security.SecurityMiddleware`. Plans are read,
validated, scored, checked and rendered with one :class:`~txplan.pipeline.Engine` (the pack
chosen at start), the same objects the command line uses.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import OutputError, PlanError, Problem, TxplanError, UsageError
from ..loader import Plan
from ..output import write_outputs
from ..pipeline import Engine
from ..readiness import run_checks, select_profile
from . import editing, saving
from .caseload import Caseload
from .forms import FormError, SchemaView, build_fields, element_id, form_to_data
from .paths import UnsafePlanName, new_plan_name, plan_path
from .security import COOKIE, LOCK_PAGE, MAX_BODY_BYTES, Asgi, BodyTooLarge, Guard, SecurityMiddleware

#: How long the caseload page waits for plans being read before it shows them as pending.
PAGE_WAIT_SECONDS = 0.5
BLANK_PLAN = "# A treatment plan written with txplan serve. Dates are written YYYY-MM-DD.\n{}\n"


@dataclass
class ServeState:
    """What every request shares: the caseload folder, the engine, the guard."""

    root: Path
    engine: Engine
    guard: Guard
    view: SchemaView
    caseload: Caseload
    templates: jinja2.Environment
    idle_seconds: float
    formats: list[str] = field(default_factory=list)


def create_app(root: Path, engine: Engine, guard: Guard, *, read_ahead: bool = False) -> Starlette:
    """The app over caseload folder ``root``, wrapped in the security middleware; with
    ``read_ahead`` the caseload's plans start being read at once, before the page is opened."""
    root = root.resolve()
    state = ServeState(root, engine, guard, SchemaView(engine.schema), Caseload(root, engine), _environment(), guard.idle_seconds)
    state.formats = sorted(engine.host.output_formats)
    static = StaticFiles(directory=str(resources.files("txplan.serve").joinpath("static")))
    routes = [
        Route("/", caseload_page, methods=["GET"]),
        Route("/rows", caseload_rows, methods=["GET"]),
        Route("/new", new_plan, methods=["POST"]),
        Route("/locked", locked, methods=["GET"]),
        Route("/unlock", unlock, methods=["POST"]),
        Route("/library", library, methods=["GET"]),
        Route("/plan/{name}", editor_page, methods=["GET"]),
        Route("/plan/{name}/validate", validate, methods=["POST"]),
        Route("/plan/{name}/edit", edit, methods=["POST"]),
        Route("/plan/{name}/save", save, methods=["POST"]),
        Route("/plan/{name}/check", check, methods=["POST"]),
        Route("/plan/{name}/duplicate", duplicate, methods=["POST"]),
        Route("/plan/{name}/preview", preview, methods=["GET"]),
        Route("/plan/{name}/download/{format}", download, methods=["GET"]),
        Mount("/static", app=static, name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.serve = state
    if read_ahead:
        state.caseload.rows(0)
    return SecurityMiddleware(cast(Asgi, app), guard)  # type: ignore[return-value]  # an ASGI app, not a Starlette


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("txplan.serve", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["element_id"] = element_id
    return env


def _state(request: Request) -> ServeState:
    return request.app.state.serve


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    state = _state(request)
    html = state.templates.get_template(template).render(idle_seconds=int(state.idle_seconds), **context)
    return HTMLResponse(html, status_code=status)


def _path_or_error(request: Request) -> Path:
    try:
        return plan_path(_state(request).root, request.path_params["name"])
    except UnsafePlanName as exc:
        raise _Refused(400, f"Refused: {exc}.") from None


async def _posted(request: Request) -> tuple[ServeState, Path, Any, dict[str, Any]]:
    """The shared state, the plan's path, the posted form and the plan data it describes."""
    state = _state(request)
    path = _path_or_error(request)
    form = await request.form()
    fields = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]  # no file uploads
    return state, path, form, form_to_data(fields, state.view)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Not found.", status_code=404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Method not allowed.", status_code=405)


def _refusing(handler: Any) -> Any:
    """Turn a :class:`_Refused` or an unreadable form into a plain answer with its status."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refused as exc:
            return PlainTextResponse(exc.message, status_code=exc.status)
        except FormError as exc:
            return PlainTextResponse(f"Refused: {exc}.", status_code=400)
        except BodyTooLarge:
            return PlainTextResponse(f"Refused: a request body may be at most {MAX_BODY_BYTES:,} bytes.", status_code=413)

    wrapped.__doc__ = handler.__doc__
    return wrapped


# -- caseload -------------------------------------------------------------------------------------


async def caseload_page(request: Request) -> Response:
    """The plans in the folder with their state, and the forms to create one."""
    state = _state(request)
    rows, complete = await run_in_threadpool(state.caseload.rows, PAGE_WAIT_SECONDS)
    return _page(request, "caseload.html", rows=rows, complete=complete, folder=state.root.name, message="")


async def caseload_rows(request: Request) -> Response:
    """The caseload table's rows again, while plans are still being read."""
    rows, complete = await run_in_threadpool(_state(request).caseload.rows, PAGE_WAIT_SECONDS)
    return _page(request, "caseload_rows.html", rows=rows, complete=complete)


@_refusing
async def new_plan(request: Request) -> Response:
    """Create a plan file (blank or from the bundled example) and open it; never replaces a file."""
    form = await request.form()
    text = _example_text() if form.get("source") == "example" else BLANK_PLAN
    return _create_named(request, str(form.get("name", "")), lambda: text.encode("utf-8"), "created")


@_refusing
async def duplicate(request: Request) -> Response:
    """Copy a plan under a new name and open the copy; never replaces a file."""
    source = _path_or_error(request)
    form = await request.form()

    def content() -> bytes:
        try:
            return source.read_bytes()
        except OSError:
            raise _Refused(404, "Not copied: the plan cannot be read.") from None

    return _create_named(request, str(form.get("name", "")), content, "copied")


def _create_named(request: Request, title: str, content: Any, done: str) -> Response:
    """Write a new plan file named from ``title`` and open it; the caseload page with the reason
    when the name is unusable or taken."""
    state = _state(request)
    try:
        name = new_plan_name(title)
        path = plan_path(state.root, name)
    except UnsafePlanName as exc:
        return _caseload_notice(request, 400, f"Not {done}: {exc}.")
    if os.path.lexists(path):
        return _caseload_notice(request, 409, f"Not {done}: {name} already exists.")
    _create(path, content())
    return RedirectResponse(f"/plan/{name}", status_code=303)


def _caseload_notice(request: Request, status: int, message: str) -> Response:
    state = _state(request)
    rows, complete = state.caseload.rows(PAGE_WAIT_SECONDS)
    return _page(request, "caseload.html", status, rows=rows, complete=complete, folder=state.root.name, message=message)


def _create(path: Path, content: bytes) -> None:
    """Write a new file through txplan's output module (atomic, 0600)."""
    try:
        write_outputs([(path, content)])
    except OutputError as exc:
        raise _Refused(500, f"Not written: {exc.message}") from None


def _example_text() -> str:
    return resources.files("txplan.examples").joinpath("attachment-plan.yaml").read_text(encoding="utf-8")


# -- the editor ------------------------------------------------------------------------------------


@_refusing
async def editor_page(request: Request) -> Response:
    """The editor for one plan file, with its current problems at their fields."""
    state = _state(request)
    path = _path_or_error(request)
    if not path.exists():
        raise _Refused(404, "No such plan in this folder.")
    text, base = saving.read_plan_text(path)
    try:
        plan = state.engine.load(path)
    except PlanError as exc:
        return _page(request, "unreadable.html", 200, name=path.name, problems=[_shown(p, path.name) for p in exc.problems])
    return _editor(request, path.name, plan.data, base)


def _editor(request: Request, name: str, data: dict[str, Any], base: str, status: int = 200, notice: str = "") -> Response:
    state = _state(request)
    result = editing.evaluate(state.engine, data, name)
    return _page(
        request,
        "editor.html",
        status,
        name=name,
        base=base,
        fields=build_fields(data, state.view),
        result=result,
        formats=state.formats,
        profiles=sorted(state.engine.host.payer_profiles),
        score_names={i.id: list(i.score_labels.items()) for i in state.engine.host.instruments.values() if i.score_labels},
        notice=notice,
    )


@_refusing
async def validate(request: Request) -> Response:
    """The problems, scores and measured objectives for the form's current data (not saved)."""
    state, path, form, data = await _posted(request)
    result = await run_in_threadpool(editing.evaluate, state.engine, data, path.name)
    return _page(request, "live.html", result=result)


@_refusing
async def edit(request: Request) -> Response:
    """Add, remove or move a list item (or pick a library entry) and return the form again."""
    state, path, form, data = await _posted(request)
    try:
        data, focus = editing.apply(str(form.get("_op", "")), data, state.view, state.engine)
    except editing.BadOperation as exc:
        raise _Refused(400, f"Refused: {exc}.") from None
    result = editing.evaluate(state.engine, data, path.name)
    return _page(
        request,
        "edited.html",
        name=path.name,
        base=str(form.get("_base", "")),
        fields=build_fields(data, state.view),
        result=result,
        focus=focus,
    )


@_refusing
async def save(request: Request) -> Response:
    """Save the form's data to the plan file, unless the file changed on disk since it was
    opened, or the data has errors and the file on disk is valid (then only when confirmed)."""
    state, path, form, data = await _posted(request)
    base = str(form.get("_base_override") or form.get("_base", ""))
    result = editing.evaluate(state.engine, data, path.name)
    if result.errors and form.get("_confirm_invalid") != "yes" and _valid_on_disk(state.engine, path):
        return _page(request, "saved.html", 200, outcome="confirm", result=result, base=base, name=path.name)
    try:
        new_base = saving.save(path, data, base or None)
    except saving.ChangedOnDisk as exc:
        mine = saving.new_text(exc.current, data, json_file=path.suffix.lower() == ".json")
        return _page(request, "saved.html", 200, outcome="conflict", disk=exc.current, mine=mine, base=saving.fingerprint(exc.current.encode("utf-8")), name=path.name, result=result)
    except PlanError as exc:
        return _page(request, "saved.html", 500, outcome="failed", message=exc.message, base=base, name=path.name, result=result)
    except OutputError as exc:
        return _page(request, "saved.html", 500, outcome="failed", message=exc.message, base=base, name=path.name, result=result)
    # Every outcome is a 200 with its own words: htmx shows only successful responses.
    return _page(request, "saved.html", 200, outcome="saved", base=new_base, name=path.name, result=result)


def _valid_on_disk(engine: Engine, path: Path) -> bool:
    try:
        plan = engine.load(path)
    except PlanError:
        return False
    return not any(p.severity == "error" for p in engine.validate(plan))


@_refusing
async def check(request: Request) -> Response:
    """Check the form's data against a payer profile; every finding links to its field."""
    state, path, form, data = await _posted(request)
    result = editing.evaluate(state.engine, data, path.name)
    findings: list[Problem] = []
    message = ""
    if result.errors:
        message = "The plan has errors; fix them before checking it against a payer profile."
    else:
        try:
            profile, params = select_profile(state.engine, str(form.get("_payer") or "") or None)
            assert result.plan is not None  # a result without errors has its plan
            findings = run_checks(state.engine, result.plan, profile, params, dt.date.today())
        except UsageError as exc:
            message = exc.message
        except TxplanError as exc:
            message = exc.message or "The check could not run."
    return _page(request, "findings.html", findings=findings, message=message)


# -- preview and download ---------------------------------------------------------------------------


@_refusing
async def preview(request: Request) -> Response:
    """The saved plan rendered in the HTML output format (or Markdown, shown as text, where no
    HTML format is installed)."""
    state = _state(request)
    plan = _load_saved(request)
    fmt = "html" if "html" in state.engine.host.output_formats else "markdown"
    try:
        body = await run_in_threadpool(state.engine.render, plan, fmt)  # under the engine's render time limit, in any thread
    except PlanError as exc:
        return _page(request, "preview_problems.html", 200, problems=[_shown(p, plan.source) for p in exc.problems])
    except TxplanError as exc:
        return PlainTextResponse(exc.message or "The plan could not be rendered.", status_code=500)
    if fmt == "html":
        return Response(body, media_type="text/html; charset=utf-8")
    return PlainTextResponse(body.decode("utf-8"))


@_refusing
async def download(request: Request) -> Response:
    """The saved plan rendered in one installed output format, as a download."""
    state = _state(request)
    plan = _load_saved(request)
    name = request.path_params["format"]
    try:
        output_format = state.engine.output_format(name)
        body = await run_in_threadpool(state.engine.render, plan, output_format.name)
    except UsageError as exc:
        raise _Refused(404, exc.message) from None
    except PlanError:
        raise _Refused(409, "The saved plan has errors; fix and save it before downloading.") from None
    except TxplanError as exc:
        raise _Refused(500, exc.message or "The plan could not be rendered.") from None
    stem = Path(plan.source).stem
    extension = getattr(output_format, "extension", "") or output_format.name
    return Response(
        body,
        media_type=getattr(output_format, "media_type", None) or "application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{stem}.{extension.lstrip(".")}"'},
    )


def _load_saved(request: Request) -> Plan:
    state = _state(request)
    path = _path_or_error(request)
    if not path.exists():
        raise _Refused(404, "No such plan in this folder.")
    try:
        plan = state.engine.load(path)
    except PlanError:
        raise _Refused(409, "The saved plan cannot be read; open it in the editor to see why.") from None
    plan.source = path.name
    return plan


# -- library, lock ------------------------------------------------------------------------------------


@_refusing
async def library(request: Request) -> Response:
    """Library entries matching the search words, for the picker of one intervention."""
    state = _state(request)
    target = request.query_params.get("target", "")
    plan = request.query_params.get("plan", "")
    try:
        editing.intervention_index(target)
        plan_path(state.root, plan)
    except (editing.BadOperation, UnsafePlanName):
        return PlainTextResponse("Refused: not an intervention of a plan in this folder.", status_code=400)
    words = request.query_params.get("_q", "").lower().split()
    entries = editing.library_entries(state.engine, words)
    return _page(request, "library.html", entries=entries[:50], more=max(0, len(entries) - 50), target=target, plan=plan)


async def locked(request: Request) -> Response:
    """Lock this session now (the page's idle timer ran out) and show the lock page."""
    _state(request).guard.lock(request.cookies.get(COOKIE))
    return HTMLResponse(LOCK_PAGE, status_code=401)


@_refusing
async def unlock(request: Request) -> Response:
    """Give the key again to unlock: a new session cookie replaces the locked one."""
    guard = _state(request).guard
    form = await request.form()
    if not guard.token_matches(str(form.get("token", ""))):
        return HTMLResponse(LOCK_PAGE, status_code=403)
    guard.sessions.pop(request.cookies.get(COOKIE, ""), None)
    session = guard.new_session()
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, session, httponly=True, samesite="strict", path="/")
    return response


def _shown(problem: Problem, name: str) -> dict[str, Any]:
    return {"text": str(problem), "path": problem.path, "severity": problem.severity, "message": problem.message, "line": problem.line}
