"""Business-time arithmetic for the 72-business-hour commitment. Pure: no database, no clock.

The rule: business hours are the whole 24 hours of working days, i.e. Monday to Friday
that are neither a public holiday of the agency's territory nor a closure day of the
agency, counted in the agency's time zone. Time on other days does not count; a mail
received on a non-working day starts counting at 00:00 of the next working day.

All arithmetic is done on UTC instants between local midnights, so a day that is 23 or
25 hours long (a DST change) counts for its real length; in France DST changes on
Sundays, so every working day is 24 hours long in practice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UTC = dt.UTC

# The `holidays` package's subdivisions of France (0.109) for each territory of ours.
# "57" (Moselle) carries the Alsace-Moselle calendar: Good Friday and 26 December; the
# overseas departments carry their abolition-of-slavery days (Guadeloupe also Good Friday
# and Mi-Carême, Martinique and Guadeloupe Victor Schœlcher day).
TERRITORY_SUBDIVISIONS: dict[str, str | None] = {
    "metropole": None,
    "alsace-moselle": "57",
    "guadeloupe": "971",
    "martinique": "972",
    "guyane": "973",
    "reunion": "974",
    "mayotte": "976",
}

TERRITORY_TIME_ZONES: dict[str, str] = {
    "metropole": "Europe/Paris",
    "alsace-moselle": "Europe/Paris",
    "guadeloupe": "America/Guadeloupe",
    "martinique": "America/Martinique",
    "guyane": "America/Cayenne",
    "reunion": "Indian/Reunion",
    "mayotte": "Indian/Mayotte",
}

# A calendar without a working day in this many days is a configuration error.
_MAX_SEARCH_DAYS = 3 * 366


@lru_cache(maxsize=256)
def territory_holidays(territory: str, year: int) -> dict[dt.date, str]:
    """The public holidays of a territory for one year, with their French names."""
    if territory not in TERRITORY_SUBDIVISIONS:
        raise ValueError(f"unknown territory: {territory!r}")
    found = holidays.France(subdiv=TERRITORY_SUBDIVISIONS[territory], years=year, language="fr")
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and time zone of one agency (or of a territory without closures)."""

    territory: str = "metropole"
    time_zone: str = ""
    closure_days: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.territory not in TERRITORY_SUBDIVISIONS:
            raise ValueError(f"unknown territory: {self.territory!r}")
        if not self.time_zone:
            object.__setattr__(self, "time_zone", TERRITORY_TIME_ZONES[self.territory])
        object.__setattr__(self, "closure_days", frozenset(self.closure_days))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def with_closures(self, days) -> BusinessCalendar:
        return BusinessCalendar(self.territory, self.time_zone, self.closure_days | set(days))

    def is_holiday(self, day: dt.date) -> bool:
        return day in territory_holidays(self.territory, day.year)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day) and day not in self.closure_days

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        for offset in range(_MAX_SEARCH_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day in this calendar")

    def midnight(self, day: dt.date) -> dt.datetime:
        """00:00 local of `day`, as an aware UTC instant."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz).astimezone(UTC)


def _require_aware(moment: dt.datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def business_deadline(
    received_at: dt.datetime, hours: float, calendar: BusinessCalendar
) -> dt.datetime:
    """The instant `hours` business hours after `received_at`, in the calendar's time zone.

    A deadline that ends exactly at the end of a working day is that day's 24:00, i.e.
    00:00 of the next day (received Saturday, 72 h: Thursday 00:00).
    """
    _require_aware(received_at, "received_at")
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = dt.timedelta(hours=hours)
    cursor = received_at.astimezone(UTC)
    day = cursor.astimezone(calendar.tz).date()
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
        cursor = calendar.midnight(day)
    while True:
        day_end = calendar.midnight(day + dt.timedelta(days=1))
        available = day_end - cursor
        if remaining <= available:
            return (cursor + remaining).astimezone(calendar.tz)
        remaining -= available
        day = calendar.next_working_day(day + dt.timedelta(days=1))
        cursor = calendar.midnight(day)


def business_time_between(
    start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar
) -> dt.timedelta:
    """The business time from `start` to `end` (negative when `end` comes first)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        return -business_time_between(end, start, calendar)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    total = dt.timedelta()
    while day <= last:
        if calendar.is_working_day(day):
            day_start = calendar.midnight(day)
            day_end = calendar.midnight(day + dt.timedelta(days=1))
            overlap = min(end, day_end) - max(start, day_start)
            if overlap > dt.timedelta():
                total += overlap
        day += dt.timedelta(days=1)
    return total


def business_hours_between(
    start: dt.datetime, end: dt.datetime, calendar: BusinessCalendar
) -> float:
    """The business hours from `start` to `end`, as a float (the reports' response time)."""
    return business_time_between(start, end, calendar) / dt.timedelta(hours=1)


def next_working_day_at(
    moment: dt.datetime, at: dt.time, calendar: BusinessCalendar
) -> dt.datetime:
    """`at` o'clock local on the first working day strictly after `moment`'s local day."""
    _require_aware(moment, "moment")
    local_day = moment.astimezone(calendar.tz).date()
    day = calendar.next_working_day(local_day + dt.timedelta(days=1))
    return dt.datetime.combine(day, at, tzinfo=calendar.tz)
