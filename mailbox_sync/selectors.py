"""Reads of mailbox_sync: mailboxes with their state, raw mails still waiting for ingest."""

from django.db.models import QuerySet
from django_mailbox.models import Mailbox

from backoffice.correspondence.models import RawMail


def mailboxes_with_state() -> QuerySet[Mailbox]:
    """Every configured mailbox with its poll state and triage agency (admin list)."""
    return Mailbox.objects.select_related("sync_state", "sync_state__agency").order_by("name")


def mailboxes_to_poll(*, name: str | None = None) -> QuerySet[Mailbox]:
    """Active mailboxes that have a state (an agency), or the one named, active or not."""
    queryset = mailboxes_with_state().filter(sync_state__isnull=False)
    return queryset.filter(name=name) if name else queryset.filter(active=True)


def raw_mails_pending(*, mailbox_name: str, after: int = 0, limit: int = 200) -> QuerySet[RawMail]:
    """Raw mails of a mailbox stored but not (yet) ingested: a crash or an error left them.

    Oldest first, from the raw mail after `after` (a pk), without their bytes (ingest reads
    them under its lock)."""
    return (
        RawMail.objects.filter(mailbox_name=mailbox_name, state=RawMail.State.PENDING, pk__gt=after)
        .defer("data")
        .order_by("pk")[:limit]
    )
