"""Background jobs of correspondence (django-q2): thin calls to services."""

from .services.outbox import outbox_send_pending
from .services.sweep import sla_sweep_run

SLA_SWEEP_SCHEDULE_NAME = "mailnet-sla-sweep"


def sla_sweep() -> str:
    """Every five minutes: the SLA sweep, then the outbox."""
    report = sla_sweep_run()
    sent = outbox_send_pending()
    return f"{report} ; envoyés : {sent}"


def sla_outbox_send() -> int:
    return outbox_send_pending()
