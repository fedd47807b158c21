from django.db import migrations

MODALITIES = [
    ("SUIVI", "Suivi", "Suivi autonome et léger : le demandeur d'emploi est proche de l'emploi.", False, 10),
    ("GUIDE", "Guidé", "Appui régulier du conseiller dans la recherche d'emploi.", False, 20),
    ("RENFORCE", "Renforcé", "Accompagnement intensif, entretiens fréquents.", True, 30),
    ("GLOBAL", "Accompagnement global", "Accompagnement conjoint avec les services sociaux du département.", True, 40),
    ("CVE", "CVE", "Accompagnement intensif délégué (cadres, contrat de sécurisation).", True, 50),
    ("AIJ", "AIJ", "Accompagnement intensif des jeunes.", True, 60),
]


def seed(apps, schema_editor):
    Modality = apps.get_model("caseloads", "Modality")
    for code, name, description, intensive, order in MODALITIES:
        Modality.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "is_intensive": intensive, "sort_order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("caseloads", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
