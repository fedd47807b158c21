"""The django-q2 schedule that polls every minute, and the "poll now" queueing."""

from django.db import transaction
from django_mailbox.models import Mailbox
from django_q.models import Schedule
from django_q.tasks import async_task

POLL_SCHEDULE_NAME = "mailbox_sync: relève des boîtes"
POLL_TASK = "mailbox_sync.tasks.mailboxes_poll_task"


@transaction.atomic
def mailbox_schedules_ensure(*, schedule_model=Schedule) -> Schedule:
    """Creates (or repairs) the one schedule polling every active mailbox each minute.

    Idempotent; `schedule_model` lets a migration pass its historical model.
    """
    schedule = schedule_model.objects.filter(name=POLL_SCHEDULE_NAME).order_by("pk").first()
    if schedule is None:
        schedule = schedule_model(name=POLL_SCHEDULE_NAME)
    schedule.func = POLL_TASK
    schedule.schedule_type = Schedule.MINUTES
    schedule.minutes = 1
    schedule.repeats = -1
    schedule.save()
    schedule_model.objects.filter(name=POLL_SCHEDULE_NAME).exclude(pk=schedule.pk).delete()
    return schedule


def mailbox_poll_queue(*, mailbox: Mailbox) -> None:
    """Queues one poll of `mailbox` once the current transaction commits ("poll now")."""
    mailbox_id = mailbox.pk
    transaction.on_commit(
        lambda: async_task("mailbox_sync.tasks.mailbox_poll_task", mailbox_id, group="mailbox_poll")
    )
