"""Writes of mailbox_sync: configure mailboxes, poll them, schedule the polls."""

from .mailboxes import mailbox_add, mailbox_update
from .polling import PollCounts, mailbox_poll, mailboxes_poll
from .schedules import POLL_SCHEDULE_NAME, mailbox_poll_queue, mailbox_schedules_ensure

__all__ = [
    "POLL_SCHEDULE_NAME",
    "PollCounts",
    "mailbox_add",
    "mailbox_poll",
    "mailbox_poll_queue",
    "mailbox_schedules_ensure",
    "mailbox_update",
    "mailboxes_poll",
]
