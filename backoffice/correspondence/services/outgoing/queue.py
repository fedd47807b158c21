"""Queueing a counsellor's reply on a thread (and the mail queueing proactive mail shares).

The exact MIME bytes are fixed here, once, in the transaction that creates the message,
and chained in the archive; the send task (see `delivery`) only ever sends those bytes.
One idempotency key per submitted form: the same key again returns the message already
queued and sends nothing new, so a double click or a resubmitted form sends once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from answer_repository.services import template_usage_record
from backoffice.organisation import access
from backoffice.organisation.models import Counsellor

from ... import ics
from ...models import ArchiveEntry, Attachment, Message, ScheduledContact, Thread, ThreadEvent
from ...models.core import attachment_path
from ...subjects import subject_strip, subject_with_token
from ..archive import archive_append
from ..deadlines import thread_deadline_clear
from .content import Appointment, MailContent, mail_content
from .delivery import message_send_on_commit
from .mime import (
    MailParts,
    OutgoingFile,
    mime_build,
    references_chain,
)

Footer = str | Callable[[Message], str]


def sender_display_name(counsellor: Counsellor) -> str:
    """ "Prénom Nom – Agence", the display name of every mail a counsellor sends."""
    return f"{counsellor.full_name} – {counsellor.agency.name}".strip(" –")


def address_is_valid(address: str) -> bool:
    if not address or address.rsplit("@", 1)[-1].lower().endswith((".invalid", ".example")):
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def counsellor_writing_as(user) -> Counsellor | None:
    """The active counsellor record of `user`, if it has a public address to write from."""
    return (
        Counsellor.objects.select_related("user", "agency")
        .filter(user=user, is_active=True, public_address__isnull=False)
        .exclude(public_address="")
        .first()
    )


def sender_for(author) -> Counsellor:
    counsellor = counsellor_writing_as(author)
    if counsellor is None:
        raise PermissionDenied(_("Seul un conseiller ayant une adresse publique peut écrire."))
    return counsellor


def _message_id() -> str:
    return make_msgid(idstring="reply", domain=settings.MAILNET_SLA_MESSAGE_ID_DOMAIN)


def _correspondent_name(thread: Thread) -> str:
    if thread.jobseeker_id:
        return f"{thread.jobseeker.first_name} {thread.jobseeker.last_name}".strip()
    return thread.employer.name if thread.employer_id else ""


def _files_store(message: Message, files: list[OutgoingFile]) -> None:
    """Keeps a copy of each attachment (content-addressed, like ingest) for the thread page."""
    rows = []
    for file in files:
        digest = hashlib.sha256(file.data).hexdigest()
        name = attachment_path(Attachment(sha256=digest), "")
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(file.data))
        rows.append(
            Attachment(
                message=message,
                file=name,
                name=file.name[:255],
                content_type=file.content_type[:255],
                size=len(file.data),
                sha256=digest,
            )
        )
    Attachment.objects.bulk_create(rows)


def _attachments_check(files: list[OutgoingFile]) -> None:
    total = sum(len(f.data) for f in files)
    if total > settings.MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES:
        raise ValidationError(
            _("Les pièces jointes dépassent %(limit)d Mo au total.")
            % {"limit": settings.MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES // (1024 * 1024)}
        )


@dataclass(frozen=True)
class MailPreview:
    from_name: str
    from_address: str
    to_name: str
    to_address: str
    subject: str
    content: MailContent


def reply_subject(thread: Thread) -> str:
    """ "Re: <subject> [#TOKEN]": the token lets ingest find the thread again."""
    base = subject_strip(thread.subject) or _("Votre message")
    return subject_with_token(f"Re: {base}", thread.token)


def reply_render(
    *,
    thread: Thread,
    author,
    body_html: str,
    appointment: Appointment | None = None,
    footer_text: str = "",
) -> MailPreview:
    """What `reply_queue` would send, without writing anything (the preview step)."""
    sender = sender_for(author)
    return MailPreview(
        from_name=sender_display_name(sender),
        from_address=sender.public_address,
        to_name=_correspondent_name(thread),
        to_address=thread.correspondent_address,
        subject=reply_subject(thread),
        content=mail_content(
            body_html=body_html, agency=sender.agency, appointment=appointment, footer=footer_text
        ),
    )


def _invitation(
    *, thread: Thread, sender: Counsellor, appointment: Appointment, sentence: str, now
) -> tuple[str, bytes]:
    agency = sender.agency
    uid = f"{uuid.uuid4()}@{settings.MAILNET_SLA_MESSAGE_ID_DOMAIN}"
    location = ""
    if appointment.channel == ScheduledContact.Channel.AGENCY:
        location = appointment.location or agency.name
    elif appointment.channel == ScheduledContact.Channel.VIDEO:
        location = appointment.details
    with translation.override("fr"):
        summary = _("Rendez-vous avec %(name)s (France Travail)") % {"name": sender.full_name}
    calendar = ics.ics_invitation(
        ics.Invitation(
            uid=uid,
            start=appointment.starts_at,
            duration=appointment.duration,
            time_zone=agency.time_zone,
            summary=summary,
            organizer_address=sender.public_address,
            organizer_name=sender_display_name(sender),
            attendee_address=thread.correspondent_address,
            attendee_name=_correspondent_name(thread),
            location=location,
            description=sentence,
            stamp=now,
        )
    )
    return uid, calendar


def mail_queue(
    *,
    thread: Thread,
    sender: Counsellor,
    author,
    subject: str,
    body_html: str,
    attachments: list[OutgoingFile],
    idempotency_key: str,
    parent: Message | None,
    appointment: Appointment | None,
    footer_text: Footer,
) -> tuple[Message, bool]:
    """Creates the message, fixes its bytes, chains them, and queues the send on commit.

    Returns (message, created): not created when a concurrent submission of the same form
    queued it first.
    """
    now = timezone.now()
    content = mail_content(body_html=body_html, agency=sender.agency, appointment=appointment)
    if content.problems:
        raise ValidationError(content.problems)
    _attachments_check(attachments)
    message = Message(
        thread=thread,
        direction=Message.Direction.OUTGOING,
        kind=Message.Kind.NORMAL,
        message_id=_message_id(),
        in_reply_to=parent.message_id if parent else "",
        from_address=sender.public_address,
        from_name=sender_display_name(sender),
        to_addresses=thread.correspondent_address,
        date_header=now,
        received_at=now,
        subject=subject[:998],
        author=author,
        send_state=Message.SendState.QUEUED,
        idempotency_key=idempotency_key,
    )
    if parent is not None:
        message.references = " ".join(
            references_chain(
                parent_references=parent.references.split(), parent_message_id=parent.message_id
            )
        )
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        # The same form submitted twice at once: the other request queued it first.
        existing = Message.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False

    calendar = None
    if appointment is not None:
        uid, calendar = _invitation(
            thread=thread,
            sender=sender,
            appointment=appointment,
            sentence=content.appointment_sentence,
            now=now,
        )
        ScheduledContact.objects.create(
            counsellor=sender,
            thread=thread,
            jobseeker=thread.jobseeker,
            employer=thread.employer,
            scheduled_for=appointment.starts_at,
            channel=appointment.channel,
            created_by=author,
            note=content.appointment_sentence[:2000],
            message=message,
            ics_uid=uid,
        )
    footer = footer_text(message) if callable(footer_text) else footer_text
    if footer:
        content = mail_content(
            body_html=body_html, agency=sender.agency, appointment=appointment, footer=footer
        )
    message.body_text = content.text
    message.body_html = content.html
    message.mime = mime_build(
        MailParts(
            message_id=message.message_id,
            from_address=sender.public_address,
            from_name=message.from_name,
            to_address=thread.correspondent_address,
            to_name=_correspondent_name(thread),
            subject=message.subject,
            date=timezone.localtime(now),
            text=content.text,
            html=content.html,
            in_reply_to=message.in_reply_to,
            references=message.references.split(),
            attachments=attachments,
            calendar=calendar,
        )
    )
    message.save(update_fields=["body_text", "body_html", "mime"])
    _files_store(message, attachments)
    archive_append(kind=ArchiveEntry.Kind.SENT, object_id=message.pk, data=message.mime)
    message_send_on_commit(message.pk)
    return message, True


def message_by_key(idempotency_key: str) -> Message | None:
    return Message.objects.filter(idempotency_key=idempotency_key).first()


@transaction.atomic
def reply_queue(
    *,
    thread: Thread,
    author,
    body_html: str,
    attachments: list[OutgoingFile],
    idempotency_key: str,
    template=None,
    appointment: Appointment | None = None,
    footer_text: Footer = "",
) -> Message:
    """Queues a counsellor's reply on `thread`; returns it (QUEUED, bytes fixed and archived).

    Stops the reply clock, marks the thread answered, records the template's use and any
    appointment (ScheduledContact + .ics). `footer_text` may be a function of the message
    (a rating link needs its id). PermissionDenied unless `author` may write the thread.
    """
    existing = message_by_key(idempotency_key)
    if existing is not None:
        if existing.thread_id != thread.pk:
            raise ValidationError(_("Ce formulaire a déjà servi pour un autre fil."))
        return existing
    if not access.can_write(author, thread):
        raise PermissionDenied(_("Vous ne pouvez pas répondre sur ce fil."))
    sender = sender_for(author)
    locked = (
        Thread.objects.select_for_update(of=("self",))
        .select_related("jobseeker", "employer", "agency")
        .get(pk=thread.pk)
    )
    existing = message_by_key(idempotency_key)  # a concurrent submission that held the lock first
    if existing is not None:
        return existing
    if not address_is_valid(locked.correspondent_address):
        raise ValidationError(_("Le correspondant n'a pas d'adresse valide."))
    messages = Message.objects.filter(thread=locked).order_by("-received_at", "-pk")
    parent = messages.filter(direction=Message.Direction.INCOMING).first() or messages.first()
    subject = reply_subject(locked)
    message, created = mail_queue(
        thread=locked,
        sender=sender,
        author=author,
        subject=subject,
        body_html=body_html,
        attachments=attachments,
        idempotency_key=idempotency_key,
        parent=parent,
        appointment=appointment,
        footer_text=footer_text,
    )
    if not created:
        return message
    thread_deadline_clear(thread=locked, reason=_("réponse envoyée"))
    Thread.objects.filter(pk=locked.pk).update(
        status=Thread.Status.ANSWERED,
        last_message_at=message.received_at,
        due_at=None,
        closed_reason="",
    )
    thread.status, thread.due_at = Thread.Status.ANSWERED, None
    thread.last_message_at = message.received_at
    ThreadEvent.objects.create(
        thread=locked,
        kind=ThreadEvent.Kind.REPLIED,
        at=message.received_at,
        actor=author,
        from_counsellor=sender,
        note=message.subject[:300],
    )
    if template is not None:
        template_usage_record(template=template, used_at=message.received_at)
    return message
