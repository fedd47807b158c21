"""[inbox] The django-q2 schedule giving threads back after an absence, every 15 minutes."""

from django.db import migrations

NAME = "mailnet-absences-return"


def schedule(apps, schema_editor):
    from backoffice.schedules import schedule_upsert

    schedule_upsert(
        apps,
        name=NAME,
        func="backoffice.correspondence.tasks.absences_return",
        schedule_type="I",
        minutes=15,
    )


def unschedule(apps, schema_editor):
    from backoffice.schedules import schedule_delete

    schedule_delete(apps, NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0007_inbox_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
