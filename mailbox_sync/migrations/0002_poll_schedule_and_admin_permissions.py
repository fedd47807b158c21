from django.db import migrations

MAILBOX_PERMISSIONS = [
    f"{app}.{action}_{model}"
    for app, model in (("django_mailbox", "mailbox"), ("mailbox_sync", "mailboxstate"))
    for action in ("add", "change", "delete", "view")
]


def forwards(apps, schema_editor):
    from backoffice.organisation.roles import NATIONAL_ADMIN, roles_sync
    from mailbox_sync.services.schedules import mailbox_schedules_ensure

    roles_sync(apps, extra={NATIONAL_ADMIN: MAILBOX_PERMISSIONS})
    mailbox_schedules_ensure(schedule_model=apps.get_model("django_q", "Schedule"))


def backwards(apps, schema_editor):
    from mailbox_sync.services.schedules import POLL_SCHEDULE_NAME

    apps.get_model("django_q", "Schedule").objects.filter(name=POLL_SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mailbox_sync", "0001_mailbox_state"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
        ("django_mailbox", "0009_alter_message_eml"),
        ("caseloads", "0003_roles"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
