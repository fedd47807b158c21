"""[reports] django-q2 schedules: the nightly roll-up and the monthly exports (idempotent).

The monthly one starts as a MONTHLY schedule (1st of the month, 05:00); migration 0004
turns it into a cron schedule.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    tz = ZoneInfo(settings.TIME_ZONE)
    today = dt.datetime.now(tz).date()
    tomorrow = today + dt.timedelta(days=1)
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    Schedule.objects.get_or_create(
        name="mailnet-reports-nightly",
        defaults={
            "func": "reports.tasks.reports_nightly",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": dt.datetime.combine(tomorrow, dt.time(2, 30), tzinfo=tz),
        },
    )
    Schedule.objects.get_or_create(
        name="mailnet-reports-monthly-exports",
        defaults={
            "func": "reports.tasks.reports_monthly_exports",
            "schedule_type": "M",
            "repeats": -1,
            "next_run": dt.datetime.combine(next_month, dt.time(5, 0), tzinfo=tz),
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name__in=["mailnet-reports-nightly", "mailnet-reports-monthly-exports"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_rollups_ratings_exports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
