"""Who follows whom: modalities (MSA), jobseekers, employers and assignments."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from backoffice.organisation.models import Counsellor

JOBSEEKER_IDENTIFIER_RE = r"^[0-9]{7}[A-Z]$"
SIRET_RE = r"^[0-9]{14}$"


def luhn_complete(prefix: str) -> str:
    """Appends the check digit that makes `prefix` + digit pass the Luhn check (SIREN/SIRET)."""
    total = 0
    # The check digit sits at index 0 from the right, so prefix digits start at index 1.
    for index, char in enumerate(reversed(prefix), start=1):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return prefix + str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by SIREN/SIRET numbers."""
    return len(digits) > 1 and digits.isdigit() and luhn_complete(digits[:-1]) == digits


def validate_siret(value: str) -> None:
    if len(value) != 14 or not value.isdigit():
        raise ValidationError(_("Un SIRET compte exactement 14 chiffres."))
    # La Poste's establishments (SIREN 356000000) follow a digit-sum rule instead of Luhn.
    if value.startswith("356000000"):
        if sum(int(c) for c in value) % 5 != 0:
            raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle)."))
        return
    if not luhn_valid(value):
        raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle de Luhn)."))


class Modality(models.Model):
    """A follow-up modality (MSA): Suivi, Guidé, Renforcé, Accompagnement global, CVE, AIJ."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("nom"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_intensive = models.BooleanField(_("accompagnement intensif"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("modalité de suivi")
        verbose_name_plural = _("modalités de suivi")

    def __str__(self) -> str:
        return self.name


class Jobseeker(models.Model):
    """A jobseeker (demandeur d'emploi, DE)."""

    identifier = models.CharField(
        _("identifiant DE"),
        max_length=8,
        validators=[
            RegexValidator(
                JOBSEEKER_IDENTIFIER_RE,
                _("L'identifiant compte 7 chiffres et une lettre majuscule."),
            )
        ],
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("demandeur d'emploi")
        verbose_name_plural = _("demandeurs d'emploi")
        # The identifier's uniqueness and the e-mail index are declared here rather than
        # on the fields: on PostgreSQL, `unique=True` and `db_index=True` on a CharField
        # each add a second, varchar_pattern_ops index for LIKE 'prefix%', which nothing
        # here runs (lookups are exact), and which every import paid for on each new row.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(identifier__regex=JOBSEEKER_IDENTIFIER_RE),
                name="jobseeker_identifier_format",
            ),
            models.UniqueConstraint(fields=["identifier"], name="jobseeker_identifier_unique"),
        ]
        indexes = [models.Index(fields=["email"], name="jobseeker_email")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.identifier})"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class Employer(ClusterableModel):
    siret = models.CharField(_("SIRET"), max_length=14, unique=True, validators=[validate_siret])
    name = models.CharField(_("raison sociale"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprises")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret__regex=SIRET_RE), name="employer_siret_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.siret})"


class EmployerContact(models.Model):
    employer = ParentalKey(Employer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nom"), max_length=150, blank=True)
    email = models.EmailField(_("courriel"), db_index=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "email"], name="employer_contact_unique_email"
            )
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class AssignmentKind(models.TextChoices):
    REFERENT = "referent", _("Conseiller référent")
    BENEFITS = "benefits", _("Conseiller indemnisation dédié")


class Assignment(models.Model):
    """Who follows whom since when: a jobseeker or an employer, and a counsellor."""

    jobseeker = models.ForeignKey(
        Jobseeker,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("demandeur d'emploi"),
    )
    # Indexed below, on the rows that have one (most assignments follow a jobseeker).
    employer = models.ForeignKey(
        Employer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("entreprise"),
        db_index=False,
    )
    # Indexed first by assignment_counsellor_open (counsellor, ends_on).
    counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("conseiller"),
        db_index=False,
    )
    kind = models.CharField(
        _("type d'affectation"),
        max_length=10,
        choices=AssignmentKind.choices,
        default=AssignmentKind.REFERENT,
    )
    # Not indexed: a handful of values, read from the assignment's side; deleting a
    # modality (protected) scans the table, which is rare and acceptable.
    modality = models.ForeignKey(
        Modality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("modalité"),
        db_index=False,
    )
    starts_on = models.DateField(_("date d'affectation"))
    ends_on = models.DateField(_("date de fin"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("affectation")
        verbose_name_plural = _("affectations")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(jobseeker__isnull=False) & models.Q(employer__isnull=True))
                | (models.Q(jobseeker__isnull=True) & models.Q(employer__isnull=False)),
                name="assignment_one_party",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="assignment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=AssignmentKind.values), name="assignment_kind_known"
            ),
            models.UniqueConstraint(
                fields=["jobseeker", "kind"],
                condition=models.Q(ends_on__isnull=True, jobseeker__isnull=False),
                name="assignment_one_open_per_jobseeker_kind",
                violation_error_message=_(
                    "Ce demandeur d'emploi a déjà une affectation ouverte de ce type."
                ),
            ),
            models.UniqueConstraint(
                fields=["employer", "kind"],
                condition=models.Q(ends_on__isnull=True, employer__isnull=False),
                name="assignment_one_open_per_employer_kind",
                violation_error_message=_(
                    "Cette entreprise a déjà une affectation ouverte de ce type."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["counsellor", "ends_on"], name="assignment_counsellor_open"),
            models.Index(
                fields=["employer"],
                condition=models.Q(employer__isnull=False),
                name="assignment_employer",
            ),
            # [reports] caseloads counted live (today): read from the index alone on PostgreSQL.
            models.Index(
                fields=["counsellor"],
                include=["starts_on", "ends_on", "modality"],
                condition=models.Q(kind=AssignmentKind.REFERENT, jobseeker__isnull=False),
                name="assignment_referent_caseload",
            ),
        ]

    def __str__(self) -> str:
        party = self.jobseeker or self.employer
        return f"{party} → {self.counsellor}"

    @property
    def party(self):
        return self.jobseeker or self.employer

    @property
    def is_open(self) -> bool:
        return self.ends_on is None

    def clean(self) -> None:
        if bool(self.jobseeker_id) == bool(self.employer_id):
            raise ValidationError(
                _("Une affectation concerne soit un demandeur d'emploi, soit une entreprise.")
            )
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("La date de fin précède la date d'affectation.")})


from .imports.models import ImportBatch, ImportChange  # noqa: E402, F401
