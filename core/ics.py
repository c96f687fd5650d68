"""An iCalendar file (RFC 5545) of what is due across a caseload, for a practice's calendar.

Events carry no clinical content: the client's initials and what is due ("A.D.-O.: plan
review", "A.D.-O.: PHQ-9 reassessment"), nothing else — no names, diagnoses, scores or notes.
Something overdue is placed on the day the list was made, saying since when it is due. The
``icalendar`` library is imported here only (``pip install 'txplan[calendar]'``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from .errors import UsageError

#: The words an event uses for each kind of item.
_WHAT = {"review": "plan review", "plan_end": "plan period ends"}


def caseload_calendar(due: Mapping[str, Any]) -> bytes:
    """The iCalendar bytes for a :func:`txplan.due.caseload` result: one all-day event per
    dated item of each listed plan. The same data gives the same bytes (stable UIDs and stamp),
    so a calendar that re-imports the file updates events instead of doubling them."""
    try:
        import icalendar
    except ImportError:
        raise UsageError("--ics needs the icalendar library: pip install 'txplan[calendar]'") from None
    as_of = dt.date.fromisoformat(due["as_of"])
    stamp = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.timezone.utc)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//txplan//due//EN")
    calendar.add("version", "2.0")
    for plan in due["plans"]:
        for item in plan["items"]:
            date = dt.date.fromisoformat(item["date"])
            what = _WHAT.get(item["kind"], f"{item['what']} reassessment")
            if item["overdue"]:
                what += f" (due since {item['date']})"
                date = as_of
            event = icalendar.Event()
            event.add("uid", _uid(plan["file"], item))
            event.add("dtstamp", stamp)
            event.add("dtstart", date)
            event.add("dtend", date + dt.timedelta(days=1))
            event.add("summary", f"{plan['initials']}: {what}")
            event.add("class", "PRIVATE")
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()


def _uid(file: str, item: Mapping[str, Any]) -> str:
    """A stable id that reveals nothing: a hash of the plan's file name and the item."""
    digest = hashlib.sha256("\0".join((file, item["kind"], item["what"])).encode("utf-8")).hexdigest()
    return f"{digest[:32]}@txplan.invalid"
