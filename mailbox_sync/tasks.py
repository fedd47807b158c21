"""django-q2 entry points: a line each, the work is in services."""

from django_mailbox.models import Mailbox

from mailbox_sync.services import mailbox_poll, mailboxes_poll


def mailboxes_poll_task() -> str:
    return mailboxes_poll().summary()


def mailbox_poll_task(mailbox_id: int) -> str:
    return mailbox_poll(mailbox=Mailbox.objects.get(pk=mailbox_id)).summary()
