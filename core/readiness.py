"""The insurer-readiness check (``txplan check``, ``render --check``): run the rules a payer
profile selects over a valid plan and report every finding with its file, line, severity and
rule. (The rules themselves are plugins: ``plugins/checks/``.)"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from .contracts import CheckContext, PayerProfile, ScoreResult
from .errors import PluginError, Problem, UsageError
from .fieldpath import format_path
from .loader import Plan

DEFAULT_PROFILE = "commercial-default"


@dataclasses.dataclass(frozen=True)
class Checker:
    """A payer profile with its parameters and the date plans are judged at: what ``txplan
    check`` and ``render --check`` run over each plan."""

    profile: PayerProfile
    params: dict[str, Any]
    as_of: dt.date

    def run(self, engine: Any, plan: Plan, scores: Mapping[int, ScoreResult] | None = None) -> list[Problem]:
        """Every finding of the profile's rules on a valid ``plan`` (see :func:`run_checks`)."""
        return run_checks(engine, plan, self.profile, self.params, self.as_of, scores)


def checker_for(engine: Any, payer: str | None = None, as_of: dt.date | None = None) -> Checker:
    """The :class:`Checker` for ``engine``'s pack: the profile ``payer`` names (else the pack's,
    else the default), judging at ``as_of`` (else the engine's date, else today)."""
    profile, params = select_profile(engine, payer)
    return Checker(profile, params, as_of or engine.as_of or dt.date.today())


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


def run_checks(
    engine: Any, plan: Plan, profile: PayerProfile, params: dict[str, Any], as_of: dt.date, scores: Mapping[int, ScoreResult] | None = None
) -> list[Problem]:
    """Every finding of the profile's checks on a valid ``plan``, in line order, each a
    :class:`Problem` naming its ``rule``. ``scores`` (from :meth:`Engine.score`) are the plan's
    assessment results when the caller has them already; otherwise they are computed here."""
    results = dict(scores) if scores is not None else engine.score(plan)
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
            found.append(Problem(plan.source, plan.line_of(finding.path), format_path(finding.path), finding.message, level, rule))
    return sorted(found, key=lambda r: (r.line or 0, r.rule))
