"""Sending a queued message: its stored bytes, unchanged, through Django's e-mail backend.

`message_deliver` holds the message's row lock while it sends and marks it in the same
transaction: two workers never send one message twice, and a retried send is the same
bytes (same Message-ID, Date and .ics). A failure is counted; after
MAILNET_OUTGOING_MAX_ATTEMPTS the message is FAILED with a SEND_FAILED event on its thread.
Retries are one-off django-q2 schedules with a growing back-off; the five-minute sweep
(`messages_send_pending`) sends what a crash left behind.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.organisation import access

from ...models import Message, ThreadEvent

logger = logging.getLogger(__name__)

RETRY_SCHEDULE_PREFIX = "mailnet-send-retry-"
SEND_TASK = "backoffice.correspondence.tasks.message_send"
# The task queued on commit goes first; the sweep only takes what it left behind.
SWEEP_GRACE = dt.timedelta(minutes=2)

RETRY = "retry"
DEFAULT_SMTP_TIMEOUT = 60  # seconds, when EMAIL_TIMEOUT is not set


class _StoredMime(email.message.Message):
    """A parsed mail that serialises back to the exact bytes it was parsed from."""

    mailnet_bytes: bytes = b""

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.mailnet_bytes

    def __bytes__(self) -> bytes:
        return self.mailnet_bytes

    def as_string(self, *args, **kwargs) -> str:
        return self.mailnet_bytes.decode("ascii", "surrogateescape")


class StoredEmail(EmailMessage):
    """A Django e-mail whose `message()` is the stored bytes, never rebuilt."""

    def __init__(self, *, data: bytes, from_email: str, to: list[str]):
        super().__init__(from_email=from_email, to=to)
        self.mailnet_bytes = bytes(data)

    def message(self):
        parsed = email.message_from_bytes(
            self.mailnet_bytes, _class=_StoredMime, policy=email.policy.compat32
        )
        parsed.mailnet_bytes = self.mailnet_bytes
        return parsed


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait before attempt `attempts + 1`: MAILNET_OUTGOING_RETRY_MINUTES, last one repeated."""
    minutes = settings.MAILNET_OUTGOING_RETRY_MINUTES or [5]
    return dt.timedelta(minutes=minutes[min(max(attempts, 1), len(minutes)) - 1])


def message_deliver(*, message: Message) -> str:
    """Sends one queued message once; returns its new state (SENT, FAILED) or RETRY.

    A message that is not QUEUED (already SENT or FAILED) is left untouched: a sent
    message never changes.
    """
    with transaction.atomic():
        locked = (
            Message.objects.select_for_update(of=("self",))
            .filter(pk=message.pk, direction=Message.Direction.OUTGOING)
            .select_related("thread")
            .first()
        )
        if locked is None or locked.send_state != Message.SendState.QUEUED:
            return locked.send_state if locked else ""
        attempts = locked.send_attempts + 1
        try:
            if not locked.mime:
                raise ValueError("no stored bytes to send")
            email_message = StoredEmail(
                data=bytes(locked.mime),
                from_email=locked.from_address,
                to=[a.strip() for a in locked.to_addresses.split(",") if a.strip()],
            )
            # Never wait forever on a hung server while holding the message's row lock.
            connection = get_connection(
                fail_silently=False, timeout=settings.EMAIL_TIMEOUT or DEFAULT_SMTP_TIMEOUT
            )
            if connection.send_messages([email_message]) != 1:
                raise RuntimeError("the e-mail backend sent nothing")
        except Exception as error:  # any SMTP, network or backend error: counted, retried
            logger.warning("message %s not sent (attempt %s): %s", locked.pk, attempts, error)
            failed = attempts >= settings.MAILNET_OUTGOING_MAX_ATTEMPTS
            state = Message.SendState.FAILED if failed else Message.SendState.QUEUED
            Message.objects.filter(pk=locked.pk).update(
                send_attempts=attempts, send_error=str(error)[:2000], send_state=state
            )
            if failed:
                ThreadEvent.objects.create(
                    thread=locked.thread,
                    kind=ThreadEvent.Kind.SEND_FAILED,
                    at=timezone.now(),
                    note=str(error)[:2000],
                )
            message.send_state, message.send_attempts = state, attempts
            return Message.SendState.FAILED if failed else RETRY
        now = timezone.now()
        Message.objects.filter(pk=locked.pk).update(
            send_attempts=attempts, send_error="", send_state=Message.SendState.SENT, sent_at=now
        )
        message.send_state, message.send_attempts, message.sent_at = (
            Message.SendState.SENT,
            attempts,
            now,
        )
        return Message.SendState.SENT


def message_send_attempt(*, message_id: int) -> str:
    """One attempt (the task's body): delivers, then plans the next try after a back-off."""
    from django_q.models import Schedule

    message = Message(pk=message_id)
    outcome = message_deliver(message=message)
    name = f"{RETRY_SCHEDULE_PREFIX}{message_id}"
    if outcome == RETRY:
        Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": SEND_TASK,
                "args": repr(message_id),
                "schedule_type": Schedule.ONCE,
                "repeats": -1,
                "next_run": timezone.now() + retry_delay(message.send_attempts),
            },
        )
    else:
        Schedule.objects.filter(name=name).delete()
    return outcome


def messages_send_pending(*, limit: int = 200, budget_seconds: float = 60.0) -> int:
    """Sends the queued messages nobody is about to retry (a crash left them behind).

    Returns how many were sent. A message with a retry planned waits for it. Stops after
    `budget_seconds` or three failures in a row (the server is down: each message keeps
    its own retry), so the rest of the five-minute task still runs.
    """
    from django_q.models import Schedule

    planned = {
        int(name.removeprefix(RETRY_SCHEDULE_PREFIX))
        for name in Schedule.objects.filter(name__startswith=RETRY_SCHEDULE_PREFIX).values_list(
            "name", flat=True
        )
        if name.removeprefix(RETRY_SCHEDULE_PREFIX).isdigit()
    }
    ids = list(
        Message.objects.filter(
            send_state=Message.SendState.QUEUED,
            direction=Message.Direction.OUTGOING,
            received_at__lt=timezone.now() - SWEEP_GRACE,
        )
        .exclude(pk__in=planned)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    deadline = time.monotonic() + budget_seconds
    sent = failures_in_a_row = 0
    for pk in ids:
        if time.monotonic() > deadline or failures_in_a_row >= 3:
            break
        if message_send_attempt(message_id=pk) == Message.SendState.SENT:
            sent += 1
            failures_in_a_row = 0
        else:
            failures_in_a_row += 1
    return sent


@transaction.atomic
def message_requeue(*, message: Message, user) -> Message:
    """Puts a FAILED message back in the queue (same bytes), e.g. once SMTP works again.

    Only a failed message: a sent one never changes. The attempts start again from zero;
    the SEND_FAILED event stays in the thread's history.
    """
    locked = (
        Message.objects.select_for_update(of=("self",))
        .select_related("thread")
        .get(pk=message.pk, direction=Message.Direction.OUTGOING)
    )
    if not access.can_write(user, locked.thread):
        raise PermissionDenied
    if locked.send_state != Message.SendState.FAILED:
        raise ValidationError(_("Seul un courriel en échec peut être renvoyé."))
    Message.objects.filter(pk=locked.pk).update(
        send_state=Message.SendState.QUEUED, send_attempts=0, send_error=""
    )
    message_id = locked.pk
    message_send_on_commit(message_id)
    locked.send_state, locked.send_attempts, locked.send_error = Message.SendState.QUEUED, 0, ""
    return locked


def message_send_on_commit(message_id: int) -> None:
    """Queues the send task once the current transaction commits (never a rolled-back mail)."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(SEND_TASK, message_id, group="mailnet-send"))
