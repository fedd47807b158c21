from django.db import migrations


def sync(apps, schema_editor):
    """Grants privacy.apps.ROLE_PERMISSIONS (add-only; new grants go in a new migration)."""
    from backoffice.organisation.roles import roles_sync
    from privacy.apps import ROLE_PERMISSIONS

    roles_sync(apps, extra=ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_schedules")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
