"""[sla] Partial indexes that keep "due before" and the sweep proportional to due threads.

Written as SQL (valid on SQLite and PostgreSQL) rather than AddIndex, because Thread's
Meta lives in core.py: an AddIndex here would make `makemigrations --check` want to
remove it again.
"""

from django.db import migrations

from backoffice.organisation import roles


def grant(apps, schema_editor):
    roles.roles_sync(
        apps,
        extra={
            roles.COUNSELLOR: [
                "correspondence.view_slaevent",
                "correspondence.view_scheduledcontact",
                "organisation.view_closureday",
            ],
            roles.MANAGER: [
                "correspondence.view_slaevent",
                "correspondence.view_scheduledcontact",
                "correspondence.add_scheduledcontact",
                "correspondence.change_scheduledcontact",
                "correspondence.view_outboxmail",
                "organisation.view_closureday",
                "organisation.add_closureday",
                "organisation.change_closureday",
                "organisation.delete_closureday",
            ],
            roles.REGIONAL_PILOT: ["organisation.view_closureday"],
            roles.NATIONAL_ADMIN: [
                "correspondence.view_slaevent",
                "correspondence.view_scheduledcontact",
                "correspondence.add_scheduledcontact",
                "correspondence.change_scheduledcontact",
                "correspondence.delete_scheduledcontact",
                "correspondence.view_outboxmail",
                "organisation.view_closureday",
                "organisation.add_closureday",
                "organisation.change_closureday",
                "organisation.delete_closureday",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0002_sla_contacts_events_outbox"),
        ("organisation", "0002_closure_day"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX thread_due_awaiting ON correspondence_thread (due_at) "
            "WHERE status = 'awaiting' AND due_at IS NOT NULL",
            "DROP INDEX thread_due_awaiting",
        ),
        migrations.RunSQL(
            "CREATE INDEX thread_sla_sweep ON correspondence_thread (due_at) "
            "WHERE status = 'awaiting' AND due_at IS NOT NULL AND breached_at IS NULL",
            "DROP INDEX thread_sla_sweep",
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
