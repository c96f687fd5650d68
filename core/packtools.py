"""Tools for people who make template packs: scaffold a new pack (``txplan pack new``) and lint
one, reporting every problem at once (``txplan pack check``)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import OutputError, PackError, Problem, TxplanError

#: The bundled discharged plan `pack check` renders the discharge summary from.
DISCHARGED_SAMPLE = "discharged-plan.yaml"

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

# The other documents, each with its own sections: the Treatment Plan Review (txplan render
# --document review) and the discharge summary (--document discharge). Leave them out to keep
# those of the pack extended.
# documents:
#   review:
#     sections: [letterhead, client_profile, review_overview, review_objectives, review_scores, review_changes, review_signatures]
#   discharge:
#     sections: [letterhead, client_profile, discharge_overview, discharge_outcomes, discharge_scores, discharge_aftercare, discharge_signatures]

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
    from .contracts import id_problem

    problem = id_problem("pack name", name)
    if problem:
        raise PackError(problem)
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


def lint_pack(spec: str, host: Any, sample_plan: Path) -> list[str]:
    """Every problem with the pack ``spec`` (a folder or a name), as printable lines, all at once
    (``txplan pack check``): pack.yaml against its schema, template syntax (every template, with
    its line), images, intervention libraries, templates that use what plans do not have (a dry
    render of the sample plan, section by section, skipping templates that do not compile), and
    what each output format needs of the pack (the reference document and its styles). The pack
    is built by the same :class:`~txplan.pipeline.Engine` that renders with it, under the same
    limits (an endless loop must not hang the check)."""
    from .pipeline import Engine
    from .templating import make_environment

    messages: list[str] = []
    engine = Engine(spec, host=host)
    try:
        pack = engine.pack
        root, name, env = pack.root, pack.name, engine.env
    except TxplanError as exc:
        # Keep going with what can be checked without a valid pack.yaml: templates and images.
        messages.extend(exc.lines())
        pack, root, name = None, Path(spec), Path(spec).name
        env = make_environment([(name, root), *Engine(host=host).pack.template_roots()])
        if not root.is_dir():
            return messages
    broken = _lint_template_syntax(root, name, env, messages)
    _lint_images(root, name, messages)
    if pack is None:
        return messages
    try:
        engine.libraries  # noqa: B018 - built for its errors
    except TxplanError as exc:
        messages.extend(exc.lines())
        engine.libraries = dict(host.intervention_libraries)  # the rest is checked with the plugins' own
    _lint_sample_render(engine, sample_plan, broken, messages)
    return list(dict.fromkeys(messages))  # a fault seen by two steps is reported once


def _lint_template_syntax(root: Path, name: str, env: Any, messages: list[str]) -> set[str]:
    """Compile every template of the pack's own ``templates/`` folder; report each that does not
    compile (with its line) and return their names."""
    import jinja2

    broken: set[str] = set()
    own = root / "templates"
    for path in sorted(own.rglob("*.j2")) if own.is_dir() else []:
        template = path.relative_to(own).as_posix()
        try:
            env.get_template(template)
        except jinja2.TemplateSyntaxError as exc:
            broken.add(template)
            messages.append(str(Problem(f"pack '{name}' template {template}", exc.lineno, "", exc.message or "syntax error")))
        except Exception as exc:  # noqa: BLE001 - unreadable file, link, ...
            broken.add(template)
            messages.append(f"pack '{name}' template {template}: {exc}")
    return broken


def _lint_images(root: Path, name: str, messages: list[str]) -> None:
    """Report every image file in the pack that is unsafe to read or not a whole PNG or JPEG."""
    from .images import IMAGE_SUFFIXES, image_problem
    from .safe_paths import MAX_LOGO_BYTES, UnsafePackPath, read_inside

    for image in sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        try:
            data = read_inside(root, image.relative_to(root), MAX_LOGO_BYTES)
        except UnsafePackPath as exc:
            messages.append(f"template pack '{name}': {exc}")
            continue
        problem = image_problem(data) if data is not None else None
        if problem:
            messages.append(f"{image}: {problem}")


def _lint_sample_render(engine: Any, sample_plan: Path, broken: set[str], messages: list[str]) -> None:
    """Render each document kind (plan, review, discharge) of a sample plan section by section
    (skipping the ``broken`` templates), then through every output format, reporting what
    fails. The plan and the review come from the bundled example (which has a revision), the
    discharge summary from a bundled discharged plan."""
    from .contracts import RenderContext, RenderedDocument, Section
    from .documents import KINDS, kind_context

    pack, host = engine.pack, engine.host
    documents = []
    for kind in KINDS:
        try:
            kind_sections = pack.rendered_sections_for(kind)
        except TxplanError as exc:
            messages.extend(exc.lines())
            continue
        source = sample_plan if kind != "discharge" else Path(str(resources.files("txplan.examples").joinpath(DISCHARGED_SAMPLE)))
        plan = engine.load(source)
        context = kind_context(kind, plan, engine.context(plan), host.instruments)
        sections: list[Section] = []
        for section in kind_sections:
            if f"{section}.md.j2" in broken:
                continue
            try:
                text = engine.render_section(section, context, sum(len(s.markdown) for s in sections))
                if text.strip():
                    sections.append(Section(section, text))
            except TxplanError as exc:  # a missing template, a parent's broken one, a failing render
                messages.extend(exc.lines())
        documents.append(RenderedDocument(str(context["title"]), tuple(sections), RenderContext.of(context), pack.view))
    messages.extend(_unknown_settings(pack, host))
    for output_format in host.output_formats.values():
        if output_format.convert_many is not None:
            continue  # made by converting another format's output (PDF from Word), checked there
        try:
            state = output_format.prepare(pack.view) if output_format.prepare is not None else None
            # The sample plan goes through every format whole, so what fails only in a writer
            # (a control character a template produces, a logo Word cannot place) is found here.
            for document in documents:
                output_format.render_prepared(document, state)
        except TxplanError as exc:
            messages.extend(exc.lines())
        except Exception as exc:  # noqa: BLE001 - a format plugin's own failure, named
            messages.append(f"output format '{output_format.name}' failed on the sample plan: {type(exc).__name__}")


def _unknown_settings(pack: Any, host: Any) -> list[str]:
    """The pack's ``render.format`` and ``check.profile`` when no plugin provides them."""
    out = []
    fmt, profile = pack.setting("render", "format"), pack.setting("check", "profile")
    if host.output_format(fmt) is None:
        out.append(f"template pack '{pack.name}': render.format '{fmt}' is not an installed output format (see 'txplan plugins')")
    if profile not in host.payer_profiles:
        out.append(f"template pack '{pack.name}': check.profile '{profile}' is not an installed payer profile (see 'txplan plugins')")
    return out
