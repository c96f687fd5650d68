"""The caseload page's rows: one summary per plan file in the folder, through the same load,
validate and check functions as the command line, cached until the file changes."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PlanError, TxplanError
from ..pipeline import Engine
from ..readiness import run_checks, select_profile
from .paths import plan_names


@dataclass(frozen=True)
class PlanSummary:
    """What the caseload shows for one plan file."""

    name: str
    readable: bool
    client: str = ""
    clinician: str = ""
    period: str = ""
    next_review: str = ""
    overdue: bool = False
    errors: int = 0
    warnings: int = 0
    findings: int | None = None
    #: Not read yet: the page shows the row as being read and asks again.
    pending: bool = False

    @property
    def valid(self) -> bool:
        """Whether the plan loads and validates without errors."""
        return self.readable and self.errors == 0


class Caseload:
    """The plans in one folder, summarised with one engine (the pack chosen at start)."""

    def __init__(self, root: Path, engine: Engine) -> None:
        """Summarise plans in ``root`` with ``engine``."""
        self.root = root
        self.engine = engine
        self._cache: dict[str, tuple[tuple[int, int, str], PlanSummary]] = {}
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def rows(self, wait: float, today: dt.date | None = None) -> tuple[list[PlanSummary], bool]:
        """The summaries known after waiting at most ``wait`` seconds for the plans being read
        (in a background thread), and whether every plan is summarised. A plan not read yet
        is a ``pending`` row: a large caseload's page comes at once and fills in as it is read."""
        today = today or dt.date.today()
        rows, complete = self._known(today)
        if not complete:
            with self._lock:
                if self._reader is None or not self._reader.is_alive():
                    self._reader = threading.Thread(target=self._read_all, args=(today,), name="txplan-caseload", daemon=True)
                    self._reader.start()
                reader = self._reader
            reader.join(timeout=wait)
            rows, complete = self._known(today)
        return rows, complete

    def _read_all(self, today: dt.date) -> None:
        try:
            self.summaries(today)
        except OSError:
            pass  # the folder went away while it was read: the page says so when it asks again

    def _known(self, today: dt.date) -> tuple[list[PlanSummary], bool]:
        rows, complete = [], True
        try:
            names = plan_names(self.root)
        except OSError:
            return [], True
        for name in names:
            key = self._key(name, today)
            with self._lock:
                cached = self._cache.get(name)
            if key is not None and cached is not None and cached[0] == key:
                rows.append(cached[1])
            elif key is not None:
                rows.append(PlanSummary(name, readable=True, pending=True))
                complete = False
        return rows, complete

    def _key(self, name: str, today: dt.date) -> tuple[int, int, str] | None:
        try:
            info = (self.root / name).stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, today.isoformat())

    def summaries(self, today: dt.date | None = None) -> list[PlanSummary]:
        """One summary per plan file, in name order; a file unchanged since the last call is
        not read again."""
        today = today or dt.date.today()
        rows = []
        for name in plan_names(self.root):
            path = self.root / name
            key = self._key(name, today)
            if key is None:
                continue
            with self._lock:
                cached = self._cache.get(name)
            if cached is None or cached[0] != key:
                cached = (key, self.summarise(path, today))
                with self._lock:
                    self._cache[name] = cached
            rows.append(cached[1])
        return rows

    def summarise(self, path: Path, today: dt.date) -> PlanSummary:
        """Load, validate and (if valid) check one plan file."""
        try:
            plan = self.engine.load(path)
        except PlanError:
            return PlanSummary(path.name, readable=False)
        data = plan.data
        problems = self.engine.validate(plan)
        errors = sum(p.severity == "error" for p in problems)
        findings = None
        if not errors:
            try:
                profile, params = select_profile(self.engine, None)
                findings = len(run_checks(self.engine, plan, profile, params, today))
            except TxplanError:
                findings = None
        review, overdue = "", False
        from ..due import next_review  # the same rule as `txplan due`

        try:
            upcoming = next_review(data, today)
        except (KeyError, TypeError, ValueError, AttributeError):  # an invalid plan's dates: shown as none
            upcoming = None
        if upcoming is not None:
            review, overdue = upcoming.isoformat(), upcoming < today
        period_part = block if isinstance(block := data.get("plan"), dict) else {}
        period = " to ".join(str(period_part[k]) for k in ("start_date", "end_date") if isinstance(period_part.get(k), str))
        return PlanSummary(
            path.name,
            True,
            client=_text(data, "client", "name"),
            clinician=_text(data, "clinician", "name"),
            period=period,
            next_review=review,
            overdue=overdue,
            errors=errors,
            warnings=len(problems) - errors,
            findings=findings,
        )


def _text(data: dict[str, Any], section: str, key: str) -> str:
    part = data.get(section)
    value = part.get(key) if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""
