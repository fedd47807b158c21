"""The words of an outgoing mail (pure): the editor's HTML made safe, its text version,
the sentence that states a proposed appointment, and the footer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from answer_repository.placeholders import gaps_find, html_to_text

from ...models import ScheduledContact
from ..notices import french_datetime
from .mime import reply_html_sanitise, text_to_html


@dataclass(frozen=True)
class Appointment:
    """A contact proposed in a reply; `starts_at` is aware (the form reads the agency's zone)."""

    channel: str  # ScheduledContact.Channel
    starts_at: dt.datetime
    duration: dt.timedelta = dt.timedelta(minutes=30)
    location: str = ""  # the agency's address, for a meeting at the agency
    details: str = ""  # the number to be called on, or the video link


def appointment_when(*, appointment: Appointment, time_zone: str) -> str:
    """ "jeudi 3 décembre 2026 à 10 h 30", in the agency's time zone and in French."""
    return french_datetime(appointment.starts_at, ZoneInfo(time_zone))


CHANNEL_SENTENCES = {
    ScheduledContact.Channel.PHONE: gettext_lazy(
        "Rendez-vous téléphonique le %(when)s : votre conseiller vous appellera%(details)s."
    ),
    ScheduledContact.Channel.VIDEO: gettext_lazy(
        "Rendez-vous en visioconférence le %(when)s%(details)s."
    ),
    ScheduledContact.Channel.AGENCY: gettext_lazy("Rendez-vous à l'agence le %(when)s%(details)s."),
}


def appointment_text(*, appointment: Appointment, agency) -> str:
    """The sentence added to the mail (and the invitation's description)."""
    when = appointment_when(appointment=appointment, time_zone=agency.time_zone)
    with translation.override("fr"):
        if appointment.channel == ScheduledContact.Channel.PHONE:
            details = (
                _(" au %(number)s") % {"number": appointment.details} if appointment.details else ""
            )
        elif appointment.channel == ScheduledContact.Channel.VIDEO:
            details = (
                _(" ; lien de connexion : %(link)s") % {"link": appointment.details}
                if appointment.details
                else ""
            )
        else:
            place = appointment.location or agency.name
            details = _(", %(place)s") % {"place": place}
        minutes = int(appointment.duration.total_seconds() // 60)
        sentence = str(CHANNEL_SENTENCES[appointment.channel]) % {"when": when, "details": details}
        return sentence + " " + _("Durée prévue : %(minutes)d minutes.") % {"minutes": minutes}


@dataclass(frozen=True)
class MailContent:
    """The text and HTML of a mail as the correspondent will read them."""

    text: str
    html: str
    appointment_sentence: str = ""

    @property
    def problems(self) -> list[str]:
        """Why it may not be sent yet: empty, or placeholders left to fill."""
        if not self.text.strip():
            return [_("Le message est vide.")]
        gaps = gaps_find(self.text)
        if gaps:
            return [_("Des champs restent à compléter : %(names)s.") % {"names": ", ".join(gaps)}]
        return []


def mail_content(
    *, body_html: str, agency, appointment: Appointment | None = None, footer: str = ""
) -> MailContent:
    """The editor's HTML sanitised, its text version, the appointment sentence, the footer."""
    html = reply_html_sanitise(body_html)
    text = html_to_text(html)
    sentence = ""
    if appointment is not None:
        sentence = appointment_text(appointment=appointment, agency=agency)
        text += "\n\n" + sentence
        html += text_to_html(sentence)
    if footer:
        text += "\n\n-- \n" + footer
        html += "<hr>" + text_to_html(footer)
    return MailContent(text=text, html=html, appointment_sentence=sentence)


def placeholder_context(*, thread, sender) -> dict:
    """The answer templates' placeholders, filled from the thread and the counsellor."""
    jobseeker, employer = thread.jobseeker, thread.employer
    return {
        "prenom": jobseeker.first_name if jobseeker else None,
        "nom": jobseeker.last_name if jobseeker else (employer.name if employer else None),
        "identifiant": jobseeker.identifier if jobseeker else None,
        "conseiller": sender.full_name,
        "agence": sender.agency.name,
        "date_rdv": None,
    }
