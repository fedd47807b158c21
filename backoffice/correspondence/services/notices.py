"""[sla] The texts of the sweep's mails, in French.

The holding notice comes from the published answer-repository template named by
MAILNET_SLA_HOLDING_TEMPLATE when that package provides one; otherwise from the built-in
text below. Placeholders: {{ prenom }}, {{ nom }}, {{ identifiant }}, {{ conseiller }},
{{ agence }}, {{ date_rdv }} (the scheduled contact) and {{ date_reception }}.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.utils.html import strip_tags

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


def french_datetime(moment: dt.datetime, calendar: BusinessCalendar) -> str:
    local = moment.astimezone(calendar.tz)
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
            "nom": person.last_name if person else (thread.employer.name if thread.employer else ""),
            "identifiant": person.identifier if person else "",
            "conseiller": (counsellor.full_name if counsellor else "") or "Votre conseiller",
            "agence": f"Agence {thread.agency.name}",
            "date_rdv": french_datetime(contact_at, calendar),
            "date_reception": french_datetime(
                thread.awaiting_since or thread.last_message_at or contact_at, calendar
            ),
        }
        body = _fill(self.body, values)
        body = re.sub(r"Bonjour\s+,", "Bonjour,", re.sub(r"[ \t]+", " ", body))
        subject = f"Re: {thread.subject}" if thread.subject else _fill(self.subject, values)
        return subject, body.strip() + "\n"


def _published_template(title: str) -> HoldingTemplate | None:
    """Looks the holding template up in answer_repository, if that package has one yet."""
    try:
        model = apps.get_model("answer_repository", "AnswerTemplate")
    except LookupError:
        return None
    try:
        queryset = model._default_manager.filter(title=title)
        if hasattr(model, "live"):
            queryset = queryset.filter(live=True)
        template = queryset.first()
        if template is None:
            return None
        revision = getattr(template, "live_revision", None)
        if revision is not None:
            template = revision.as_object()
        body = strip_tags(str(template.body)).strip()
        if not body:
            return None
        return HoldingTemplate(BUILTIN_HOLDING_SUBJECT, body, "answer_repository")
    except Exception:  # the repository is another package's: never let it stop the sweep
        logger.exception("holding template %r could not be read; built-in text used", title)
        return None


def warning_text(*, thread, calendar: BusinessCalendar) -> tuple[str, str]:
    due = french_datetime(thread.due_at, calendar)
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
    due = french_datetime(thread.due_at, calendar)
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
        f"{french_datetime(contact_at, calendar)}.\n\nMailnet\n"
    )
    return subject, body


def contact_note(*, thread) -> str:
    return (
        "Programmé automatiquement : pas de réponse au courriel dans le délai de 72 heures "
        f"ouvrées (« {thread.subject or '(sans objet)'} »)."
    )
