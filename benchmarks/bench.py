"""txplan's benchmark: the full pipeline against what a user would otherwise reach for.

    python benchmarks/bench.py [--batch 500] [--pandoc-batch 40] [--memory-batch 2000] [--format-batch 100] [--write-readme]

Measured side by side in one run, on benchmarks/plan.yaml (the example client with every assessment
and intervention written out, so that every tool builds the same document), every document
written to disk:
  * txplan: load, validate, render and write the DOCX (one Engine, built once);
  * python-docx by hand: read the YAML, build the same document with python-docx, save;
  * docxtpl: render an equivalent Word template (loaded for each document, as documented);
  * Jinja2 -> Markdown -> pandoc: one pandoc process per document (skipped without pandoc).
Reported as documents per second and as ratios; plus the cost of one document of the example
plan in each format (Markdown, Word, HTML), with its score charts and without them; the cold whole-process time of one
`txplan render` against a bare python-docx script, and peak memory over a long batch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata, resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import alternatives  # noqa: E402

#: The plan every tool renders: equivalent content for all of them (see the file's header).
PLAN = HERE / "plan.yaml"
#: The bundled example, with instruments and libraries, which only txplan can render as intended.
EXAMPLE = Path(str(resources.files("txplan.examples").joinpath("attachment-plan.yaml")))


def rate(render_one: Callable[[int], None], count: int) -> float:
    """Documents per second over ``count`` documents (after one warm-up document)."""
    render_one(-1)
    start = time.perf_counter()
    for index in range(count):
        render_one(index)
    return count / (time.perf_counter() - start)


def throughput(batch: int, pandoc_batch: int, work: Path) -> dict[str, float | None]:
    """Documents per second for txplan and each alternative."""
    import jinja2

    import txplan
    from txplan.output import write_outputs

    engine = txplan.Engine()

    def with_txplan(index: int) -> None:
        write_outputs([(work / f"txplan-{index}.docx", engine.render(engine.load(PLAN), "docx"))])

    def by_hand(index: int) -> None:
        alternatives.python_docx_by_hand(alternatives.load(PLAN), work / f"hand-{index}.docx")

    template = work / "docxtpl-template.docx"
    alternatives.make_docxtpl_template(template)

    def with_docxtpl(index: int) -> None:
        alternatives.docxtpl_render(template, alternatives.load(PLAN), work / f"docxtpl-{index}.docx")

    environment = jinja2.Environment()

    def with_pandoc(index: int) -> None:
        alternatives.pandoc_render(environment, alternatives.load(PLAN), work / f"pandoc-{index}.docx")

    def with_txplan_example(index: int) -> None:
        write_outputs([(work / f"example-{index}.docx", engine.render(engine.load(EXAMPLE), "docx"))])

    results: dict[str, float | None] = {
        "txplan": rate(with_txplan, batch),
        "python-docx by hand": rate(by_hand, batch),
        "docxtpl": rate(with_docxtpl, batch),
        "Jinja2 + pandoc": rate(with_pandoc, pandoc_batch) if shutil.which("pandoc") else None,
    }
    results["txplan, example plan (instruments scored, progress tables, libraries)"] = rate(with_txplan_example, batch)
    return results


def format_costs(batch: int, work: Path) -> dict[str, float]:
    """Milliseconds per document of the example plan (three score charts) in each format, with
    charts and with a pack that turns them off, every document written to disk."""
    import txplan
    from txplan.output import write_outputs
    from txplan.plugins.formats import chart_images

    quiet = work / "charts-off"
    quiet.mkdir(exist_ok=True)
    (quiet / "pack.yaml").write_text("name: charts-off\nversion: '1'\nextends: default\ncharts: {enabled: false}\n", encoding="utf-8")
    engines = {"with charts": txplan.Engine(), "charts off": txplan.Engine(str(quiet))}
    costs = {}
    for fmt in ("markdown", "docx", "html"):
        for setting, engine in engines.items():
            if fmt == "markdown" and setting == "charts off":
                continue  # Markdown never draws charts

            def one(index: int, engine: txplan.Engine = engine, fmt: str = fmt) -> None:
                # Each plan of a real batch has charts of its own: none is taken from the cache.
                chart_images._draw.cache_clear()
                write_outputs([(work / f"cost-{index}.{fmt}", engine.render(engine.load(EXAMPLE), fmt))])

            name = fmt if fmt == "markdown" else f"{fmt}, {setting}"
            costs[name] = 1000 / rate(one, batch)
    return costs


def cold_start(runs: int, work: Path) -> dict[str, float]:
    """Median wall time of a whole process rendering one document."""
    txplan_cli = Path(sys.executable).parent / "txplan"
    commands = {
        "txplan render": [str(txplan_cli), "render", str(PLAN), "-f", "docx", "-o", str(work / "cold.docx")],
        "bare python-docx script": [sys.executable, str(HERE / "bare_python_docx.py"), str(PLAN), str(work / "bare.docx")],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():  # interleaved, so load on the machine hits both
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def memory_child(count: int, work: Path) -> None:
    """Render ``count`` documents in this process, printing peak RSS (MB) at checkpoints."""
    import txplan
    from txplan.output import write_outputs

    engine = txplan.Engine()
    checkpoints = {100, count // 4, count // 2, count}
    peaks = {}
    for index in range(1, count + 1):
        write_outputs([(work / "memory.docx", engine.render(engine.load(PLAN), "docx"))])
        if index in checkpoints:
            peaks[index] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(peaks))


def memory(count: int, work: Path) -> dict[int, float]:
    """Peak RSS after 100, 1/4, 1/2 and all of ``count`` documents, in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(count), "--work", str(work)],
                         check=True, capture_output=True, text=True).stdout
    return {int(k): v for k, v in json.loads(out).items()}


def versions() -> str:
    """The machine and the versions measured."""
    names = ["txplan", "python-docx", "docxtpl", "Jinja2", "markdown-it-py", "jsonschema", "lxml"]
    found = ", ".join(f"{n} {metadata.version(n)}" for n in names)
    pandoc = subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.split("\n")[0] if shutil.which("pandoc") else "pandoc absent"
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; {found}; {pandoc}"


def report(args: argparse.Namespace) -> str:
    """Run everything and return the results as Markdown."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        rates = throughput(args.batch, args.pandoc_batch, work)
        costs = format_costs(args.format_batch, work)
        cold = cold_start(args.cold_runs, work)
        peaks = memory(args.memory_batch, work)
    ours = rates["txplan"] or 0.0
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {versions()}.",
        "",
        f"**Batch throughput** (benchmarks/plan.yaml, {args.batch} documents in one process; pandoc: {args.pandoc_batch} processes):",
        "",
        "| tool | documents / s | txplan is ... × as fast |",
        "|---|---:|---:|",
    ]
    for name, value in rates.items():
        if value is None:
            lines.append(f"| {name} | skipped: pandoc not installed | |")
        else:
            ratio = "1.00" if name == "txplan" else "(for information)" if name.startswith("txplan,") else f"{ours / value:,.2f}"
            lines.append(f"| {name} | {value:,.1f} | {ratio} |")
    lines += [
        "",
        f"**Cost per document by format** (the example plan with its three score charts, {args.format_batch} documents each;"
        " charts off: a pack with `charts: {enabled: false}`):",
        "",
        "| format | ms / document |",
        "|---|---:|",
        *(f"| {name} | {value:.1f} |" for name, value in costs.items()),
    ]
    ratio = cold["txplan render"] / cold["bare python-docx script"]
    lines += [
        "",
        f"**Cold start** (median of {args.cold_runs} whole processes rendering one document):",
        "",
        "| command | seconds |",
        "|---|---:|",
        *(f"| {name} | {value:.3f} |" for name, value in cold.items()),
        f"| ratio txplan / bare script | {ratio:.2f} |",
        "",
        f"**Peak memory** over a batch of {args.memory_batch} documents in one process (peak RSS so far):",
        "",
        "| documents rendered | peak RSS (MB) |",
        "|---:|---:|",
        *(f"| {count:,} | {peak:.1f} |" for count, peak in sorted(peaks.items())),
    ]
    return "\n".join(lines) + "\n"


def write_readme(results: str) -> None:
    """Replace the results block of benchmarks/README.md."""
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- results -->", "<!-- /results -->"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{results}{end}{after}", encoding="utf-8")


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pandoc-batch", type=int, default=40)
    parser.add_argument("--memory-batch", type=int, default=2000)
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--format-batch", type=int, default=100)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.work)
        return
    results = report(args)
    print(results)
    if args.write_readme:
        write_readme(results)


if __name__ == "__main__":
    main()
