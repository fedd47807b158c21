"""[reports] django-q2 schedules: the nightly roll-up and the monthly exports (idempotent).

The monthly one starts as a MONTHLY schedule (1st of the month, 05:00); migration 0004
turns it into a cron schedule.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

NIGHTLY = "mailnet-reports-nightly"
MONTHLY_EXPORTS = "mailnet-reports-monthly-exports"


def schedule(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    tz = ZoneInfo(settings.TIME_ZONE)
    today = dt.datetime.now(tz).date()
    tomorrow = today + dt.timedelta(days=1)
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    schedule_upsert(
        apps,
        name=NIGHTLY,
        func="reports.tasks.reports_nightly",
        schedule_type="D",
        next_run=dt.datetime.combine(tomorrow, dt.time(2, 30), tzinfo=tz),
    )
    schedule_upsert(
        apps,
        name=MONTHLY_EXPORTS,
        func="reports.tasks.reports_monthly_exports",
        schedule_type="M",
        next_run=dt.datetime.combine(next_month, dt.time(5, 0), tzinfo=tz),
    )


def unschedule(apps, schema_editor):
    from backoffice.schedules import schedule_delete

    schedule_delete(apps, NIGHTLY, MONTHLY_EXPORTS)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_rollups_ratings_exports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
