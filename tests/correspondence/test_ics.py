"""[inbox] The iCalendar invitation, parsed back with the icalendar package (pure)."""

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar

from backoffice.correspondence.ics import Invitation, ics_invitation


def invitation(**kwargs):
    values = {
        "uid": "rdv-1@mailnet.test",
        "start": dt.datetime(2026, 3, 29, 9, 0),  # the morning after the switch to summer time
        "duration": dt.timedelta(minutes=30),
        "time_zone": "Europe/Paris",
        "summary": "Rendez-vous avec Anne Dupont (France Travail)",
        "organizer_address": "anne.dupont@mailnet.test",
        "organizer_name": "Anne Dupont – Lyon Part-Dieu",
        "attendee_address": "camille@example.org",
        "attendee_name": "Camille Martin",
        "stamp": dt.datetime(2026, 3, 20, 8, tzinfo=dt.UTC),
    }
    return Invitation(**{**values, **kwargs})


def parse(data: bytes):
    calendar = Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_a_request_with_one_event_its_time_zone_and_its_people():
    calendar, event = parse(ics_invitation(invitation()))
    assert calendar["METHOD"] == "REQUEST" and calendar["VERSION"] == "2.0"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2026, 3, 29, 9, tzinfo=ZoneInfo("Europe/Paris"))
    assert start.utcoffset() == dt.timedelta(hours=2)  # summer time already
    assert event.decoded("DTEND") == start + dt.timedelta(minutes=30)
    assert event.decoded("DTSTAMP") == dt.datetime(2026, 3, 20, 8, tzinfo=dt.UTC)
    assert str(event["UID"]) == "rdv-1@mailnet.test"
    assert str(event["ORGANIZER"]) == "mailto:anne.dupont@mailnet.test"
    assert event["ORGANIZER"].params["CN"] == "Anne Dupont – Lyon Part-Dieu"
    assert str(event["ATTENDEE"]) == "mailto:camille@example.org"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert "LOCATION" not in event


def test_an_aware_start_is_expressed_in_the_agency_zone():
    start = dt.datetime(2026, 12, 3, 6, 30, tzinfo=dt.UTC)
    _, event = parse(ics_invitation(invitation(start=start, time_zone="America/Cayenne")))
    local = event.decoded("DTSTART")
    assert str(local.tzinfo) == "America/Cayenne" and local.hour == 3 and local == start
    assert b"TZID=America/Cayenne" in ics_invitation(
        invitation(start=start, time_zone="America/Cayenne")
    )


def test_location_and_description_are_escaped_text():
    data = ics_invitation(
        invitation(location="Agence; 3, rue du Port", description="Appel au 06 00 00 00 00\nMerci")
    )
    _, event = parse(data)
    assert str(event["LOCATION"]) == "Agence; 3, rue du Port"
    assert str(event["DESCRIPTION"]) == "Appel au 06 00 00 00 00\nMerci"
