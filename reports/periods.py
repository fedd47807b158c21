"""Report periods: a day, an ISO week, a calendar month, or any custom range of days."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

PERIOD_KINDS = [
    ("day", _("jour")),
    ("week", _("semaine")),
    ("month", _("mois")),
    ("custom", _("personnalisée")),
]


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    kind: str = "custom"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def slug(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "day" or self.start == self.end:
            return f"{self.start:%Y-%m-%d}"
        if self.kind == "week":
            year, week, _day = self.start.isocalendar()
            return f"{year}-S{week:02d}"
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%d/%m/%Y}"
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls(day, day, "day")

    @classmethod
    def week(cls, day: dt.date) -> Period:
        monday = day - dt.timedelta(days=day.weekday())
        return cls(monday, monday + dt.timedelta(days=6), "week")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last), "month")

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """'2026-03' -> March 2026."""
        year, month = (int(part) for part in text.split("-"))
        return cls.month(year, month)

    @classmethod
    def of_kind(cls, kind: str, day: dt.date, end: dt.date | None = None) -> Period:
        if kind == "day":
            return cls.day(day)
        if kind == "week":
            return cls.week(day)
        if kind == "month":
            return cls.month(day.year, day.month)
        return cls(day, end or day, "custom")
