"""``txplan serve``: start the local web app over a caseload folder."""

from __future__ import annotations

import argparse
import logging
import sys
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EXIT_OK, UsageError
from . import missing_dependencies

if TYPE_CHECKING:
    from ..pipeline import Engine

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8765


def cmd_serve(args: argparse.Namespace, make_engine: Callable[[], Engine]) -> int:
    """Serve the plans in ``args.folder`` until Ctrl-C, with the engine ``make_engine`` builds
    from the command's options (the command line's part); prints the address with this start's key."""
    missing = missing_dependencies()
    if missing:
        raise UsageError(f"txplan serve needs {', '.join(missing)}: install them with  pip install 'txplan[serve]'")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"{args.folder} is not a folder; give the folder that holds the plans (the caseload)")
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, not {args.port}")
    if args.idle_minutes < 0:
        raise UsageError("--idle-minutes must be 0 (never lock) or more")
    import uvicorn

    from .app import create_app
    from .security import Guard

    engine = make_engine()
    host = args.host
    if host != LOOPBACK:
        print(
            f"txplan: warning: serving on {host}, not only this computer: the app has no TLS and no user accounts; "
            "anyone who can reach this address and obtains the key can read and change the plans",
            file=sys.stderr,
        )
    names = {host, "localhost", LOOPBACK} if host in (LOOPBACK, "localhost") else {host}
    guard = Guard.start(names, args.port, args.idle_minutes * 60)
    app = create_app(folder, engine, guard, read_ahead=True)
    url = f"http://{'127.0.0.1' if host == LOOPBACK else host}:{args.port}/?token={guard.token}"
    print(f"txplan serve: {folder.resolve()} at\n  {url}\n(Ctrl-C stops it)", flush=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if not args.no_browser:
        webbrowser.open(url)
    uvicorn.run(app, host=host, port=args.port, access_log=False, log_level="warning", server_header=False, date_header=False)
    return EXIT_OK


class BackgroundServer:
    """The app served from a thread on a free loopback port: for browser tests, screenshots and
    benchmarks. ``url`` holds this start's key, as the printed address does."""

    def __init__(self, folder: Path, engine: object, idle_seconds: float = 15 * 60) -> None:
        """Bind a free port on 127.0.0.1 and start serving ``folder`` with ``engine``."""
        import socket
        import threading

        import uvicorn

        from .app import create_app
        from .security import Guard

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind((LOOPBACK, 0))
        self.port = self.socket.getsockname()[1]
        self.guard = Guard.start({LOOPBACK, "localhost"}, self.port, idle_seconds)
        self.app = create_app(folder, engine, self.guard)  # type: ignore[arg-type]
        config = uvicorn.Config(self.app, access_log=False, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)
        self.thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        self.base = f"http://{LOOPBACK}:{self.port}"
        self.url = f"{self.base}/?token={self.guard.token}"

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()
