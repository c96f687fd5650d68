"""The check for a renewed plan: what `txplan renew` carried forward and the clinician must still
decide (baselines, target dates, the medical-necessity statement...), each at its field."""

from __future__ import annotations

import re
from collections.abc import Iterator

from txplan import hookimpl
from txplan.contracts import Check, CheckContext, Finding

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _path(text: str) -> tuple[str | int, ...]:
    """``goals[0].objectives[1].baseline`` -> ``("goals", 0, "objectives", 1, "baseline")``."""
    return tuple(int(index) if index else name for name, index in _STEP.findall(text))


def renewal_to_decide(ctx: CheckContext) -> Iterator[Finding]:
    """Each entry of ``renewal.to_decide``, reported at the field it names."""
    renewal = ctx.data.get("renewal")
    if not isinstance(renewal, dict):
        return
    for index, item in enumerate(renewal.get("to_decide") or []):
        if isinstance(item, dict):
            path = _path(str(item.get("path", "")))
            where = path if ctx.plan.line_of(path) is not None and path else ("renewal", "to_decide", index)
            yield Finding(where, f"to decide after renewal: {item.get('what')} (then remove renewal.to_decide[{index}])")


CHECKS = [
    Check(
        "renewal-to-decide",
        "A renewed plan is the clinician's updated plan, not a copy: what was carried forward is confirmed or changed.",
        "National Government Services, CERT 'Psychiatry and Psychology Services' (ngsmedicare.com article 216639): "
        "an updated treatment plan with a periodic summary of goals and progress",
        renewal_to_decide,
    ),
]


@hookimpl
def register_checks(register):
    """Register the renewal check."""
    for check in CHECKS:
        register(check)
