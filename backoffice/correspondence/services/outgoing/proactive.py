"""Proactive mail: a counsellor writes first, to one jobseeker or a selection of their caseload.

Each recipient gets an individual mail on a new thread of their own, never a shared To or
Cc; recipients without a valid address are returned, for the screen to list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.caseloads.models import Jobseeker
from backoffice.organisation import access
from backoffice.organisation.models import Counsellor

from ...models import Message, Thread, ThreadEvent
from ...subjects import subject_normalise, subject_with_token, thread_token_new
from .content import Appointment
from .mime import OutgoingFile
from .queue import address_is_valid, mail_queue, sender_for


@dataclass
class ProactiveResult:
    messages: list[Message] = field(default_factory=list)
    skipped: list[Jobseeker] = field(default_factory=list)


@transaction.atomic
def proactive_queue(
    *,
    author,
    jobseekers,
    subject: str,
    body_html: str,
    idempotency_key: str,
    attachments: list[OutgoingFile] | None = None,
    appointment: Appointment | None = None,
) -> ProactiveResult:
    """One individual mail, on a new thread, to each jobseeker of the author's caseload.

    Never a shared To or Cc. Jobseekers without a valid address are returned in `skipped`
    (the screen lists them). The same key again returns the mails already queued.
    PermissionDenied if a jobseeker is not followed by the author.
    """
    sender = sender_for(author)
    jobseekers = list(jobseekers)
    writable = set(
        access.scope_queryset(
            Jobseeker.objects.filter(pk__in=[j.pk for j in jobseekers]), author, write=True
        ).values_list("pk", flat=True)
    )
    if any(j.pk not in writable for j in jobseekers):
        raise PermissionDenied(_("Certains destinataires ne sont pas dans votre portefeuille."))
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError(_("L'objet est obligatoire."))
    result = ProactiveResult()
    keys = {jobseeker.pk: f"{idempotency_key[:40]}:{jobseeker.pk}" for jobseeker in jobseekers}
    # Sent already (double click, resubmission): one query for the whole selection.
    sent = Message.objects.in_bulk(list(keys.values()), field_name="idempotency_key")
    for jobseeker in sorted(jobseekers, key=lambda j: (j.last_name, j.first_name, j.pk)):
        key = keys[jobseeker.pk]
        existing = sent.get(key)
        if existing is not None:
            result.messages.append(existing)
            continue
        if not address_is_valid(jobseeker.email):
            result.skipped.append(jobseeker)
            continue
        thread = _proactive_thread_create(sender=sender, jobseeker=jobseeker, subject=subject)
        message, _created = mail_queue(
            thread=thread,
            sender=sender,
            author=author,
            subject=subject_with_token(subject, thread.token),
            body_html=body_html,
            attachments=attachments or [],
            idempotency_key=key,
            parent=None,
            appointment=appointment,
            footer_text="",
        )
        ThreadEvent.objects.create(
            thread=thread,
            kind=ThreadEvent.Kind.REPLIED,
            at=message.received_at,
            actor=author,
            from_counsellor=sender,
            note=_("Courriel à l'initiative du conseiller"),
        )
        result.messages.append(message)
    return result


def _proactive_thread_create(*, sender: Counsellor, jobseeker: Jobseeker, subject: str) -> Thread:
    for attempt in range(3):
        try:
            with transaction.atomic():
                return Thread.objects.create(
                    counsellor=sender,
                    agency=sender.agency,
                    jobseeker=jobseeker,
                    correspondent_address=jobseeker.email,
                    subject=subject[:998],
                    normalised_subject=subject_normalise(subject),
                    token=thread_token_new(),
                    status=Thread.Status.ANSWERED,
                    last_message_at=timezone.now(),
                )
        except IntegrityError:
            if attempt == 2:  # a token collision three times running is not a collision
                raise
    raise AssertionError("unreachable")
