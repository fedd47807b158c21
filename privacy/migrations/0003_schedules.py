"""[privacy-archive] django-q2 schedules: archive check nightly, retention dry run monthly,
read-audit alerts every 15 minutes (all idempotent)."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

SCHEDULES = {
    "mailnet-archive-verify": {
        "func": "privacy.tasks.archive_verify_nightly",
        "schedule_type": "D",
        "hour": 2,
    },
    "mailnet-retention": {
        "func": "privacy.tasks.retention_monthly",
        "schedule_type": "M",
        "hour": 3,
    },
    "mailnet-read-alerts": {
        "func": "privacy.tasks.read_alerts_quarter_hour",
        "schedule_type": "I",
        "minutes": 15,
    },
}


def _next_night(hour: int) -> dt.datetime:
    local = timezone.localtime()
    moment = local.replace(hour=hour, minute=30, second=0, microsecond=0)
    return moment if moment > local else moment + dt.timedelta(days=1)


def schedule(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    for name, spec in SCHEDULES.items():
        timing = (
            {"minutes": spec["minutes"]}
            if "minutes" in spec
            else {"next_run": _next_night(spec["hour"])}
        )
        schedule_upsert(
            apps, name=name, func=spec["func"], schedule_type=spec["schedule_type"], **timing
        )


def unschedule(apps, schema_editor):
    from backoffice.schedules import schedule_delete

    schedule_delete(apps, *SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0002_archive_no_update_trigger"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
