"""Insurer-readiness checks (``txplan check``): run the checks a payer profile selects over a
valid plan and report every finding with its file, line, severity and rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from .contracts import CheckContext, PayerProfile
from .errors import PluginError, UsageError
from .fieldpath import format_path
from .loader import Plan

DEFAULT_PROFILE = "commercial-default"


@dataclass(frozen=True)
class Reported:
    """A finding as printed: ``FILE:LINE: severity: rule: message``."""

    file: str
    line: int | None
    path: str
    severity: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        subject = f"{self.path}: " if self.path else ""
        return f"{where}: {self.severity}: {self.rule}: {subject}{self.message}"

    def as_json(self) -> dict[str, Any]:
        """The finding as ``txplan check --json`` prints it."""
        return asdict(self)


def select_profile(engine: Any, requested: str | None) -> tuple[PayerProfile, dict[str, Any]]:
    """The profile to judge by (``--payer``, else the pack's ``check.profile``, else
    commercial-default) and its parameters, with the pack's overrides."""
    setting: dict[str, Any] = {}
    for pack in reversed(engine.pack.chain()):
        setting.update(pack.manifest.get("check", {}))
    profile_id = requested or setting.get("profile") or DEFAULT_PROFILE
    profile = engine.host.payer_profiles.get(profile_id)
    if profile is None:
        raise UsageError(f"unknown payer profile '{profile_id}' (available: {', '.join(sorted(engine.host.payer_profiles))})")
    return profile, {**profile.params, **setting.get("params", {})}


def run_checks(engine: Any, plan: Plan, profile: PayerProfile, params: dict[str, Any], as_of: dt.date) -> list[Reported]:
    """Every finding of the profile's checks on a valid ``plan``, in line order. A discharged plan
    is judged as of its discharge date when that is earlier: nothing falls due after treatment ended."""
    discharged = (plan.data.get("discharge") or {}).get("date")
    if isinstance(discharged, str) and discharged < as_of.isoformat():
        as_of = dt.date.fromisoformat(discharged)
    results = {}
    for index, assessment in enumerate(plan.data.get("assessments") or []):
        instrument = engine.host.instruments.get(assessment.get("instrument"))
        if instrument is not None:
            results[index] = instrument.score(assessment)
    context = CheckContext(plan, as_of, params, engine.host.instruments, engine.libraries, results)
    found = []
    for rule, severity in profile.rules.items():
        check = engine.host.checks.get(rule)
        if check is None or severity == "off":
            continue
        try:
            findings = list(check.run(context))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - a check's failure (even sys.exit) is reported with its name
            owner = engine.host.plugin_of(check)
            who = f" from plugin {owner.label}" if owner else ""
            raise PluginError(f"check '{rule}'{who} failed: {type(exc).__name__}") from exc
        for finding in findings:
            level = "warning" if "warning" in (severity, finding.severity) else "error"
            found.append(Reported(plan.source, plan.line_of(finding.path), format_path(finding.path), level, rule, finding.message))
    return sorted(found, key=lambda r: (r.line or 0, r.rule))
