"""Durations written in a plan (``every: 4 weeks``) and the dates they lead to.

A plan's schedule says how often something happens in the words a clinician writes: a whole
number and ``days``, ``weeks`` or ``months``. Months are calendar months: a month after 31
January is the last day of February, as a diary counts them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DURATION = re.compile(r"^([1-9][0-9]{0,2}) (day|days|week|weeks|month|months)$")


@dataclass(frozen=True)
class Duration:
    """``count`` days, weeks or months (``unit`` is ``day``, ``week`` or ``month``)."""

    count: int
    unit: str

    def after(self, start: dt.date) -> dt.date:
        """The date this long after ``start``."""
        if self.unit == "day":
            return start + dt.timedelta(days=self.count)
        if self.unit == "week":
            return start + dt.timedelta(weeks=self.count)
        months = start.month - 1 + self.count
        year, month = start.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'' if self.count == 1 else 's'}"


def parse_duration(text: object) -> Duration | None:
    """The duration ``text`` says (``"4 weeks"``), or ``None`` when it is not one."""
    if not isinstance(text, str):
        return None
    match = _DURATION.match(text)
    if match is None:
        return None
    return Duration(int(match.group(1)), match.group(2).rstrip("s"))
