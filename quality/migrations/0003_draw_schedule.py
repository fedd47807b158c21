"""[inbox] The weekly draw: Mondays at 06:00, Paris time (django-q2 keeps the local hour
across daylight-saving changes for weekly schedules, in settings.TIME_ZONE)."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import migrations

NAME = "mailnet-quality-draw"


def next_monday_six(now: dt.datetime) -> dt.datetime:
    paris = ZoneInfo("Europe/Paris")
    local = now.astimezone(paris)
    days = (7 - local.weekday()) % 7
    candidate = dt.datetime.combine(local.date() + dt.timedelta(days=days), dt.time(6), paris)
    if candidate <= local:
        candidate += dt.timedelta(days=7)
    return candidate


def schedule(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    schedule_upsert(
        apps,
        name=NAME,
        func="quality.tasks.quality_draw_weekly",
        schedule_type="W",
        next_run=next_monday_six(dt.datetime.now(dt.UTC)),
    )


def unschedule(apps, schema_editor):
    from backoffice.schedules import schedule_delete

    schedule_delete(apps, NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("quality", "0002_review_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
