from django.db import migrations


def sync(apps, schema_editor):
    """[inbox] and [privacy-archive]: grants apps.INBOX_ROLE_PERMISSIONS (add-only)."""
    from backoffice.correspondence.apps import INBOX_ROLE_PERMISSIONS
    from backoffice.organisation.roles import roles_sync

    roles_sync(apps, extra=INBOX_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("correspondence", "0006_inbox_archive")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
