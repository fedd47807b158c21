from django.db import migrations

PERMISSIONS = {
    "Conseiller": [
        "correspondence.view_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
    ],
    "Responsable d'équipe": [
        "correspondence.view_thread",
        "correspondence.change_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
        "correspondence.view_rawmail",
    ],
    "Administrateur national": [
        "correspondence.view_thread",
        "correspondence.change_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
        "correspondence.view_rawmail",
        "correspondence.view_remoteimagesconsent",
    ],
}


def sync(apps, schema_editor):
    from backoffice.organisation.roles import roles_sync

    roles_sync(apps, extra=PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0002_ingest_display"),
        ("caseloads", "0003_roles"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
