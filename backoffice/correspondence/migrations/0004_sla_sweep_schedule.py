"""[sla] The django-q2 schedule of the sweep, every five minutes (idempotent)."""

from django.db import migrations


def schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="mailnet-sla-sweep",
        defaults={
            "func": "backoffice.correspondence.tasks.sla_sweep",
            "schedule_type": "I",
            "minutes": 5,
            "repeats": -1,
        },
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="mailnet-sla-sweep").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0003_sla_due_indexes_and_roles"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
