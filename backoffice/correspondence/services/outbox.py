"""[sla] The outbox: automatic mails queued once, sent at least once, never duplicated.

`outbox_queue` inserts under a unique key with a Message-ID fixed now; `outbox_send_pending`
sends each pending row while holding its row lock and marks it in the same transaction.
Two senders never send one row twice; a sender that dies after the SMTP transaction and
before its commit leaves the row pending, and the next run sends the same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ..models import OutboxMail
from .rows import insert_rows

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def outbox_message_id(*, kind: str, thread_id: int) -> str:
    """Short enough to stay on one header line: <sla.h.42.<32 hex>@domain>."""
    domain = settings.MAILNET_SLA_MESSAGE_ID_DOMAIN
    return f"<sla.{kind[0]}.{thread_id}.{uuid.uuid4().hex}@{domain}>"


def outbox_counts_today(*, addresses, now: dt.datetime) -> dict[str, int]:
    """Automatic mails queued to each address in the last 24 hours (the daily cap)."""
    rows = (
        OutboxMail.objects.filter(
            to_address__in=set(addresses), queued_at__gte=now - dt.timedelta(days=1)
        )
        .exclude(state=OutboxMail.State.SUPPRESSED)
        .values("to_address")
        .annotate(n=Count("pk"))
    )
    return {row["to_address"]: row["n"] for row in rows}


def outbox_build(
    *,
    key: str,
    thread_id: int,
    kind: str,
    to_address: str,
    subject: str,
    body: str,
    now: dt.datetime,
    from_address: str | None = None,
    in_reply_to: str = "",
    suppressed: bool = False,
) -> dict:
    """An outbox row to insert; callers insert many at once with `outbox_queue_many`."""
    return {
        "key": key,
        "thread_id": thread_id,
        "kind": kind,
        "message_id": outbox_message_id(kind=kind, thread_id=thread_id),
        "from_address": from_address or settings.DEFAULT_FROM_EMAIL,
        "to_address": to_address,
        "subject": subject[:255],
        "body": body,
        "in_reply_to": in_reply_to,
        "state": OutboxMail.State.SUPPRESSED if suppressed else OutboxMail.State.PENDING,
        "queued_at": now,
        "sent_at": None,
        "attempts": 0,
        "last_error": "",
    }


def outbox_queue_many(*, mails: list[dict]) -> None:
    """Inserts the rows; a key already queued keeps its first row (and its Message-ID)."""
    insert_rows(OutboxMail, mails, ignore_conflicts=True)


def _email_for(row: OutboxMail) -> EmailMessage:
    headers = {
        "Message-ID": row.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Mailnet-Kind": row.kind,
    }
    if row.in_reply_to:
        headers["In-Reply-To"] = row.in_reply_to
        headers["References"] = row.in_reply_to
    return EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=row.from_address,
        to=[row.to_address],
        headers=headers,
    )


def _mark_sent(row: OutboxMail, now: dt.datetime) -> None:
    OutboxMail.objects.filter(pk=row.pk).update(
        state=OutboxMail.State.SENT, sent_at=now, attempts=row.attempts, last_error=""
    )


def outbox_send_pending(*, limit: int = 200) -> int:
    """Sends up to `limit` pending automatic mails, one row lock and transaction each.

    Returns how many were sent. SMTP errors are kept on the row and retried next time,
    up to MAX_ATTEMPTS.
    """
    sent = 0
    failed_ids: list[int] = []
    connection = get_connection()
    try:
        for _ in range(limit):
            with transaction.atomic():
                row = (
                    OutboxMail.objects.select_for_update(skip_locked=True)
                    .filter(state=OutboxMail.State.PENDING)
                    .exclude(pk__in=failed_ids)
                    .order_by("queued_at", "pk")
                    .first()
                )
                if row is None:
                    break
                row.attempts += 1
                try:
                    connection.send_messages([_email_for(row)])
                except Exception as error:  # any SMTP or network error: keep it, retry later
                    logger.warning("outbox %s not sent: %s", row.key, error)
                    failed = row.attempts >= MAX_ATTEMPTS
                    OutboxMail.objects.filter(pk=row.pk).update(
                        attempts=row.attempts,
                        last_error=str(error)[:2000],
                        state=OutboxMail.State.FAILED if failed else OutboxMail.State.PENDING,
                    )
                    failed_ids.append(row.pk)
                    connection.close()
                    continue
                _mark_sent(row, timezone.now())
                sent += 1
    finally:
        connection.close()
    return sent


def outbox_pending_count() -> int:
    return OutboxMail.objects.filter(Q(state=OutboxMail.State.PENDING)).count()
