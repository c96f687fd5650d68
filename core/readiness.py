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
    """The profile to judge by (``--payer``, else the ``check.profile`` the pack or the packs it
    extends name, else the pack schema's default) and its parameters, with the pack's overrides.
    A profile that names a rule no plugin provides is a :class:`PluginError` (exit 3) naming the
    profile and its plugin: a rule skipped silently would pass plans it was meant to judge."""
    setting: dict[str, Any] = {}
    for pack in reversed(engine.pack.chain()):
        setting.update(pack.manifest.get("check", {}))
    profile_id = requested or engine.pack.setting("check", "profile")
    profile = engine.host.payer_profiles.get(profile_id)
    if profile is None:
        raise UsageError(f"unknown payer profile '{profile_id}' (available: {', '.join(sorted(engine.host.payer_profiles))})")
    refuse_unknown_rules(engine.host, profile)
    return profile, {**profile.params, **setting.get("params", {})}


def refuse_unknown_rules(host: Any, profile: PayerProfile) -> None:
    """A :class:`PluginError` naming the profile, its plugin and every rule id it names that no
    plugin provides (a misspelt or uninstalled rule), or nothing when all are provided."""
    unknown = host.unknown_rules(profile)
    if unknown:
        owner = host.plugin_of(profile)
        who = f" from plugin {owner.label}" if owner else ""
        raise PluginError(
            f"payer profile '{profile.id}'{who} names rules no plugin provides: {', '.join(unknown)}; "
            "'txplan plugins' lists the rules installed"
        )


def run_checks(
    engine: Any, plan: Plan, profile: PayerProfile, params: Mapping[str, Any], as_of: dt.date, scores: Mapping[int, ScoreResult] | None = None
) -> list[Problem]:
    """Every finding of the profile's checks on a valid ``plan``, in line order, each a
    :class:`Problem` naming its ``rule``. ``scores`` (from :meth:`Engine.score`) are the plan's
    assessment results when the caller has them already; otherwise they are computed here. A
    discharged plan is judged as of its discharge date when that is earlier: nothing falls due
    after treatment ended."""
    discharged = (plan.data.get("discharge") or {}).get("date")
    if isinstance(discharged, str) and discharged < as_of.isoformat():
        as_of = dt.date.fromisoformat(discharged)
    results = dict(scores) if scores is not None else engine.score(plan)
    context = CheckContext(plan, as_of, params, engine.host.instruments, engine.libraries, results)
    refuse_unknown_rules(engine.host, profile)
    found = []
    for rule, severity in profile.rules.items():
        if severity == "off":
            continue
        check = engine.host.checks[rule]
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
