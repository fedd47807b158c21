"""The business-time clock: examples worked by hand, then properties.

Every expected deadline below was counted on a calendar by hand (hours left on the day
received, then whole working days), never computed by the code under test.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.correspondence.sla import (
    TERRITORY_SUBDIVISIONS,
    BusinessCalendar,
    business_deadline,
    business_hours_between,
    next_working_day_at,
    territory_holidays,
)

METROPOLE = BusinessCalendar("metropole")
ALSACE = BusinessCalendar("alsace-moselle")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


HAND_WORKED = [
    # (calendar, received, expected deadline, why)
    (
        METROPOLE,
        "2026-03-06T15:00+01:00",
        "2026-03-11T15:00+01:00",
        "Friday afternoon: Fri 9 h, Mon, Tue, Wed 15 h",
    ),
    (
        METROPOLE,
        "2026-03-07T10:00+01:00",
        "2026-03-12T00:00+01:00",
        "Saturday: counts from Monday 00:00",
    ),
    (
        METROPOLE,
        "2026-03-08T23:59+01:00",
        "2026-03-12T00:00+01:00",
        "Sunday night: counts from Monday 00:00",
    ),
    (METROPOLE, "2026-03-09T00:00+01:00", "2026-03-12T00:00+01:00", "Monday 00:00 sharp"),
    (
        METROPOLE,
        "2026-03-11T09:30+01:00",
        "2026-03-16T09:30+01:00",
        "Wednesday morning over a weekend",
    ),
    (
        METROPOLE,
        "2026-04-02T11:00+02:00",
        "2026-04-08T11:00+02:00",
        "Easter Monday skipped; Good Friday works in métropole",
    ),
    (
        ALSACE,
        "2026-04-02T11:00+02:00",
        "2026-04-09T11:00+02:00",
        "Alsace-Moselle: Good Friday and Easter Monday skipped",
    ),
    (
        METROPOLE,
        "2025-12-24T10:00+01:00",
        "2025-12-30T10:00+01:00",
        "Christmas Thursday skipped, 26 December works",
    ),
    (
        ALSACE,
        "2025-12-24T10:00+01:00",
        "2025-12-31T10:00+01:00",
        "Alsace-Moselle: 25 and 26 December skipped",
    ),
    (
        METROPOLE,
        "2025-12-30T16:00+01:00",
        "2026-01-05T16:00+01:00",
        "year boundary: 1 January skipped",
    ),
    (METROPOLE, "2026-05-13T10:00+02:00", "2026-05-19T10:00+02:00", "Ascension Thursday skipped"),
    (METROPOLE, "2026-04-30T12:00+02:00", "2026-05-06T12:00+02:00", "1 May (a Friday) skipped"),
    (
        METROPOLE,
        "2026-03-27T15:00+01:00",
        "2026-04-01T15:00+02:00",
        "DST starts on the Sunday: still Wed 15:00 local",
    ),
    (
        METROPOLE,
        "2026-10-23T15:00+02:00",
        "2026-10-28T15:00+01:00",
        "DST ends on the Sunday: still Wed 15:00 local",
    ),
    (
        BusinessCalendar("mayotte"),
        "2026-04-24T08:00+03:00",
        "2026-04-30T08:00+03:00",
        "Mayotte: abolition day Monday 27 April skipped, in Indian/Mayotte",
    ),
    (
        BusinessCalendar("guadeloupe"),
        "2026-05-26T12:00-04:00",
        "2026-06-01T12:00-04:00",
        "Guadeloupe: abolition day Wednesday 27 May skipped",
    ),
    (
        BusinessCalendar("martinique"),
        "2026-05-21T18:00-04:00",
        "2026-05-28T18:00-04:00",
        "Martinique: abolition day Friday 22 May and Whit Monday skipped",
    ),
    (
        BusinessCalendar("guyane"),
        "2026-06-09T09:00-03:00",
        "2026-06-15T09:00-03:00",
        "Guyane: abolition day Wednesday 10 June skipped",
    ),
    (
        METROPOLE,
        "2026-03-06T23:30Z",
        "2026-03-12T00:00+01:00",
        "UTC Friday 23:30 is Saturday in Paris",
    ),
    (
        BusinessCalendar("reunion"),
        "2026-03-08T21:00Z",
        "2026-03-12T01:00+04:00",
        "UTC Sunday 21:00 is Monday 01:00 in La Réunion",
    ),
    (
        BusinessCalendar("guadeloupe"),
        "2026-03-07T02:00Z",
        "2026-03-11T22:00-04:00",
        "UTC Saturday 02:00 is still Friday 22:00 in Guadeloupe",
    ),
    (
        BusinessCalendar("metropole", closure_days=frozenset({dt.date(2026, 3, 9)})),
        "2026-03-06T15:00+01:00",
        "2026-03-12T15:00+01:00",
        "agency closed on Monday 9 March",
    ),
]


@pytest.mark.parametrize(
    ("calendar", "received", "expected", "why"), HAND_WORKED, ids=[c[3] for c in HAND_WORKED]
)
def test_deadline_worked_by_hand(calendar, received, expected, why):
    deadline = business_deadline(at(received), 72, calendar)
    assert deadline == at(expected)
    assert deadline.utcoffset() == at(expected).utcoffset(), "given in the agency's time zone"


@pytest.mark.parametrize(
    ("calendar", "start", "end", "hours"),
    [
        (METROPOLE, "2026-03-06T15:00+01:00", "2026-03-09T10:00+01:00", 19),
        (METROPOLE, "2026-03-07T08:00+01:00", "2026-03-08T20:00+01:00", 0),
        (METROPOLE, "2026-03-06T15:00+01:00", "2026-03-11T15:00+01:00", 72),
        (ALSACE, "2026-04-02T12:00+02:00", "2026-04-07T06:00+02:00", 18),
        (METROPOLE, "2026-03-09T10:00+01:00", "2026-03-06T15:00+01:00", -19),
    ],
)
def test_business_hours_between_worked_by_hand(calendar, start, end, hours):
    assert business_hours_between(at(start), at(end), calendar) == hours


def test_territory_calendars_carry_their_own_days():
    assert dt.date(2026, 4, 3) in territory_holidays("alsace-moselle", 2026)
    assert dt.date(2025, 12, 26) in territory_holidays("alsace-moselle", 2025)
    assert dt.date(2026, 4, 3) not in territory_holidays("metropole", 2026)
    assert dt.date(2026, 12, 20) in territory_holidays("reunion", 2026)
    assert dt.date(2026, 5, 27) in territory_holidays("guadeloupe", 2026)
    assert dt.date(2026, 5, 22) in territory_holidays("martinique", 2026)
    assert dt.date(2026, 6, 10) in territory_holidays("guyane", 2026)
    assert dt.date(2026, 4, 27) in territory_holidays("mayotte", 2026)
    assert territory_holidays("metropole", 2026)[dt.date(2026, 7, 14)] == "Fête nationale"


def test_next_contact_is_on_the_next_working_day():
    # Friday 3 April 2026 in Alsace-Moselle: Good Friday... the next working day is Tuesday 7.
    moment = at("2026-04-02T16:00+02:00")
    assert next_working_day_at(moment, dt.time(10), ALSACE) == at("2026-04-07T10:00+02:00")


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        business_deadline(dt.datetime(2026, 3, 6, 15), 72, METROPOLE)


# --- properties ---------------------------------------------------------------------------

calendars = st.builds(
    BusinessCalendar,
    territory=st.sampled_from(sorted(TERRITORY_SUBDIVISIONS)),
    closure_days=st.frozensets(
        st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2027, 2, 1)), max_size=5
    ),
)
instants = st.datetimes(
    min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)
)
hour_counts = st.integers(min_value=0, max_value=200)


@settings(max_examples=150, deadline=None)
@given(received=instants, hours=hour_counts, calendar=calendars)
def test_deadline_is_never_before_received_plus_the_hours(received, hours, calendar):
    assert business_deadline(received, hours, calendar) >= received + dt.timedelta(hours=hours)


@settings(max_examples=150, deadline=None)
@given(
    received=instants, calendar=calendars, extra=st.dates(dt.date(2025, 12, 1), dt.date(2027, 2, 1))
)
def test_adding_a_holiday_never_makes_the_deadline_earlier(received, calendar, extra):
    before = business_deadline(received, 72, calendar)
    assert business_deadline(received, 72, calendar.with_closures({extra})) >= before


@settings(max_examples=150, deadline=None)
@given(received=instants, hours=hour_counts, calendar=calendars)
def test_business_hours_between_received_and_deadline_is_the_hours(received, hours, calendar):
    deadline = business_deadline(received, hours, calendar)
    assert business_hours_between(received, deadline, calendar) == hours


@settings(max_examples=50, deadline=None)
@given(received=instants, calendar=calendars)
def test_deadline_is_given_in_the_agency_time_zone(received, calendar):
    deadline = business_deadline(received, 72, calendar)
    assert deadline.tzinfo == ZoneInfo(calendar.time_zone)
