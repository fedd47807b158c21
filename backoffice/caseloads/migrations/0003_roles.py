from django.db import migrations


def sync(apps, schema_editor):
    from backoffice.organisation.roles import roles_sync

    roles_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("caseloads", "0002_modalities"),
        ("organisation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
