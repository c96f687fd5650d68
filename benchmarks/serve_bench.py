"""`txplan serve`'s response times, through a real HTTP server on the loopback.

    python benchmarks/serve_bench.py [--rounds 200] [--plans 500] [--write-readme]

On the bundled example plan: the validation round trip (a changed field posted, the messages,
scores and statuses returned), the preview, and the caseload page for a folder of 500 plans (cold:
the page at once, then until every plan is read, validated and checked; then unchanged files
served from the cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLE = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))
MARKERS = ("<!-- serve-results -->", "<!-- /serve-results -->")


def timed(call, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds per call over ``rounds`` calls (after one warm-up)."""
    call(-1)
    out = []
    for index in range(rounds):
        start = time.perf_counter()
        call(index)
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    """Run the measurements and print (or write into benchmarks/README.md) the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()

    import txplan
    from txplan.api import engine_for
    from txplan.serve.command import BackgroundServer
    from txplan.serve.forms import SchemaView, build_fields, posted_items

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        shutil.copy(EXAMPLE, folder / "example.yaml")
        engine = engine_for(None)
        server = BackgroundServer(folder, engine)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        opener.open(server.url).read()
        fields = posted_items(build_fields(txplan.load_plan(EXAMPLE).data, SchemaView(engine.schema)))

        def validate(index: int) -> None:
            changed = [(n, f"Changed {index}" if n == "client.preferred_name" else v) for n, v in fields]
            body = urllib.parse.urlencode(changed).encode()
            request = urllib.request.Request(server.base + "/plan/example.yaml/validate", body, {"Origin": server.base})
            answer = opener.open(request).read().decode()
            assert "No problems" in answer or "warning" in answer, answer[:200]

        def preview(index: int) -> None:
            assert b"Am" in opener.open(server.base + "/plan/example.yaml/preview").read()

        round_trip = timed(validate, args.rounds)
        previews = timed(preview, max(20, args.rounds // 4))
        server.stop()

        many = folder / "many"
        many.mkdir()
        text = EXAMPLE.read_text(encoding="utf-8")
        for index in range(args.plans):
            (many / f"client-{index:04d}.yaml").write_text(re.sub(r"identifier: HV-\d+", f"identifier: HV-{index:05d}", text), encoding="utf-8")
        server = BackgroundServer(many, engine)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        start = time.perf_counter()
        page = opener.open(server.url).read().decode()  # the key is exchanged, then the caseload page
        cold = (time.perf_counter() - start) * 1000
        assert page.count('href="/plan/client-') == args.plans
        while "being read" in page:  # as the page does: ask for the rows again until all are read
            time.sleep(0.2)
            page = opener.open(server.base + "/rows").read().decode()
        filled = (time.perf_counter() - start) * 1000
        warm = timed(lambda _: opener.open(server.base + "/").read(), 10)
        server.stop()

    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, Python {platform.python_version()}, txplan {txplan.__version__}; "
        f"through uvicorn on the loopback, one client; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine: read the medians).",
        "",
        "| what | median (ms) | 95th percentile (ms) | target |",
        "|---|---:|---:|---|",
        f"| validation round trip (example plan, {args.rounds} changes) | {statistics.median(round_trip):.0f} | {p95(round_trip):.0f} | p95 < 100 ms |",
        f"| preview (example plan, {len(previews)} requests) | {statistics.median(previews):.0f} | {p95(previews):.0f} | < 300 ms |",
        f"| caseload page, {args.plans} plans, first load: the page (rows not yet read shown as such) | {cold:.0f} | | < 1 s |",
        f"| caseload page, {args.plans} plans, first load: until every plan is read, validated and checked | {filled:.0f} | | |",
        f"| caseload page, {args.plans} plans, unchanged files (cached) | {statistics.median(warm):.0f} | {p95(warm):.0f} | < 1 s |",
    ]
    table = "\n".join(lines)
    print(table)
    if args.write_readme:
        readme = HERE / "README.md"
        text = readme.read_text(encoding="utf-8")
        start_at, end_at = text.index(MARKERS[0]) + len(MARKERS[0]), text.index(MARKERS[1])
        readme.write_text(text[:start_at] + "\n" + table + "\n" + text[end_at:], encoding="utf-8")


if __name__ == "__main__":
    main()
