"""[inbox] The django-q2 schedule giving threads back after an absence, every 15 minutes."""

from django.db import migrations

NAME = "mailnet-absences-return"


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=NAME,
        defaults={
            "func": "backoffice.correspondence.tasks.absences_return",
            "schedule_type": "I",
            "minutes": 15,
            "repeats": -1,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0007_inbox_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
