"""Background jobs of correspondence (django-q2): thin calls to services."""

from .services.outbox import outbox_send_pending
from .services.outgoing import message_send_attempt, messages_send_pending
from .services.sweep import sla_sweep_run

SLA_SWEEP_SCHEDULE_NAME = "mailnet-sla-sweep"


def sla_sweep() -> str:
    """Every five minutes: replies a crash left queued, the SLA sweep, then the outbox.

    Replies go first: a failing sweep must not hold back what counsellors sent.
    """
    replies = messages_send_pending()
    report = sla_sweep_run()
    sent = outbox_send_pending()
    return f"{report} ; envoyés : {sent} ; réponses envoyées : {replies}"


def sla_outbox_send() -> int:
    return outbox_send_pending()


# [inbox] delegation: threads come back to counsellors whose absence is over.
ABSENCES_RETURN_SCHEDULE_NAME = "mailnet-absences-return"


def absences_return() -> str:
    """Every 15 minutes: give back delegated threads whose counsellor is back."""
    from django.utils import timezone

    from .services.delegation import absences_return_apply

    counts = absences_return_apply(now=timezone.now())
    return f"rendus : {counts['returned']} ; gardés (déjà répondus) : {counts['kept']}"


def message_send(message_id: int) -> str:
    """[inbox] Sends one queued reply or proactive mail (queued on commit, then retried)."""
    return message_send_attempt(message_id=message_id)
