"""Caseload imports: one ImportBatch per uploaded file, one ImportChange per row it changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.models import Agency, Counsellor


class ImportKind(models.TextChoices):
    JOBSEEKERS = "jobseekers", _("Demandeurs d'emploi")
    EMPLOYERS = "employers", _("Entreprises")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Déposé")
    PREVIEWING = "previewing", _("Analyse en cours")
    PREVIEWED = "previewed", _("Prêt à confirmer")
    REFUSED = "refused", _("Refusé")
    APPLYING = "applying", _("Application en cours")
    APPLIED = "applied", _("Appliqué")
    FAILED = "failed", _("Échec")
    UNDOING = "undoing", _("Annulation en cours")
    UNDONE = "undone", _("Annulé")


class ImportBatch(models.Model):
    """An uploaded spreadsheet, its preview counts and errors, and what applying it did."""

    file = models.FileField(_("fichier"), upload_to="caseload_imports/%Y/%m/")
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    size = models.BigIntegerField(_("taille (octets)"), default=0)
    kind = models.CharField(
        _("type"), max_length=12, choices=ImportKind.choices, default=ImportKind.JOBSEEKERS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="caseload_imports",
        verbose_name=_("déposé par"),
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    # The agency the uploader was limited to (a manager); empty for a national administrator.
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caseload_imports",
        verbose_name=_("agence"),
    )
    status = models.CharField(
        _("état"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    background = models.BooleanField(_("en tâche de fond"), default=False)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    unknown_columns = models.JSONField(_("colonnes ignorées"), default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("lignes"), default=0)
    new_count = models.PositiveIntegerField(_("nouvelles affectations"), default=0)
    transfer_count = models.PositiveIntegerField(_("transferts"), default=0)
    unchanged_count = models.PositiveIntegerField(_("inchangées"), default=0)
    error_count = models.PositiveIntegerField(_("lignes en erreur"), default=0)
    warning_count = models.PositiveIntegerField(_("avertissements"), default=0)
    # [[row, column, message, level], ...] capped at MAILNET_IMPORT_MAX_STORED_ERRORS.
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    # Every wrong row's number, uncapped: apply leaves exactly these out.
    error_rows = models.JSONField(_("lignes en erreur (numéros)"), default=list, blank=True)
    # PostgreSQL: the preview's cleaned rows, kept beside the file for the apply.
    staged_sha256 = models.CharField(
        _("empreinte des lignes analysées"), max_length=64, blank=True, default=""
    )
    skip_errors = models.BooleanField(_("appliqué sans les lignes en erreur"), default=False)
    previewed_at = models.DateTimeField(_("analysé le"), null=True, blank=True)
    applied_at = models.DateTimeField(_("appliqué le"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appliqué par"),
    )
    undone_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulé par"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import d'affectations")
        verbose_name_plural = _("imports d'affectations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importbatch_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="importbatch_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"Import n° {self.pk} ({self.original_name})"

    @property
    def is_running(self) -> bool:
        return self.status in {
            ImportStatus.PREVIEWING,
            ImportStatus.APPLYING,
            ImportStatus.UNDOING,
        }


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Affectation créée")
    CLOSED = "closed", _("Affectation clôturée")
    PARTY_CREATED = "party", _("Fiche créée")


class ImportChange(models.Model):
    """One change an import made, enough to undo it and to tell a later import it collides."""

    # The log is written in bulk by the import that holds the batch and has just checked
    # the counsellors, in the same transaction: PostgreSQL need not check both keys again
    # row by row at commit (half the commit of a large import). Django still cascades and
    # protects (on_delete), and the joins are unchanged.
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("import"),
        db_constraint=False,
    )
    row = models.PositiveIntegerField(_("ligne"))
    action = models.CharField(_("action"), max_length=8, choices=ChangeAction.choices)
    # Plain ids, not foreign keys: undo deletes what the import created, the log stays.
    assignment_id = models.BigIntegerField(_("affectation"), null=True, blank=True)
    jobseeker_id = models.BigIntegerField(_("demandeur d'emploi"), null=True, blank=True)
    employer_id = models.BigIntegerField(_("entreprise"), null=True, blank=True)
    party_key = models.CharField(_("identifiant DE ou SIRET"), max_length=14)
    kind = models.CharField(_("type d'affectation"), max_length=10)
    counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("conseiller"),
        db_constraint=False,
    )
    on_date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["batch", "row", "pk"]
        verbose_name = _("modification d'import")
        verbose_name_plural = _("modifications d'import")
        indexes = [
            models.Index(fields=["party_key", "kind", "batch"], name="importchange_party"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} – {self.party_key} (ligne {self.row})"
