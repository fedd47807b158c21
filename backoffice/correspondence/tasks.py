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


def message_send(message_id: int) -> str:
    """[inbox] Sends one queued reply or proactive mail (queued on commit, then retried)."""
    return message_send_attempt(message_id=message_id)
