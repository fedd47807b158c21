"""[reports] An index on `Message.received_at`: a day's mail is read by time (roll-ups and
live figures), which otherwise scans every message.

Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so mail keeps flowing while it is built
on a large table; other databases (SQLite) build it the ordinary way.
"""

from django.db import migrations, models

from backoffice.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("correspondence", "0008_delegation_return_schedule"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="message",
            index=models.Index(fields=["received_at"], name="message_received_at"),
        ),
    ]
