from django.db import migrations

PERMISSIONS = {
    "Administrateur national": [
        "privacy.view_archivecheck",
        "privacy.view_retentionrun",
        "privacy.add_retentionrun",
        "privacy.change_retentionrun",
        "privacy.view_erasedthread",
        "privacy.view_legalhold",
        "privacy.add_legalhold",
        "privacy.change_legalhold",
        "privacy.view_accessexport",
        "privacy.add_accessexport",
        "privacy.view_readalert",
        "privacy.change_readalert",
        "correspondence.view_threadread",
    ],
}


def sync(apps, schema_editor):
    from backoffice.organisation.roles import roles_sync

    roles_sync(apps, extra=PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_schedules")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
