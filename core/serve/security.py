"""The guard in front of every request (see docs/serve.md, "Security").

A pure ASGI middleware, so that nothing of the app runs before these checks pass:

- the Host header must name the address the app is bound to (a DNS-rebinding page cannot reach
  it through a name of its own);
- the per-start token from the printed URL is exchanged once for an HttpOnly, SameSite=Strict
  session cookie; any request without that cookie is refused;
- state-changing requests must carry an Origin header naming this app (cross-site forgery);
- after the idle time the session locks until the token is given again;
- request bodies are capped;
- every response carries a Content-Security-Policy without inline script,
  ``X-Frame-Options: DENY`` and ``Cache-Control: no-store``;
- the access log shows method, the path with plan names blanked, status and time, never a query
  string or a body.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

log = logging.getLogger("txplan.serve.access")

COOKIE = "txplan_session"
MAX_BODY_BYTES = 2 * 1024 * 1024
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: The page's own script and style files only: no inline script, no eval, nothing from elsewhere.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: A rendered plan shown in the editor's preview frame: no script at all (a sandbox), its own
#: inline styles allowed, framed only by this app's pages.
PREVIEW_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: Chrome then sends "Origin: null" on form posts
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
#: Path segments kept in the access log; any other segment (a plan's file name) is shown as '*'.
_LOGGED_SEGMENTS = {
    "", "plan", "new", "static", "validate", "save", "edit", "check", "preview", "download", "duplicate",
    "score", "library", "rows", "unlock", "locked", "favicon.ico", "htmx.min.js", "app.js", "app.css",
    "docx", "markdown", "html", "pdf",
}

Asgi = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


@dataclass
class Guard:
    """The security settings of one server start: the token, the names it answers to, the idle
    time after which it locks, and the one session the token was exchanged for."""

    token: str
    hosts: frozenset[str]
    port: int
    idle_seconds: float = 15 * 60
    sessions: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def start(cls, host_names: Iterable[str], port: int, idle_seconds: float) -> Guard:
        """A guard with a fresh random token for a server answering to ``host_names`` on ``port``."""
        return cls(secrets.token_urlsafe(32), frozenset(h.lower() for h in host_names), port, idle_seconds)

    def host_allowed(self, host_header: str) -> bool:
        """Whether a Host header names this server (a bound name, with this port or none)."""
        host = host_header.strip().lower()
        if host.startswith("["):  # [::1]:8000
            name, _, rest = host[1:].partition("]")
            port = rest.removeprefix(":")
            name = f"[{name}]"
        else:
            name, _, port = host.partition(":")
        return name in self.hosts and port in ("", str(self.port))

    def origins(self) -> set[str]:
        """The Origin values a page of this server sends."""
        return {f"http://{host}:{self.port}" for host in self.hosts}

    def token_matches(self, given: str) -> bool:
        """Whether ``given`` is this start's token (compared in constant time)."""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def new_session(self) -> str:
        """A new session id for the cookie; an earlier session stays valid until it idles out."""
        session = secrets.token_urlsafe(32)
        self.sessions[session] = self.clock()
        return session

    def lock(self, session: str | None) -> None:
        """Lock ``session`` now (the page's own idle timer ran out)."""
        if session in self.sessions:
            self.sessions[session] = float("-inf")

    def session_state(self, session: str | None) -> str:
        """``ok`` (and the idle clock restarts), ``locked`` (idle too long) or ``none``."""
        if not session or session not in self.sessions:
            return "none"
        if self.idle_seconds and self.clock() - self.sessions[session] > self.idle_seconds:
            return "locked"
        self.sessions[session] = self.clock()
        return "ok"


def _preview_headers() -> list[tuple[bytes, bytes]]:
    replaced = {b"content-security-policy": PREVIEW_CSP.encode(), b"x-frame-options": b"SAMEORIGIN"}
    return [(name, replaced.get(name, value)) for name, value in SECURITY_HEADERS]


def loggable_path(path: str) -> str:
    """``path`` with every segment that is not one of the app's own words (a plan's file name,
    which may hold a client's name) shown as ``*``."""
    return "/".join(segment if segment in _LOGGED_SEGMENTS else "*" for segment in path.split("/"))


class SecurityMiddleware:
    """Applies the :class:`Guard`'s rules to every request before the app sees it."""

    def __init__(self, app: Asgi, guard: Guard, max_body: int = MAX_BODY_BYTES) -> None:
        """Wrap ``app``; ``max_body`` caps request bodies in bytes."""
        self.app = app
        self.guard = guard
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return  # websockets are not used: refused by not answering
        started = time.perf_counter()
        status_holder = {"status": 0}

        extra = _preview_headers() if scope.get("path", "").endswith("/preview") else SECURITY_HEADERS

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() not in dict(SECURITY_HEADERS)]
                message["headers"] += extra
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_headers)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info("%s %s %s %.0fms", scope.get("method", "?"), loggable_path(scope.get("path", "")), status_holder["status"], elapsed)

    async def _guarded(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        if not self.guard.host_allowed(headers.get("host", "")):
            await _plain(send, 421, "This server answers only to the address it printed (Host header refused).")
            return
        if method in STATE_CHANGING and headers.get("origin") not in self.guard.origins():
            await _plain(send, 403, "Refused: a change must come from this app's own pages (Origin header missing or foreign).")
            return
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _plain(send, 413, f"Refused: a request body may be at most {self.max_body:,} bytes.")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        if method == "GET" and given:
            await self._exchange_token(scope, send, given)
            return
        state = self.guard.session_state(_cookie(headers.get("cookie", ""), COOKIE))
        if scope.get("path") == "/unlock" and method == "POST" and state != "ok":
            await self._app_capped(scope, receive, send)
            return
        if state == "none":
            await _plain(send, 403, "Open the address that `txplan serve` printed when it started (it holds this start's key).")
            return
        if state == "locked":
            await _locked(send, headers)
            return
        await self._app_capped(scope, receive, send)

    async def _app_capped(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _capped(receive, self.max_body), tracking_send)
        except BodyTooLarge:
            if not started:
                await _plain(send, 413, f"Refused: a request body may be at most {self.max_body:,} bytes.")
        except Exception as exc:  # noqa: BLE001 - reported here so that no traceback (which may quote plan text) reaches a log
            log.error("internal error: %s", type(exc).__name__)
            if not started:
                await _plain(send, 500, "Internal error: nothing was saved by this request. Please report it.")

    async def _exchange_token(self, scope: dict[str, Any], send: Any, given: str) -> None:
        if not self.guard.token_matches(given):
            await _plain(send, 403, "This key is not the one `txplan serve` printed at this start.")
            return
        session = self.guard.new_session()
        cookie = f"{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/"
        # Redirect to the same page without the token, so it is not kept in history or bookmarks.
        await send({"type": "http.response.start", "status": 303, "headers": [(b"location", scope["path"].encode() or b"/"), (b"set-cookie", cookie.encode())]})
        await send({"type": "http.response.body", "body": b""})


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _capped(receive: Any, limit: int) -> Any:
    """``receive`` that stops a body larger than ``limit`` (one sent without Content-Length)."""
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return wrapped


class BodyTooLarge(Exception):
    """A request body went past the cap while it was being read."""


async def _plain(send: Any, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode()})


async def _locked(send: Any, headers: dict[str, str]) -> None:
    """The lock page (a full page; for an htmx request, a redirect header to it)."""
    if headers.get("hx-request"):
        await send({"type": "http.response.start", "status": 401, "headers": [(b"hx-redirect", b"/locked")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": LOCK_PAGE.encode()})


LOCK_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>txplan: locked</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/app.css"></head>
<body class="locked"><main>
<h1>Locked</h1>
<p>This window was left idle, so the plans are hidden. Paste the key from the address that
<code>txplan serve</code> printed (the part after <code>token=</code>) to go on.</p>
<form method="post" action="/unlock">
<label for="unlock-token">Key</label>
<input id="unlock-token" name="token" type="password" autocomplete="off" required>
<button type="submit">Unlock</button>
</form></main></body></html>
"""
