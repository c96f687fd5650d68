"""Tools for people who make template packs: scaffold a new pack (``txplan pack new``) and check
one, reporting every problem at once (``txplan pack check``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .errors import OutputError, PackError, Problem, TxplanError

PACK_YAML = """\
# {name}: a txplan template pack. It changes the documents without touching code.
# Check it with:  txplan pack check {folder}
# Use it with:    txplan render plan.yaml --pack {folder}

name: {name}            # lower case letters, digits and hyphens
version: "0.1"          # your pack's own version
description: Our practice's treatment plan paperwork.

# The pack this one builds on. Everything you do not change here comes from it.
extends: {extends}

# The practice's identity for the letterhead. Where given, it replaces the plan's practice block.
# The logo is a PNG or JPEG inside this folder (at most 1 MB).
# practice:
#   name: Harbour & Vine Counselling
#   address: |
#     214 Alder Street, Suite 3
#     Portland, OR 97204
#   phone: (503) 555-0142
#   logo: logo.png

# Section order: each name is rendered from templates/<name>.md.j2, here or in the pack extended.
# Leave it out to keep the order of the pack extended, which is:
{sections}

# Headings and fixed text, by key: give only those you want to change (or translate).
# `txplan pack new` copied none; see the pack extended for every key.
labels:
  title: Treatment Plan

# Requirements your insurers add, as a JSON Schema overlay every plan must also satisfy.
# requires:
#   properties:
#     clinician: {{required: [npi]}}
#     diagnoses: {{minItems: 1}}

# The documents' language (the HTML page's lang) and a stylesheet of your own for the HTML output
# (a CSS file in this folder: no @import, no url() except data:, at most 256 KB).
# language: en
# html:
#   stylesheet: style.css

# Score charts after the progress tables (drawn when matplotlib is installed): off, or coloured.
# charts:
#   enabled: false
#   colours: {{series: ["#1f4e79", "#c0504d"], target: "#2e7d32"}}

# Your own intervention libraries (shape: schemas/library.schema.json in txplan).
# libraries: [libraries/our-practice.yaml]
"""

TEMPLATES_README = """\
Templates in this folder replace the section templates of the pack extended, by file name
(signatures.md.j2 replaces its signatures section). Each produces Markdown from the plan:

  {{ plan.client.name }}     values from the plan (escaped: a client's words stay text)
  {{ labels.signatures }}    headings and fixed text from pack.yaml
  {% include "default:signatures.md.j2" %}   the default pack's own version of a template

Structures Markdown lacks: `::: note`, `::: alert`, `::: signature-block`, `::: page-break`.
"""


def new_pack(name: str, folder: Path, extends: str, parent: Any) -> list[Path]:
    """Write a pack that renders at once: pack.yaml with comments, a templates/ folder with one
    override to start from, and a copy of the extended pack's reference.docx (edit it in Word for
    your letterhead). Refuses a folder that exists and is not empty."""
    if folder.exists() and any(folder.iterdir()):
        raise OutputError(f"{folder} already exists and is not empty; choose another folder")
    from .contracts import ID_PATTERN

    if not ID_PATTERN.match(name):
        raise PackError(f"pack name '{name}' must be lower case letters, digits and hyphens")
    templates = folder / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    sections = "\n".join(f"#   - {s}" for s in parent.sections)
    written = [folder / "pack.yaml", templates / "README.txt", templates / "signatures.md.j2"]
    written[0].write_text(PACK_YAML.format(name=name, folder=folder, extends=extends, sections="# sections:\n" + sections), encoding="utf-8")
    written[1].write_text(TEMPLATES_README, encoding="utf-8")
    written[2].write_text(
        "{# This replaces the signatures section. Start from the default's and change what you need. #}\n"
        '{% include "default:signatures.md.j2" %}\n',
        encoding="utf-8",
    )
    reference = parent.find_file("reference.docx")
    if reference is not None:
        shutil.copyfile(reference, folder / "reference.docx")
        written.append(folder / "reference.docx")
    return written


def check_pack(spec: str, host: Any, sample_plan: Path) -> list[str]:
    """Every problem with the pack ``spec`` (a folder or a name), as printable lines, all at once:
    pack.yaml against its schema, template syntax (every template, with its line), images,
    intervention libraries, templates that use what plans do not have (a dry render of the sample
    plan, section by section, skipping templates that do not compile), and what each output
    format needs of the pack (the reference document and its styles)."""
    import jinja2

    from .context import build_context
    from .contracts import RenderedDocument, Section
    from .loader import load_plan_file
    from .packs import image_problem, resolve_pack
    from .pipeline import _all_libraries, _with_alerts, render_seconds_setting, render_template
    from .safe_paths import MAX_LOGO_BYTES, UnsafePackPath, read_inside
    from .schema import compose_schema
    from .templating import PackTemplateError, make_environment

    problems: list[str] = []
    try:
        pack = resolve_pack(spec, host.template_packs)
        root, name, roots = pack.root, pack.name, pack.template_roots()
    except TxplanError as exc:
        # Keep going with what can be checked without a valid pack.yaml: templates and images.
        problems.extend(exc.lines())
        pack, root, name = None, Path(spec), Path(spec).name
        roots = [(name, root), *resolve_pack(None, host.template_packs).template_roots()]
        if not root.is_dir():
            return problems
    env = make_environment(roots)
    broken: set[str] = set()
    own = root / "templates"
    for path in sorted(own.rglob("*.j2")) if own.is_dir() else []:
        template = path.relative_to(own).as_posix()
        try:
            env.get_template(template)
        except jinja2.TemplateSyntaxError as exc:
            broken.add(template)
            problems.append(str(Problem(f"pack '{name}' template {template}", exc.lineno, "", exc.message or "syntax error")))
        except Exception as exc:  # noqa: BLE001 - unreadable file, link, ...
            broken.add(template)
            problems.append(f"pack '{name}' template {template}: {exc}")
    for image in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            data = read_inside(root, image.relative_to(root), MAX_LOGO_BYTES)
        except UnsafePackPath as exc:
            problems.append(f"template pack '{name}': {exc}")
            continue
        problem = image_problem(data) if data is not None else None
        if problem:
            problems.append(f"{image}: {problem}")
    if pack is None:
        return problems
    try:
        pack.logo  # noqa: B018 - reads and checks the logo named in pack.yaml
    except TxplanError as exc:
        problems.extend(exc.lines())
    try:
        libraries = _all_libraries(host, pack)
    except TxplanError as exc:
        problems.extend(exc.lines())
        libraries = dict(host.intervention_libraries)
    schema = compose_schema(host.instruments.values(), libraries.values(), pack.requires)
    plan = load_plan_file(sample_plan)
    context = build_context(plan.data, schema, pack.labels, host.instruments, libraries, pack.practice)
    sections: list[Section] = []
    seconds = render_seconds_setting()  # the same limit as rendering: an endless loop must not hang the check
    for section in _with_alerts(pack.sections):
        template_name = f"{section}.md.j2"
        if template_name in broken:
            continue
        try:
            text = render_template(pack, env.get_template(template_name), context, seconds=seconds)
            if text.strip():
                sections.append(Section(section, text))
        except jinja2.TemplateNotFound:
            problems.append(f"template pack '{name}' lists section '{section}' but has no templates/{template_name}")
        except jinja2.TemplateSyntaxError as exc:  # a parent's template this pack relies on
            problems.append(str(Problem(f"pack '{name}' template {exc.name or template_name}", exc.lineno, "", exc.message or "syntax error")))
        except PackTemplateError as exc:  # a link, a FIFO, an oversized file
            problems.append(f"template pack '{name}': {exc}")
        except TxplanError as exc:
            problems.extend(exc.lines())
    for output_format in host.output_formats.values():
        try:
            if output_format.prepare is not None:
                output_format.prepare(pack)
            # The sample plan goes through every format whole, so what fails only in a writer
            # (a control character a template produces, a logo Word cannot place) is found here.
            output_format.render(RenderedDocument(str(context["title"]), tuple(sections), context, pack))
        except TxplanError as exc:
            problems.extend(exc.lines())
        except Exception as exc:  # noqa: BLE001 - a format plugin's own failure, named
            problems.append(f"output format '{output_format.name}' failed on the sample plan: {type(exc).__name__}")
    return list(dict.fromkeys(problems))  # a fault seen by two steps is reported once


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".tif", ".tiff", ".webp")
