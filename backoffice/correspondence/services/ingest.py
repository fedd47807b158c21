"""Ingest: turns stored raw mails into messages on the right threads, exactly once.

The poller (mailbox_sync) calls `raw_mails_store` (rawmails.py) with the exact bytes of a
fetched batch, commits, calls `raw_mails_ingest`, and only then removes the source copies
(removal never waits on ingest succeeding: a failed mail stays pending, raw). Both are
idempotent:
calling them again with the same mails creates nothing. Both work a batch at a time (one
transaction, shared reads, bulk inserts) and fall back to one mail at a time when a batch
fails, so that one bad mail never blocks the others; `raw_mail_store` and
`raw_mail_ingest` are the same services for a single mail.
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
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from backoffice.organisation.models import Counsellor

from .. import mailparse, routing, sanitize
from ..models import Attachment, Message, RawMail, SlaEvent, Thread
from ..models.core import attachment_path
from ..sla import BusinessCalendar
from ..subjects import TOKEN_RE, subject_normalise, thread_token_new
from .bulk import rows_insert
from .deadlines import agency_calendar, deadline_fields, thread_deadline_start
from .delegation import thread_absence_route
from .rawmails import raw_mail_store, raw_mails_store

__all__ = [
    "DUPLICATE",
    "FAILED",
    "STORED",
    "TRIAGED",
    "IngestResult",
    "raw_mail_ingest",
    "raw_mail_store",
    "raw_mails_ingest",
    "raw_mails_ingest_pending",
    "raw_mails_store",
]

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


def raw_mail_ingest(*, raw_mail: RawMail) -> IngestResult:
    """Derives messages from one raw mail in one transaction; a second call creates nothing.

    On an exception the transaction rolls back, the attempt is counted with its error, and
    after MAX_ATTEMPTS the raw mail is quarantined (FAILED, shown in the triage list).
    """
    [result] = raw_mails_ingest(raw_mails=[raw_mail])
    return result


def raw_mails_ingest(*, raw_mails: list[RawMail]) -> list[IngestResult]:
    """Derives messages from several raw mails in one transaction; one result per mail.

    The batch shares its reads (routing, identification, threading, de-duplication) and its
    inserts. A mail that cannot be parsed fails alone; should anything else raise, the
    batch is rolled back and redone mail by mail, each in its own transaction, so a bad mail
    is retried and quarantined on its own while the others are stored.
    """
    if not raw_mails:
        return []
    try:
        with transaction.atomic():
            results = _ingest_batch(raw_mails)
    except Exception as exc:
        if len(raw_mails) == 1:
            logger.exception("ingest of raw mail %s failed", raw_mails[0].pk)
            return [_ingest_failure_record(raw_mail=raw_mails[0], exc=exc)]
        logger.warning("ingest batch of %d raw mails failed, redone one at a time", len(raw_mails))
        return [raw_mail_ingest(raw_mail=raw) for raw in raw_mails]
    for raw_mail, result in zip(raw_mails, results, strict=True):
        raw_mail.state = result.raw_mail.state
    return results


def raw_mails_ingest_pending(*, limit: int | None = None, batch_size: int = 100) -> dict[str, int]:
    """Ingests pending raw mails oldest first, a batch per transaction; a failing mail never
    blocks the others."""
    pending = RawMail.objects.filter(state=RawMail.State.PENDING).order_by("fetched_at", "pk")
    ids = list(
        pending.values_list("pk", flat=True)[:limit]
        if limit
        else pending.values_list("pk", flat=True)
    )
    counts = {STORED: 0, DUPLICATE: 0, TRIAGED: 0, FAILED: 0}
    for start in range(0, len(ids), batch_size):
        batch = [RawMail(pk=pk) for pk in ids[start : start + batch_size]]
        for result in raw_mails_ingest(raw_mails=batch):
            counts[result.outcome] += 1
    return counts


def _ingest_failure_record(*, raw_mail: RawMail, exc: Exception) -> IngestResult:
    with transaction.atomic():
        locked = RawMail.objects.select_for_update().defer("data").get(pk=raw_mail.pk)
        result = _failure_apply(locked, exc)
    raw_mail.attempts, raw_mail.state, raw_mail.last_error = (
        locked.attempts,
        locked.state,
        locked.last_error,
    )
    return result


def _failure_apply(locked: RawMail, exc: Exception) -> IngestResult:
    """Counts one failed attempt on a locked raw mail; the third one quarantines it."""
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[-2000:]
    locked.attempts += 1
    locked.last_error = error
    locked.state = (
        RawMail.State.FAILED if locked.attempts >= MAX_ATTEMPTS else RawMail.State.PENDING
    )
    locked.save(update_fields=["attempts", "last_error", "state"])
    return IngestResult(outcome=FAILED, raw_mail=locked, error=error)


class _Batch:
    """What one ingest transaction has decided to write, written at the end in bulk.

    The batch's new threads are inserted together (`threads_insert`) before its messages
    land, already in the state their first message gives them; messages, attachments, the
    deadline events and the raw mails' bookkeeping are written by `flush`, a handful of
    statements in all.
    """

    def __init__(self, lookups: routing.IngestLookups):
        self.lookups = lookups
        self.now = timezone.now()
        self.threads_new: list[Thread] = []
        self.deadlines_set: list[Thread] = []
        self.messages: list[tuple[Message, list[Attachment], str]] = []
        self.stored_files: dict[str, str] = {}
        self.done: list[RawMail] = []
        self._calendars: dict[int, BusinessCalendar] = {}

    def threads_insert(self) -> None:
        # A token collision (one in 10^11) raises IntegrityError: the batch is redone.
        Thread.objects.bulk_create(self.threads_new)

    def raw_done(self, raw_mail: RawMail, state: str, last_error: str = "") -> None:
        raw_mail.state, raw_mail.last_error, raw_mail.ingested_at = state, last_error, self.now
        self.done.append(raw_mail)

    def flush(self) -> None:
        rows_insert([message for message, _a, _h in self.messages])
        attachments = []
        for message, message_attachments, _html in self.messages:
            for attachment in message_attachments:
                attachment.message = message
                attachments.append(attachment)
        Attachment.objects.bulk_create(attachments)
        # cid: images need their attachment's id in the URL: sanitised once ids exist.
        with_cid = []
        for message, message_attachments, html in self.messages:
            if html:
                cid_urls = {
                    a.content_id: reverse("correspondence:attachment", args=[a.pk]) + "?inline=1"
                    for a in message_attachments
                    if a.content_id and a.extracted
                }
                _html_set(message, html, cid_urls=cid_urls)
                with_cid.append(message)
        Message.objects.bulk_update(
            with_cid, ["body_html", "body_html_with_remote_images", "has_remote_images"]
        )
        SlaEvent.objects.bulk_create(
            SlaEvent(thread=t, kind=SlaEvent.Kind.DEADLINE_SET, at=self.now, due_at=t.due_at)
            for t in self.deadlines_set
        )
        groups: dict[tuple[str, str], list[int]] = {}
        for raw_mail in self.done:
            groups.setdefault((raw_mail.state, raw_mail.last_error), []).append(raw_mail.pk)
        for (state, last_error), pks in groups.items():
            RawMail.objects.filter(pk__in=pks).update(
                state=state, last_error=last_error, ingested_at=self.now
            )

    def deadline_start(self, thread: Thread) -> None:
        """Starts the reply clock of a thread this batch is creating, before its insert.

        The same rule as `thread_deadline_start` (which runs for a thread already stored),
        without its lock and reads: nobody else sees the thread before commit.
        """
        for name, value in deadline_fields(
            start=thread.awaiting_since, calendar=self._calendar(thread)
        ).items():
            setattr(thread, name, value)
        self.deadlines_set.append(thread)

    def _calendar(self, thread: Thread) -> BusinessCalendar:
        if thread.agency_id not in self._calendars:
            self._calendars[thread.agency_id] = agency_calendar(agency=thread.agency)
        return self._calendars[thread.agency_id]


def _ingest_batch(raw_mails: list[RawMail]) -> list[IngestResult]:
    ids = [raw_mail.pk for raw_mail in raw_mails]
    locked = {
        raw.pk: raw
        for raw in RawMail.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .defer("data")
    }
    missing = [
        raw.pk
        for raw in raw_mails
        if locked[raw.pk].state == RawMail.State.PENDING
        and ("data" in raw.get_deferred_fields() or not raw.data)
    ]
    data = dict(RawMail.objects.filter(pk__in=missing).values_list("pk", "data")) if missing else {}
    results: dict[int, IngestResult | None] = {}
    todo: list[tuple[RawMail, mailparse.ParsedMail]] = []
    for raw_mail in raw_mails:
        row = locked[raw_mail.pk]
        if raw_mail.pk in results:
            continue  # the same raw mail twice in one batch: see below
        if row.state == RawMail.State.OVERSIZED:
            # Flagged at store time, never parsed: triaged once, then a duplicate.
            if row.ingested_at is not None:
                results[row.pk] = IngestResult(outcome=DUPLICATE, raw_mail=row)
            else:
                row.ingested_at = timezone.now()
                row.save(update_fields=["ingested_at"])
                results[row.pk] = IngestResult(outcome=TRIAGED, raw_mail=row)
            continue
        if row.state != RawMail.State.PENDING:
            results[row.pk] = IngestResult(outcome=DUPLICATE, raw_mail=row)
            continue
        raw_bytes = bytes(data[row.pk]) if row.pk in data else bytes(raw_mail.data)
        try:
            parsed = mailparse.mail_parse(raw_bytes)
        except Exception as exc:
            logger.warning("raw mail %s cannot be parsed: %s", row.pk, exc)
            results[row.pk] = _failure_apply(row, exc)
            continue
        results[row.pk] = None
        todo.append((row, parsed))
    if todo:
        since = min(row.fetched_at or timezone.now() for row, _parsed in todo)
        lookups = routing.IngestLookups([p for _r, p in todo], since=since, lock=True)
        batch = _Batch(lookups)
        # Two passes: where each mail goes (new threads decided, not inserted), then, once
        # the batch's new threads are inserted together, its messages land.
        routes = [(row, parsed, _ingest_route(row, parsed, batch)) for row, parsed in todo]
        batch.threads_insert()
        for row, parsed, route in routes:
            if isinstance(route, IngestResult):
                results[row.pk] = route
            else:
                results[row.pk] = _ingest_locked(row, parsed, route, batch)
        batch.flush()
    out, seen = [], set()
    for raw_mail in raw_mails:
        result = results[raw_mail.pk]
        if raw_mail.pk in seen:
            result = IngestResult(outcome=DUPLICATE, raw_mail=result.raw_mail)
        seen.add(raw_mail.pk)
        out.append(result)
    return out


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


def _ingest_route(
    raw_mail: RawMail, parsed: mailparse.ParsedMail, batch: _Batch
) -> IngestResult | list[Thread]:
    """Where one mail goes: the threads it lands on (one per counsellor), new ones decided
    but not inserted yet; or the result when it lands nowhere (copy, triage, duplicate)."""
    lookups = batch.lookups
    received_at = raw_mail.fetched_at or timezone.now()
    if lookups.is_our_outgoing(parsed.message_id):
        # A copy of a mail we sent ourselves (a catch-all also receives our replies).
        batch.raw_done(raw_mail, RawMail.State.INGESTED)
        return IngestResult(outcome=DUPLICATE, raw_mail=raw_mail)
    counsellors = lookups.counsellors_for(parsed.recipients)
    ref_threads = lookups.threads_by_reference(
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
        batch.raw_done(
            raw_mail, RawMail.State.TRIAGED, "Aucun conseiller ne correspond aux destinataires."
        )
        return IngestResult(outcome=TRIAGED, raw_mail=raw_mail)

    threads: list[Thread] = []
    for counsellor, thread in targets:
        if lookups.already_received(parsed.message_id, counsellor, thread):
            continue
        if thread is None:
            correspondent = lookups.correspondent(
                address=parsed.from_address, counsellor=counsellor
            )
            thread = lookups.thread_by_subject(
                counsellor=counsellor,
                correspondent=correspondent,
                subject=parsed.subject,
                moment=received_at,
            )
            if thread is None:
                thread = _thread_create(
                    counsellor=counsellor,
                    correspondent=correspondent,
                    parsed=parsed,
                    received_at=received_at,
                    batch=batch,
                )
                lookups.thread_added(thread)
        lookups.message_added(message_id=parsed.message_id, thread=thread, received_at=received_at)
        threads.append(thread)
    return threads


def _ingest_locked(
    raw_mail: RawMail, parsed: mailparse.ParsedMail, threads: list[Thread], batch: _Batch
) -> IngestResult:
    """The mail lands on its threads (all stored by now): its messages, the threads' state."""
    received_at = raw_mail.fetched_at or timezone.now()
    messages: list[Message] = []
    triaged = False
    for thread in threads:
        message = _message_create(
            thread=thread, raw_mail=raw_mail, parsed=parsed, received_at=received_at, batch=batch
        )
        messages.append(message)
        _thread_after_incoming(thread=thread, message=message)
        # [inbox] absence: mail for an absent counsellor goes to their delegate or the queue.
        if batch.lookups.may_be_absent(thread.counsellor_id):  # else nothing to route
            thread_absence_route(thread=thread, at=received_at)
        triaged = triaged or thread.status == Thread.Status.TRIAGE

    batch.raw_done(raw_mail, RawMail.State.INGESTED)
    if not messages:
        return IngestResult(outcome=DUPLICATE, raw_mail=raw_mail)
    return IngestResult(
        outcome=TRIAGED if triaged else STORED, raw_mail=raw_mail, messages=messages
    )


def _thread_create(
    *,
    counsellor: Counsellor,
    correspondent: routing.Correspondent,
    parsed: mailparse.ParsedMail,
    received_at: datetime,
    batch: _Batch,
) -> Thread:
    """A new thread for `parsed`, in the state its first message gives it; inserted with the
    batch's other new threads (`_Batch.threads_insert`) before any message lands."""
    subject = TOKEN_RE.sub("", parsed.subject).strip()
    if not correspondent.known:
        status, reason = Thread.Status.TRIAGE, ""
    elif parsed.kind != mailparse.KIND_NORMAL:
        status, reason = Thread.Status.CLOSED, str(_kind_label(parsed.kind))
    else:
        status, reason = Thread.Status.ANSWERED, ""  # becomes awaiting with its first message
    thread = Thread(
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
        last_message_at=received_at,
    )
    if status == Thread.Status.ANSWERED:
        _thread_mark_awaiting(thread=thread, received_at=received_at)
        batch.deadline_start(thread)
    batch.threads_new.append(thread)
    return thread


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
    batch: _Batch,
) -> Message:
    """The incoming message and its attachments, inserted by `_Batch.flush`."""
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
                file=_file_store(part.data, digest, batch.stored_files) if extracted else "",
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
    # cid: images need their attachment's id in the URL: sanitised after the insert then.
    needs_ids = bool(parsed.body_html) and any(a.content_id and a.extracted for a in attachments)
    if parsed.body_html and not needs_ids:
        _html_set(message, parsed.body_html, cid_urls={})
    batch.messages.append((message, attachments, parsed.body_html if needs_ids else ""))
    return message


def _html_set(message: Message, html: str, *, cid_urls: dict[str, str]) -> None:
    clean = sanitize.html_sanitise(html, cid_urls=cid_urls)
    message.body_html = clean.html
    message.body_html_with_remote_images = clean.html_with_remote_images
    message.has_remote_images = clean.has_remote_images
