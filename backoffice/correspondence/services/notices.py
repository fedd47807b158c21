"""[sla] The texts of the sweep's mails, in French.

The holding notice comes from the published answer-repository template whose code (or
title) is MAILNET_SLA_HOLDING_TEMPLATE, rendered by the repository's `template_render`;
otherwise (none published, or a value missing) from the built-in text below. Placeholders: {{ prenom }}, {{ nom }}, {{ identifiant }}, {{ conseiller }},
{{ agence }}, {{ date_rdv }} (the scheduled contact) and {{ date_reception }}.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from answer_repository.models import AnswerTemplate
from answer_repository.placeholders import PLACEHOLDERS
from answer_repository.rendering import template_render

from ..sla import BusinessCalendar

logger = logging.getLogger(__name__)

_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip

BUILTIN_HOLDING_SUBJECT = "Votre message a bien été reçu"
BUILTIN_HOLDING_BODY = """Bonjour {{ prenom }} {{ nom }},

Nous avons bien reçu votre message du {{ date_reception }}.
Nous ne pourrons pas vous répondre dans le délai de 72 heures ouvrées que nous nous sommes fixé, et nous vous prions de nous en excuser.

{{ conseiller }} vous contactera le {{ date_rdv }}.

Ce message est envoyé automatiquement : il est inutile d'y répondre.

{{ agence }}
"""

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def french_datetime(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """ "jeudi 3 décembre 2026 à 10 h 30", in the time zone `tz` (the agency's)."""
    local = moment.astimezone(tz)
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} "
        f"à {local:%H} h {local:%M}"
    )


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), ""), text)


@dataclass
class HoldingTemplate:
    subject: str
    body: str
    source: str  # "answer_repository" or "builtin"
    template: AnswerTemplate | None = None

    @classmethod
    def load(cls) -> HoldingTemplate:
        """The published template of the answer repository, else the built-in text."""
        found = _published_template(settings.MAILNET_SLA_HOLDING_TEMPLATE)
        if found is not None:
            return found
        return cls(BUILTIN_HOLDING_SUBJECT, BUILTIN_HOLDING_BODY, "builtin")

    def render(self, *, thread, counsellor, contact_at, calendar) -> tuple[str, str]:
        person = thread.jobseeker
        values = {
            "prenom": person.first_name if person else "",
            "nom": person.last_name
            if person
            else (thread.employer.name if thread.employer else ""),
            "identifiant": person.identifier if person else "",
            "conseiller": (counsellor.full_name if counsellor else "") or "Votre conseiller",
            "agence": f"Agence {thread.agency.name}",
            "date_rdv": french_datetime(contact_at, calendar.tz),
            "date_reception": french_datetime(
                thread.awaiting_since or thread.last_message_at or contact_at, calendar.tz
            ),
        }
        body = _fill(self.body, values)
        if self.template is not None:
            rendered = template_render(
                template=self.template, context={k: values[k] for k in PLACEHOLDERS}
            )
            # An automatic mail never leaves with a gap: the built-in text is complete.
            body = rendered.text if rendered.is_complete else _fill(BUILTIN_HOLDING_BODY, values)
        body = re.sub(r"Bonjour\s+,", "Bonjour,", re.sub(r"[ \t]+", " ", body))
        subject = f"Re: {thread.subject}" if thread.subject else _fill(self.subject, values)
        return subject, body.strip() + "\n"


def _published_template(key: str) -> HoldingTemplate | None:
    """The published answer-repository template whose code (or title) is `key`, if any."""
    template = AnswerTemplate.objects.filter(live=True).filter(Q(code=key) | Q(title=key)).first()
    if template is None:
        return None
    return HoldingTemplate(BUILTIN_HOLDING_SUBJECT, "", "answer_repository", template=template)


def warning_text(*, thread, calendar: BusinessCalendar) -> tuple[str, str]:
    due = french_datetime(thread.due_at, calendar.tz)
    subject = f"[Mailnet] Échéance proche : {thread.subject or '(sans objet)'}"
    body = (
        "Bonjour,\n\n"
        f"Le fil « {thread.subject or '(sans objet)'} » de {thread.correspondent_address} "
        f"attend une réponse avant le {due}.\n"
        "Sans réponse 4 heures avant l'échéance, un message d'attente sera envoyé "
        "automatiquement et un nouveau contact sera programmé.\n\n"
        "Mailnet\n"
    )
    return subject, body


def manager_text(*, thread, refusal: str, contact_at, calendar) -> tuple[str, str]:
    due = french_datetime(thread.due_at, calendar.tz)
    sent = (
        f"Le message d'attente n'a pas été envoyé ({refusal})."
        if refusal
        else "Le message d'attente a été envoyé au correspondant."
    )
    subject = f"[Mailnet] Délai de réponse bientôt dépassé : {thread.subject or '(sans objet)'}"
    body = (
        "Bonjour,\n\n"
        f"Le fil « {thread.subject or '(sans objet)'} » ({thread.correspondent_address}) "
        f"n'a pas encore de réponse ; son échéance est le {due}.\n"
        f"{sent}\nUn nouveau contact est programmé le "
        f"{french_datetime(contact_at, calendar.tz)}.\n\nMailnet\n"
    )
    return subject, body


def contact_note(*, thread) -> str:
    return (
        "Programmé automatiquement : pas de réponse au courriel dans le délai de 72 heures "
        f"ouvrées (« {thread.subject or '(sans objet)'} »)."
    )
