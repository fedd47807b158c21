"""Ingest: turns one stored raw mail into messages on the right threads, exactly once.

The poller (mailbox_sync) calls `raw_mail_store` with the exact bytes, commits, removes
the source copy, then calls `raw_mail_ingest`. Both are idempotent: calling them again
with the same mail creates nothing.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from backoffice.organisation.models import Agency, Counsellor

from .. import mailparse, routing, sanitize
from ..models import ArchiveEntry, Attachment, Message, RawMail, Thread
from ..models.core import attachment_path
from ..subjects import TOKEN_RE, subject_normalise, thread_token_new
from .archive import archive_append
from .deadlines import thread_deadline_start
from .delegation import thread_absence_route

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

STORED = "stored"
DUPLICATE = "duplicate"
TRIAGED = "triaged"
FAILED = "failed"


@dataclass
class IngestResult:
    outcome: str  # STORED, DUPLICATE, TRIAGED or FAILED
    raw_mail: RawMail
    messages: list[Message] = field(default_factory=list)
    error: str = ""


def raw_mail_store(
    *, data: bytes, mailbox_name: str, source_ref: str, agency: Agency | None
) -> tuple[RawMail, bool]:
    """Keeps the exact bytes of one fetched mail, once per sha256; returns (row, created).

    Commits on its own (a savepoint inside an outer transaction). A mail over
    MAILNET_MAX_MAIL_BYTES is kept raw and flagged OVERSIZED: ingest never parses it.
    """
    data = bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    existing = RawMail.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    oversized = len(data) > settings.MAILNET_MAX_MAIL_BYTES
    try:
        with transaction.atomic():
            raw_mail = RawMail.objects.create(
                sha256=digest,
                data=data,
                size=len(data),
                mailbox_name=mailbox_name[:255],
                source_ref=source_ref[:500],
                agency=agency,
                state=RawMail.State.OVERSIZED if oversized else RawMail.State.PENDING,
                last_error=(
                    f"{len(data)} octets > {settings.MAILNET_MAX_MAIL_BYTES}: non analysé"
                    if oversized
                    else ""
                ),
            )
            archive_append(kind=ArchiveEntry.Kind.RAW_MAIL, object_id=raw_mail.pk, data=data)
    except IntegrityError:
        # Another poller stored the same bytes between our read and our insert.
        return RawMail.objects.get(sha256=digest), False
    return raw_mail, True


def raw_mail_ingest(*, raw_mail: RawMail) -> IngestResult:
    """Derives messages from one raw mail in one transaction; a second call creates nothing.

    On an exception the transaction rolls back, the attempt is counted with its error, and
    after MAX_ATTEMPTS the raw mail is quarantined (FAILED, shown in the triage list).
    """
    try:
        with transaction.atomic():
            locked = RawMail.objects.select_for_update().get(pk=raw_mail.pk)
            if locked.state == RawMail.State.OVERSIZED:
                # Flagged at store time, never parsed: triaged once, then a duplicate.
                if locked.ingested_at is not None:
                    return IngestResult(outcome=DUPLICATE, raw_mail=locked)
                locked.ingested_at = timezone.now()
                locked.save(update_fields=["ingested_at"])
                return IngestResult(outcome=TRIAGED, raw_mail=locked)
            if locked.state != RawMail.State.PENDING:
                return IngestResult(outcome=DUPLICATE, raw_mail=locked)
            result = _ingest_locked(locked)
    except Exception as exc:
        logger.exception("ingest of raw mail %s failed", raw_mail.pk)
        return _ingest_failure_record(raw_mail=raw_mail, exc=exc)
    raw_mail.state = result.raw_mail.state
    return result


def raw_mails_ingest_pending(*, limit: int | None = None, batch_size: int = 50) -> dict[str, int]:
    """Ingests pending raw mails oldest first; a failing mail never blocks the others.

    Each mail runs in its own savepoint; a batch of them shares one commit (one disk sync
    instead of one per mail). Should a whole batch fail, it is redone mail by mail.
    """
    pending = RawMail.objects.filter(state=RawMail.State.PENDING).order_by("fetched_at", "pk")
    ids = list(
        pending.values_list("pk", flat=True)[:limit]
        if limit
        else pending.values_list("pk", flat=True)
    )
    counts = {STORED: 0, DUPLICATE: 0, TRIAGED: 0, FAILED: 0}
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        try:
            with transaction.atomic():
                outcomes = [raw_mail_ingest(raw_mail=RawMail(pk=pk)).outcome for pk in batch]
        except Exception:
            logger.exception("ingest batch failed, redone one mail at a time")
            outcomes = [raw_mail_ingest(raw_mail=RawMail(pk=pk)).outcome for pk in batch]
        for outcome in outcomes:
            counts[outcome] += 1
    return counts


def _ingest_failure_record(*, raw_mail: RawMail, exc: Exception) -> IngestResult:
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
    with transaction.atomic():
        locked = RawMail.objects.select_for_update().get(pk=raw_mail.pk)
        locked.attempts += 1
        locked.last_error = error
        locked.state = (
            RawMail.State.FAILED if locked.attempts >= MAX_ATTEMPTS else RawMail.State.PENDING
        )
        locked.save(update_fields=["attempts", "last_error", "state"])
    raw_mail.attempts, raw_mail.state, raw_mail.last_error = (
        locked.attempts,
        locked.state,
        locked.last_error,
    )
    return IngestResult(outcome=FAILED, raw_mail=locked, error=error)


def _thread_mark_awaiting(*, thread: Thread, received_at: datetime) -> list[str]:
    """An incoming normal mail: the thread now awaits our answer. Returns the changed fields.

    The one place where a reply becomes due; the caller saves the thread, then starts the
    deadline clock with `thread_deadline_start`.
    """
    if thread.status == Thread.Status.AWAITING_REPLY:
        return []
    thread.status = Thread.Status.AWAITING_REPLY
    thread.awaiting_since = received_at
    thread.closed_reason = ""
    return ["status", "awaiting_since", "closed_reason"]


def _ingest_locked(raw_mail: RawMail) -> IngestResult:
    data = bytes(raw_mail.data)
    parsed = mailparse.mail_parse(data)
    received_at = raw_mail.fetched_at or timezone.now()
    if Message.objects.filter(
        direction=Message.Direction.OUTGOING, message_id=parsed.message_id
    ).exists():
        # A copy of a mail we sent ourselves (a catch-all also receives our replies).
        raw_mail.state = RawMail.State.INGESTED
        raw_mail.ingested_at = timezone.now()
        raw_mail.save(update_fields=["state", "ingested_at"])
        return IngestResult(outcome=DUPLICATE, raw_mail=raw_mail)
    counsellors = routing.counsellors_for_recipients(parsed.recipients, lock=True)
    ref_threads = routing.threads_by_reference(
        reference_ids=parsed.reference_ids + parsed.bounced_message_ids, subject=parsed.subject
    )
    if parsed.kind == mailparse.KIND_BOUNCE and parsed.bounced_message_ids:
        Message.objects.filter(
            direction=Message.Direction.OUTGOING, message_id__in=parsed.bounced_message_ids
        ).update(undelivered=True)

    # Each target is (counsellor or None, thread or None): one message per counsellor.
    targets: list[tuple[Counsellor | None, Thread | None]] = []
    for counsellor in counsellors:
        own = [t for t in ref_threads if t.counsellor_id == counsellor.pk]
        targets.append((counsellor, own[0] if own else None))
    if ref_threads and len(targets) <= 1 and not any(thread for _, thread in targets):
        # The thread moved to another counsellor, or the mail went to an address we do
        # not route (a bounce to our sender address): it still continues that thread.
        targets = [(ref_threads[0].counsellor, ref_threads[0])]
    if not targets:
        raw_mail.state = RawMail.State.TRIAGED
        raw_mail.last_error = "Aucun conseiller ne correspond aux destinataires."
        raw_mail.ingested_at = timezone.now()
        raw_mail.save(update_fields=["state", "last_error", "ingested_at"])
        return IngestResult(outcome=TRIAGED, raw_mail=raw_mail)

    messages: list[Message] = []
    stored_files: dict[str, str] = {}
    triaged = False
    for counsellor, thread in targets:
        if _already_received(parsed.message_id, counsellor, thread):
            continue
        if thread is None:
            correspondent = routing.correspondent_identify(
                address=parsed.from_address, counsellor=counsellor
            )
            thread = routing.thread_by_subject(
                counsellor=counsellor,
                correspondent=correspondent,
                subject=parsed.subject,
                moment=received_at,
            ) or _thread_create(counsellor=counsellor, correspondent=correspondent, parsed=parsed)
        message = _message_create(
            thread=thread,
            raw_mail=raw_mail,
            parsed=parsed,
            received_at=received_at,
            stored_files=stored_files,
        )
        messages.append(message)
        _thread_after_incoming(thread=thread, message=message)
        # [inbox] absence: mail for an absent counsellor goes to their delegate or the queue.
        thread_absence_route(thread=thread, at=received_at)
        triaged = triaged or thread.status == Thread.Status.TRIAGE

    raw_mail.state = RawMail.State.INGESTED
    raw_mail.ingested_at = timezone.now()
    raw_mail.last_error = ""
    raw_mail.save(update_fields=["state", "ingested_at", "last_error"])
    if not messages:
        return IngestResult(outcome=DUPLICATE, raw_mail=raw_mail)
    return IngestResult(
        outcome=TRIAGED if triaged else STORED, raw_mail=raw_mail, messages=messages
    )


def _already_received(
    message_id: str, counsellor: Counsellor | None, thread: Thread | None
) -> bool:
    """The same mail (same Message-ID) already reached this counsellor, from any mailbox."""
    incoming = Message.objects.filter(direction=Message.Direction.INCOMING, message_id=message_id)
    if counsellor is not None:
        # [inbox] a thread delegated during an absence still counts as the counsellor's.
        return incoming.filter(
            Q(thread__counsellor=counsellor) | Q(thread__delegated_from=counsellor)
        ).exists()
    return thread is not None and incoming.filter(thread=thread).exists()


def _thread_create(
    *, counsellor: Counsellor, correspondent: routing.Correspondent, parsed: mailparse.ParsedMail
) -> Thread:
    subject = TOKEN_RE.sub("", parsed.subject).strip()
    if not correspondent.known:
        status, reason = Thread.Status.TRIAGE, ""
    elif parsed.kind != mailparse.KIND_NORMAL:
        status, reason = Thread.Status.CLOSED, str(_kind_label(parsed.kind))
    else:
        status, reason = Thread.Status.ANSWERED, ""  # becomes awaiting with its first message
    # A token collision (one in 10^11) raises IntegrityError: the attempt is retried.
    return Thread.objects.create(
        counsellor=counsellor,
        agency=counsellor.agency,
        jobseeker=correspondent.jobseeker,
        employer=correspondent.employer,
        correspondent_address=(correspondent.address or "inconnu@invalid")[:254],
        subject=subject[:998],
        normalised_subject=subject_normalise(subject),
        token=thread_token_new(),
        status=status,
        closed_reason=reason,
    )


def _kind_label(kind: str):
    return dict(Message.Kind.choices)[kind]


def _thread_after_incoming(*, thread: Thread, message: Message) -> None:
    changed = []
    if thread.last_message_at is None or message.received_at > thread.last_message_at:
        thread.last_message_at = message.received_at
        changed.append("last_message_at")
    if message.kind == Message.Kind.NORMAL and thread.status != Thread.Status.TRIAGE:
        changed += _thread_mark_awaiting(thread=thread, received_at=message.received_at)
    if changed:
        thread.save(update_fields=changed)
    if "awaiting_since" in changed:
        # The reply clock starts with the oldest unanswered mail ([sla]).
        thread_deadline_start(thread=thread, received_at=message.received_at)


def _file_store(data: bytes, digest: str, stored_files: dict[str, str]) -> str:
    """Content-addressed storage: one file per sha256, however many messages carry it."""
    if digest in stored_files:
        return stored_files[digest]
    name = attachment_path(Attachment(sha256=digest), "")
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
    stored_files[digest] = name
    return name


def _message_create(
    *,
    thread: Thread,
    raw_mail: RawMail,
    parsed: mailparse.ParsedMail,
    received_at: datetime,
    stored_files: dict[str, str],
) -> Message:
    warnings = list(parsed.warnings)
    limit = settings.MAILNET_MAX_ATTACHMENT_BYTES
    attachments = []
    for part in parsed.attachments:
        digest = hashlib.sha256(part.data).hexdigest()
        extracted = len(part.data) <= limit
        if not extracted:
            warnings.append(
                f"attachment {part.name}: {len(part.data)} bytes, kept in the raw mail only"
            )
        attachments.append(
            Attachment(
                file=_file_store(part.data, digest, stored_files) if extracted else "",
                name=part.name,
                content_type=part.content_type[:255],
                content_id=part.content_id[:255],
                size=len(part.data),
                sha256=digest,
                extracted=extracted,
            )
        )
    message = Message(
        thread=thread,
        raw_mail=raw_mail,
        direction=Message.Direction.INCOMING,
        kind=parsed.kind,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to[:998],
        references=" ".join(parsed.references),
        from_address=parsed.from_address,
        from_name=parsed.from_name[:998],
        to_addresses=", ".join(parsed.to),
        cc_addresses=", ".join(parsed.cc),
        date_header=parsed.date,
        received_at=received_at,
        subject=parsed.subject,
        body_text=parsed.body_text,
        decoding_warnings=warnings,
    )
    # cid: images need their attachment's id in the URL: sanitise after inserting them.
    needs_ids = bool(parsed.body_html) and any(a.content_id and a.extracted for a in attachments)
    if parsed.body_html and not needs_ids:
        _html_set(message, parsed.body_html, cid_urls={})
    message.save(force_insert=True)
    if attachments:
        for attachment in attachments:
            attachment.message = message
        Attachment.objects.bulk_create(attachments)
    if needs_ids:
        cid_urls = {
            a.content_id: reverse("correspondence:attachment", args=[a.pk]) + "?inline=1"
            for a in attachments
            if a.content_id and a.extracted
        }
        _html_set(message, parsed.body_html, cid_urls=cid_urls)
        message.save(
            update_fields=["body_html", "body_html_with_remote_images", "has_remote_images"]
        )
    return message


def _html_set(message: Message, html: str, *, cid_urls: dict[str, str]) -> None:
    clean = sanitize.html_sanitise(html, cid_urls=cid_urls)
    message.body_html = clean.html
    message.body_html_with_remote_images = clean.html_with_remote_images
    message.has_remote_images = clean.has_remote_images
