"""[imports] A large import is undone by a task: the batch shows "Annulation en cours" meanwhile."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("caseloads", "0009_assignment_jobseeker_lean_indexes"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="importbatch",
            name="importbatch_status_known",
        ),
        migrations.AlterField(
            model_name="importbatch",
            name="status",
            field=models.CharField(
                choices=[
                    ("uploaded", "Déposé"),
                    ("previewing", "Analyse en cours"),
                    ("previewed", "Prêt à confirmer"),
                    ("refused", "Refusé"),
                    ("applying", "Application en cours"),
                    ("applied", "Appliqué"),
                    ("failed", "Échec"),
                    ("undoing", "Annulation en cours"),
                    ("undone", "Annulé"),
                ],
                default="uploaded",
                max_length=12,
                verbose_name="état",
            ),
        ),
        migrations.AddConstraint(
            model_name="importbatch",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "uploaded",
                            "previewing",
                            "previewed",
                            "refused",
                            "applying",
                            "applied",
                            "failed",
                            "undoing",
                            "undone",
                        ],
                    )
                ),
                name="importbatch_status_known",
            ),
        ),
    ]
