"""txplan's built-in plugins: output formats, template packs, instruments, intervention
libraries, checks and payer profiles, each a module registered like any third-party plugin."""

#: The built-in plugin modules, in the order they are registered. The core finds this list
#: through txplan's own ``txplan.builtin`` entry point (see ``pyproject.toml``).
BUILTIN_PLUGINS = (
    "txplan.plugins.formats.markdown",
    "txplan.plugins.formats.docx",
    "txplan.plugins.formats.html",
    "txplan.plugins.formats.pdf",
    "txplan.plugins.packs.default_pack",
    "txplan.plugins.packs.example_packs",
    "txplan.plugins.instruments.ecr_r",
    "txplan.plugins.instruments.ecr_rs",
    "txplan.plugins.instruments.rq",
    "txplan.plugins.instruments.aai",
    "txplan.plugins.instruments.phq9",
    "txplan.plugins.instruments.gad7",
    "txplan.plugins.interventions.attachment_based",
    "txplan.plugins.interventions.cbt",
    "txplan.plugins.interventions.mindfulness",
    "txplan.plugins.checks.payer_rules",
    "txplan.plugins.checks.clinical_record",
    "txplan.plugins.checks.discharge",
    "txplan.plugins.checks.renewal",
    "txplan.plugins.checks.profiles",
)
