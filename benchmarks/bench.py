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
import functools
import gc
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


def rate(render_one: Callable[[int], None], count: int, finish: Callable[[], None] = lambda: None) -> float:
    """Documents per second over ``count`` documents (after one warm-up document). Every tool
    runs with what is alive after its warm-up frozen out of the garbage collector's reach
    (``gc.freeze``), as `txplan render` does once its engine is built: the same treatment for all.
    ``finish`` waits for writes still in progress (txplan's writer thread)."""
    render_one(-1)
    gc.freeze()
    finish()
    start = time.perf_counter()
    for index in range(count):
        render_one(index)
    finish()  # every document on disk before the clock stops
    return count / (time.perf_counter() - start)


def throughput(batch: int, pandoc_batch: int, work: Path) -> dict[str, float | None]:
    """Documents per second for txplan and each alternative."""
    import jinja2

    import txplan
    from txplan.output import write_outputs
    from txplan.write_behind import WriteBehind

    engine = txplan.Engine()
    behind = WriteBehind()  # as `txplan render` writes: the next plan renders while this one is flushed

    def with_txplan(index: int) -> None:
        content = engine.render(engine.load(PLAN), "docx")
        behind.submit(functools.partial(write_outputs, [(work / f"txplan-{index}.docx", content)]))

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
        content = engine.render(engine.load(EXAMPLE), "docx")
        behind.submit(functools.partial(write_outputs, [(work / f"example-{index}.docx", content)]))

    results: dict[str, float | None] = {
        "txplan": rate(with_txplan, batch, behind.finish),
        "python-docx by hand": rate(by_hand, batch),
        "docxtpl": rate(with_docxtpl, batch),
        "Jinja2 + pandoc": rate(with_pandoc, pandoc_batch) if shutil.which("pandoc") else None,
    }
    results["txplan, example plan (instruments scored, progress tables, libraries)"] = rate(with_txplan_example, batch, behind.finish)
    return results


def stages(count: int, work: Path) -> dict[str, float]:
    """Median milliseconds of each stage of one txplan document (benchmarks/plan.yaml, one
    engine, ``count`` documents): load, validate, render the sections (score, context,
    templates), build the Word package, write it (atomic, fsync); and the whole, timed apart."""
    import txplan
    from txplan.output import write_outputs

    engine = txplan.Engine()
    docx = engine.output_format("docx")
    times: dict[str, list[float]] = {name: [] for name in ("load", "validate", "sections", "Word package", "write", "whole document")}
    for index in range(-1, count):
        if index == 0:
            gc.freeze()  # as `txplan render` does once its engine is built
        marks = [time.perf_counter()]
        plan = engine.load(PLAN)
        marks.append(time.perf_counter())
        problems = engine.validate(plan)
        marks.append(time.perf_counter())
        document = engine.render_document(plan, problems)
        marks.append(time.perf_counter())
        content = engine.render_with(docx, document)
        marks.append(time.perf_counter())
        write_outputs([(work / "stages.docx", content)])
        marks.append(time.perf_counter())
        if index >= 0:  # the first document warms up
            for name, start, end in zip(list(times)[:-1], marks[:-1], marks[1:], strict=True):
                times[name].append(end - start)
            times["whole document"].append(marks[-1] - marks[0])
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def scaled_plan(factor: int, work: Path) -> Path:
    """benchmarks/plan.yaml with ``factor`` times its goals, objectives and assessments (goals
    capped at the schema's 50, their objectives spread over them; every statement distinct)."""
    import yaml

    data = yaml.safe_load(PLAN.read_text(encoding="utf-8"))
    goals, assessments = data["goals"], data["assessments"]
    objectives = [objective for goal in goals for objective in goal["objectives"]]
    goal_count = min(len(goals) * factor, 50)
    per_goal = -(-len(objectives) * factor // goal_count)
    data["goals"] = []
    for number in range(goal_count):
        goal = dict(goals[number % len(goals)], id=f"G{number + 1}", statement=f"{goals[number % len(goals)]['statement']} ({number + 1})")
        goal["objectives"] = [
            dict(objectives[(number * per_goal + n) % len(objectives)], id=f"G{number + 1}.{n + 1}")
            for n in range(per_goal)
        ]
        data["goals"].append(goal)
    data["assessments"] = [dict(assessments[n % len(assessments)]) for n in range(len(assessments) * factor)]
    path = work / f"plan-{factor}x.yaml"
    class Written(yaml.SafeDumper):
        def ignore_aliases(self, data: object) -> bool:
            return True  # plans may hold no anchors: every copy written out

    path.write_text(yaml.dump(data, Dumper=Written, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def scaling(count: int, work: Path, factors: tuple[int, ...] = (1, 5, 20)) -> dict[int, tuple[float, int]]:
    """Median milliseconds of one whole document (load to written) and its document.xml size,
    for the bench plan scaled ``factors`` times: linear cost means ms per kB stays flat."""
    import zipfile

    import txplan
    from txplan.output import write_outputs

    engine = txplan.Engine()
    found = {}
    for factor in factors:
        plan = scaled_plan(factor, work)
        times = []
        for index in range(-1, count):
            start = time.perf_counter()
            content = engine.render(engine.load(plan), "docx")
            write_outputs([(work / "scaled.docx", content)])
            if index >= 0:
                times.append(time.perf_counter() - start)
        with zipfile.ZipFile(work / "scaled.docx") as archive:
            size = archive.getinfo("word/document.xml").file_size
        found[factor] = (statistics.median(times) * 1000, size)
    return found


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


def jobs_speedup(plans: int, runs: int, work: Path) -> dict[str, float]:
    """Median wall time of one `txplan render` of ``plans`` copies of the bench plan with
    ``--jobs 1`` and ``--jobs 2`` (interleaved), and the speed-up of two worker processes."""
    folder = work / "jobs"
    folder.mkdir(exist_ok=True)
    names = []
    for number in range(plans):
        names.append(f"plan-{number:03}.yaml")
        (folder / names[-1]).write_bytes(PLAN.read_bytes())
    txplan_cli = Path(sys.executable).parent / "txplan"
    times: dict[str, list[float]] = {"--jobs 1": [], "--jobs 2": []}
    for _ in range(runs):
        for option in times:
            start = time.perf_counter()
            subprocess.run([str(txplan_cli), "render", *names, "-f", "docx", "-o", "out/", "--jobs", option.split()[1]],
                           cwd=folder, check=True, stdout=subprocess.DEVNULL)
            times[option].append(time.perf_counter() - start)
    found = {option: statistics.median(values) for option, values in times.items()}
    found["speed-up"] = found["--jobs 1"] / found["--jobs 2"]
    return found


def cold_start(runs: int, work: Path) -> dict[str, float]:
    """Median wall time of a whole process: rendering one document (txplan and a bare script),
    validating one plan, and loading one plan through the Python API against reading its YAML
    alone (what a command that only needs the plan should cost: the engine builds nothing else)."""
    txplan_cli = Path(sys.executable).parent / "txplan"
    commands = {
        "txplan render": [str(txplan_cli), "render", str(PLAN), "-f", "docx", "-o", str(work / "cold.docx")],
        "bare python-docx script": [sys.executable, str(HERE / "bare_python_docx.py"), str(PLAN), str(work / "bare.docx")],
        "txplan validate": [str(txplan_cli), "validate", str(PLAN)],
        "python: txplan.load_plan": [sys.executable, "-c", "import sys, txplan; txplan.load_plan(sys.argv[1])", str(PLAN)],
        "python: yaml.safe_load alone": [sys.executable, "-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1], encoding='utf-8'))", str(PLAN)],
        # The cold-start breakdown: the interpreter alone, then the libraries `txplan render`
        # imports (the floor any tool built on them pays), then the command line's own modules.
        "python: start only": [sys.executable, "-c", "pass"],
        "python: import yaml, jsonschema, jinja2, markdown_it, docx": [sys.executable, "-c", "import yaml, jsonschema, jinja2, markdown_it, docx"],
        "python: import txplan.cli": [sys.executable, "-c", "import txplan.cli"],
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
    engine.render(engine.load(PLAN), "docx")
    gc.freeze()  # as `txplan render` does once its engine is built
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
        # First: a child process's peak RSS on Linux counts from the fork, so it is measured while
        # this process is still small (before the chart formats have loaded matplotlib here).
        peaks = memory(args.memory_batch, work)
        rates = throughput(args.batch, args.pandoc_batch, work)
        stage_ms = stages(args.stage_batch, work)
        scaled = scaling(args.scale_batch, work)
        costs = format_costs(args.format_batch, work)
        cold = cold_start(args.cold_runs, work)
        parallel = jobs_speedup(args.jobs_plans, 3, work)
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
        f"**Per stage** (median milliseconds over {args.stage_batch} documents of benchmarks/plan.yaml, one engine):",
        "",
        "| stage | ms |",
        "|---|---:|",
        *(f"| {name} | {value:.2f} |" for name, value in stage_ms.items()),
    ]
    base_ms, base_size = scaled[1]
    lines += [
        "",
        f"**Scaling** (benchmarks/plan.yaml with its goals, objectives and assessments multiplied; median of {args.scale_batch} documents each, load to written):",
        "",
        "| plan | document.xml (kB) | ms / document | ms per kB, relative to 1× |",
        "|---|---:|---:|---:|",
        *(f"| {factor}× | {size / 1000:,.0f} | {ms:.1f} | {(ms / size) / (base_ms / base_size):.2f} |" for factor, (ms, size) in scaled.items()),
    ]
    lines += [
        "",
        f"**Cost per document by format** (the example plan with its three score charts, {args.format_batch} documents each;"
        " charts off: a pack with `charts: {enabled: false}`):",
        "",
        "| format | ms / document |",
        "|---|---:|",
        *(f"| {name} | {value:.1f} |" for name, value in costs.items()),
    ]
    lines += [
        "",
        f"**Worker processes** (`txplan render` of {args.jobs_plans} plans, whole process, median of 3; {os.cpu_count()} cores, shared):",
        "",
        "| command | seconds |",
        "|---|---:|",
        f"| --jobs 1 | {parallel['--jobs 1']:.2f} |",
        f"| --jobs 2 | {parallel['--jobs 2']:.2f} |",
        f"| speed-up of --jobs 2 | {parallel['speed-up']:.2f}× |",
    ]
    ratio = cold["txplan render"] / cold["bare python-docx script"]
    load_ratio = cold["python: txplan.load_plan"] / cold["python: yaml.safe_load alone"]
    lines += [
        "",
        f"**Cold start** (median of {args.cold_runs} whole processes each):",
        "",
        "| command | seconds |",
        "|---|---:|",
        *(f"| {name} | {value:.3f} |" for name, value in cold.items()),
        f"| ratio txplan render / bare script | {ratio:.2f} |",
        f"| ratio txplan.load_plan / yaml.safe_load | {load_ratio:.2f} |",
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
    parser.add_argument("--stage-batch", type=int, default=300)
    parser.add_argument("--scale-batch", type=int, default=40)
    parser.add_argument("--only", choices=["stages", "throughput", "cold", "scaling", "jobs"], help="run one part only (while profiling); prints JSON")
    parser.add_argument("--format-batch", type=int, default=100)
    parser.add_argument("--jobs-plans", type=int, default=120)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.work)
        return
    if args.only:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            part = {
                "stages": lambda: stages(args.stage_batch, work),
                "throughput": lambda: throughput(args.batch, args.pandoc_batch, work),
                "cold": lambda: cold_start(args.cold_runs, work),
                "scaling": lambda: scaling(args.scale_batch, work),
                "jobs": lambda: jobs_speedup(args.jobs_plans, 3, work),
            }[args.only]()
            print(json.dumps(part, indent=1))
        return
    results = report(args)
    print(results)
    if args.write_readme:
        write_readme(results)


if __name__ == "__main__":
    main()
