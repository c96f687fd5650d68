"""How long one section's template may take to render: a pack's runaway loop is stopped.

The limit itself is enforced inside the template sandbox (:func:`txplan.template_limits.section_limits`);
this module only reads the setting, strictly, so that a limit that switched itself off can never
pass for one. It imports nothing heavy: an :class:`~txplan.pipeline.Engine` checks the setting
when it is created, before any template is compiled.
"""

from __future__ import annotations

import math

from .errors import UsageError

#: The default time one section may take to render, in seconds.
RENDER_SECONDS = 10.0
RENDER_SECONDS_ENV = "TXPLAN_RENDER_SECONDS"


def render_seconds_setting(seconds: float | None = None) -> float:
    """The time one section may take to render: ``seconds`` if given (0: no limit, for an
    integrator's own trusted packs), else ``$TXPLAN_RENDER_SECONDS``, else 10. Anything but a
    finite number of seconds (greater than 0, for the environment variable) is a
    :class:`~txplan.errors.UsageError`: a limit that silently switched itself off would be no limit."""
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
            raise UsageError(f"render_seconds must be a finite number of seconds, 0 or more (0: no limit), not {seconds!r}")
        return float(seconds)
    from .settings import seconds_from_environment

    return seconds_from_environment(RENDER_SECONDS_ENV, RENDER_SECONDS, "10 or 2.5")
