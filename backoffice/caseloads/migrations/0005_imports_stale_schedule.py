"""[imports] The django-q2 schedule that fails imports whose worker died (idempotent).

The import history screen also runs the check when it is opened; the schedule makes sure a
killed import is reported to its author (and unlocks a retry) even if nobody looks.
"""

from django.db import migrations

NAME = "mailnet-imports-fail-stale"


def schedule(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    schedule_upsert(
        apps,
        name=NAME,
        func="backoffice.caseloads.imports.tasks.imports_fail_stale_task",
        schedule_type="I",
        minutes=15,
    )


def unschedule(apps, schema_editor):
    from backoffice.schedules import schedule_delete

    schedule_delete(apps, NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("caseloads", "0004_caseload_imports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
