"""Excel exports built in the background: on demand by a user, or monthly per region."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("prêt")
        FAILED = "failed", _("en échec")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    scheduled = models.BooleanField(_("programmé"), default=False)
    # The scope of the workbook: a region, an agency, or (both empty) the whole country.
    region = models.ForeignKey(
        "organisation.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("région"),
    )
    agency = models.ForeignKey(
        "organisation.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agence"),
    )
    with_counsellors = models.BooleanField(_("avec le détail par conseiller"), default=False)
    starts_on = models.DateField(_("du"))
    ends_on = models.DateField(_("au"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default="pending")
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    file = models.FileField(_("fichier"), upload_to="reports/exports/%Y/%m/", blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("demandé le"))
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("conservé jusqu'au"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export Excel")
        verbose_name_plural = _("exports Excel")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(region__isnull=False) & models.Q(agency__isnull=False)),
                name="exportjob_one_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="exportjob_period"
            ),
        ]

    def __str__(self) -> str:
        return self.filename or f"export {self.pk}"
