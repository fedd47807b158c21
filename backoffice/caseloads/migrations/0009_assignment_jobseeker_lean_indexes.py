"""[imports] Fewer indexes for every assignment and jobseeker an import writes.

Dropped, because another index already serves their reads or nothing reads through them:
- assignment.counsellor_id: `assignment_counsellor_open` (counsellor, ends_on) leads with it;
- assignment.employer_id: replaced by `assignment_employer`, on the rows that have one
  (most assignments follow a jobseeker and held NULL entries there);
- assignment.modality_id: a handful of values, always read from the assignment's side;
- the varchar_pattern_ops twins PostgreSQL gets for `unique=True` and `db_index=True` on
  jobseeker.identifier and jobseeker.email: no query here runs LIKE 'prefix%' on them.
  Their plain unique constraint and index are rebuilt under names of our own first.

Measured on the imports benchmark's writes (900,000 assignments and 700,000 jobseekers
into tables of 2.5 and 2 million rows): 17.5 s down to 13.4 s for the assignments,
7.4 s down to 5.3 s for the jobseekers (one twin index fewer). The new unique index and
e-mail index are built in the migration's transaction (a few seconds at national size,
writes to jobseekers wait meanwhile): run it outside opening hours.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("caseloads", "0008_assignment_referent_caseload_index"),
        ("organisation", "0002_closure_day"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="jobseeker",
            constraint=models.UniqueConstraint(
                fields=("identifier",), name="jobseeker_identifier_unique"
            ),
        ),
        migrations.AddIndex(
            model_name="jobseeker",
            index=models.Index(fields=["email"], name="jobseeker_email"),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("employer__isnull", False)),
                fields=["employer"],
                name="assignment_employer",
            ),
        ),
        migrations.AlterField(
            model_name="jobseeker",
            name="identifier",
            field=models.CharField(
                max_length=8,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[0-9]{7}[A-Z]$",
                        "L'identifiant compte 7 chiffres et une lettre majuscule.",
                    )
                ],
                verbose_name="identifiant DE",
            ),
        ),
        migrations.AlterField(
            model_name="jobseeker",
            name="email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="courriel"),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="counsellor",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="organisation.counsellor",
                verbose_name="conseiller",
            ),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="employer",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="caseloads.employer",
                verbose_name="entreprise",
            ),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="modality",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="caseloads.modality",
                verbose_name="modalité",
            ),
        ),
    ]
