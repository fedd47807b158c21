"""[reports] The monthly exports run on a cron schedule: 05:00 on the 1st of each month.

A cron expression (django-q2's CRON type, with croniter) keeps the hour whatever the length
of the month, and administrators can change it in django-q2's schedule admin ("0 5 2 * *":
the 2nd, "0 5 1 */3 *": quarterly). Going back restores the MONTHLY schedule.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from croniter import croniter
from django.conf import settings
from django.db import migrations

NAME = "mailnet-reports-monthly-exports"
FUNC = "reports.tasks.reports_monthly_exports"
CRON = "0 5 1 * *"


def to_cron(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    now = dt.datetime.now(ZoneInfo(settings.TIME_ZONE))
    schedule_upsert(
        apps,
        name=NAME,
        func=FUNC,
        schedule_type="C",
        cron=CRON,
        next_run=croniter(CRON, now).get_next(dt.datetime),
    )


def to_monthly(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    schedule_upsert(apps, name=NAME, func=FUNC, schedule_type="M", cron=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_rollup_motif")]

    operations = [migrations.RunPython(to_cron, to_monthly)]
