"""[inbox] Quality review: who may do what (see quality.apps.QUALITY_ROLE_PERMISSIONS)."""

from django.db import migrations


def sync(apps, schema_editor):
    from backoffice.organisation.roles import roles_sync
    from quality.apps import QUALITY_ROLE_PERMISSIONS

    roles_sync(apps, extra=QUALITY_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_review")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
