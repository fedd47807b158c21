"""iCalendar invitations for the appointments proposed in a reply (pure, no database).

One VEVENT in a METHOD:REQUEST calendar, its times in the agency's time zone with the
matching VTIMEZONE, so that any calendar client (Outlook, Gmail, Apple, Thunderbird)
offers to add it and shows the right local hour whatever the reader's own zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//France Travail//Mailnet//FR"


@dataclass(frozen=True)
class Invitation:
    """Everything an invitation says; `start` is aware or local to `time_zone`."""

    uid: str
    start: dt.datetime
    duration: dt.timedelta
    time_zone: str
    summary: str
    organizer_address: str
    organizer_name: str
    attendee_address: str
    attendee_name: str = ""
    location: str = ""
    description: str = ""
    stamp: dt.datetime | None = None
    sequence: int = 0


def _address(address: str, name: str, **params) -> vCalAddress:
    value = vCalAddress(f"mailto:{address}")
    if name:
        value.params["CN"] = vText(name)
    for key, param in params.items():
        value.params[key.upper()] = vText(param)
    return value


def invitation_local_start(invitation: Invitation) -> dt.datetime:
    """The start in the agency's zone (a naive start is read as a local time there)."""
    zone = ZoneInfo(invitation.time_zone)
    start = invitation.start
    return start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)


def ics_invitation(invitation: Invitation) -> bytes:
    """The bytes of a `text/calendar; method=REQUEST` part for one appointment."""
    start = invitation_local_start(invitation)
    end = start + invitation.duration
    stamp = (invitation.stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    event = Event()
    event.add("uid", invitation.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", invitation.sequence)
    event.add("summary", invitation.summary)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(invitation.organizer_address, invitation.organizer_name))
    event.add(
        "attendee",
        _address(
            invitation.attendee_address,
            invitation.attendee_name,
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp="TRUE",
        ),
    )
    if invitation.location:
        event.add("location", invitation.location)
    if invitation.description:
        event.add("description", invitation.description)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    calendar.add_component(event)
    # The VTIMEZONE of every zone the event uses, computed from the tz database.
    calendar.add_missing_timezones()
    return calendar.to_ical()
