"""``txplan serve``: a local web app over a folder of plans (a caseload).

The app is a thin layer over txplan's Python API: plans are loaded, validated, scored, checked and
rendered by the same code the command line uses, and saved through :mod:`txplan.output`. Its
optional dependencies (Starlette, uvicorn, python-multipart, ruamel.yaml) come with the
``txplan[serve]`` extra; :func:`missing_dependencies` names any that are absent.
"""

from __future__ import annotations

import importlib.util

#: The import name and the distribution to install, for each optional dependency.
DEPENDENCIES = {"starlette": "starlette", "uvicorn": "uvicorn", "multipart": "python-multipart", "ruamel.yaml": "ruamel.yaml"}


def missing_dependencies() -> list[str]:
    """The distributions ``txplan serve`` needs that are not installed (empty when all are)."""
    missing = []
    for module, distribution in DEPENDENCIES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package (ruamel) is missing
            found = False
        if not found:
            missing.append(distribution)
    return missing
