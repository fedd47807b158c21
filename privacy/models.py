"""[privacy-archive] What the privacy package records: archive checks, retention runs and the
threads they erased, legal holds, right-of-access exports and read-audit alerts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.caseloads.models import Employer, Jobseeker
from backoffice.correspondence.models import Thread
from backoffice.organisation.models import Agency


class ArchiveCheck(models.Model):
    """One run of `archive_verify`: its verdict, the head it reached and the first problem."""

    started_at = models.DateTimeField(_("commencé le"))
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    ok = models.BooleanField(_("chaîne intacte"), default=False)
    entries = models.PositiveBigIntegerField(_("entrées vérifiées"), default=0)
    head_seq = models.PositiveBigIntegerField(_("dernier rang"), null=True, blank=True)
    head_hash = models.CharField(_("empreinte de tête"), max_length=64, blank=True)
    problem_seq = models.PositiveBigIntegerField(_("rang en défaut"), null=True, blank=True)
    problem = models.TextField(_("anomalie"), blank=True)
    triggered_by = models.CharField(_("lancé par"), max_length=150, blank=True)
    alerted_at = models.DateTimeField(_("administrateurs alertés le"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("contrôle de l'archive")
        verbose_name_plural = _("contrôles de l'archive")

    def __str__(self) -> str:
        verdict = _("intacte") if self.ok else _("en défaut")
        return f"{self.started_at:%d/%m/%Y %H:%M} – {verdict}"


class LegalHold(models.Model):
    """Stops retention for one person (litigation, inspection, a request in progress)."""

    jobseeker = models.ForeignKey(
        Jobseeker,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("demandeur d'emploi"),
    )
    employer = models.ForeignKey(
        Employer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="legal_holds",
        verbose_name=_("entreprise"),
    )
    reason = models.TextField(_("motif"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posé par"),
    )
    since = models.DateField(_("depuis le"), default=timezone.localdate)
    until = models.DateField(
        _("jusqu'au"), null=True, blank=True, help_text=_("Vide : jusqu'à levée explicite.")
    )

    class Meta:
        ordering = ["-since", "-pk"]
        verbose_name = _("gel juridique")
        verbose_name_plural = _("gels juridiques")
        constraints = [
            models.CheckConstraint(
                condition=(Q(jobseeker__isnull=False) & Q(employer__isnull=True))
                | (Q(jobseeker__isnull=True) & Q(employer__isnull=False)),
                name="legalhold_one_person",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="legalhold_until_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jobseeker or self.employer} ({self.since:%d/%m/%Y})"

    @property
    def person(self):
        return self.jobseeker or self.employer

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if bool(self.jobseeker_id) == bool(self.employer_id):
            raise ValidationError(
                _("Un gel concerne soit un demandeur d'emploi, soit une entreprise.")
            )


class RetentionRun(models.Model):
    """One pass of the retention policy: a dry run first (what would be erased), then maybe
    applied. The cut-off moments are fixed when the dry run is made."""

    class State(models.TextChoices):
        DRY_RUN = "dry_run", _("simulation")
        APPLYING = "applying", _("en cours d'application")
        APPLIED = "applied", _("appliquée")
        CANCELLED = "cancelled", _("abandonnée")

    created_at = models.DateTimeField(_("préparée le"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("préparée par"),
        help_text=_("Vide : la tâche planifiée."),
    )
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.DRY_RUN)
    followup_cutoff = models.DateField(_("fin de suivi avant le"))
    unknown_cutoff = models.DateTimeField(_("correspondants inconnus : dernier message avant"))
    threads = models.PositiveIntegerField(_("fils concernés"), default=0)
    messages = models.PositiveIntegerField(_("messages concernés"), default=0)
    attachments = models.PositiveIntegerField(_("pièces jointes concernées"), default=0)
    raw_mails = models.PositiveIntegerField(_("courriels bruts concernés"), default=0)
    held_threads = models.PositiveIntegerField(_("fils gelés (non effacés)"), default=0)
    # {"<agency id>": {"agency": "<label>", "threads": n, "messages": n}}
    by_agency = models.JSONField(_("par agence"), default=dict, blank=True)
    applied_at = models.DateTimeField(_("appliquée le"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appliquée par"),
    )
    erased_threads = models.PositiveIntegerField(_("fils effacés"), default=0)
    erased_raw_mails = models.PositiveIntegerField(_("courriels bruts effacés"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("passe de conservation")
        verbose_name_plural = _("passes de conservation")

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} – {self.get_state_display()}"


class ErasedThread(models.Model):
    """Marks a thread whose contents retention erased (the row stays for the statistics)."""

    thread = models.OneToOneField(
        Thread, on_delete=models.CASCADE, related_name="erasure", verbose_name=_("fil")
    )
    run = models.ForeignKey(
        RetentionRun,
        on_delete=models.PROTECT,
        related_name="erased",
        verbose_name=_("passe"),
    )
    erased_at = models.DateTimeField(_("effacé le"))

    class Meta:
        verbose_name = _("fil effacé")
        verbose_name_plural = _("fils effacés")

    def __str__(self) -> str:
        return f"#{self.thread_id} ({self.erased_at:%d/%m/%Y})"


class AccessExport(models.Model):
    """The log of every right-of-access export: who, when, whom, and the zip's sha256."""

    created_at = models.DateTimeField(_("exporté le"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exporté par"),
    )
    jobseeker = models.ForeignKey(
        Jobseeker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("demandeur d'emploi"),
    )
    employer = models.ForeignKey(
        Employer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entreprise"),
    )
    # Kept when the person is later deleted: the log must still say whom it concerned.
    person_label = models.CharField(_("personne"), max_length=300)
    threads = models.PositiveIntegerField(_("fils"), default=0)
    messages = models.PositiveIntegerField(_("messages"), default=0)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    sha256 = models.CharField(_("empreinte SHA-256 du zip"), max_length=64)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export au titre du droit d'accès")
        verbose_name_plural = _("exports au titre du droit d'accès")

    def __str__(self) -> str:
        return f"{self.person_label} – {self.created_at:%d/%m/%Y %H:%M}"


class ReadAlert(models.Model):
    """Someone opened at least MAILNET_READ_ALERT_THRESHOLD threads outside their caseload
    in one day. One per (user, day): the 15-minute check updates the count."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="read_alerts",
        verbose_name=_("lecteur"),
    )
    day = models.DateField(_("jour"))
    agency = models.ForeignKey(
        Agency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agence du lecteur"),
    )
    threads = models.PositiveIntegerField(_("fils hors portefeuille ouverts"))
    threshold = models.PositiveIntegerField(_("seuil"))
    created_at = models.DateTimeField(_("levée le"), default=timezone.now)
    mailed_at = models.DateTimeField(_("courriel envoyé le"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("vue le"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vue par"),
    )

    class Meta:
        ordering = ["-day", "-threads"]
        verbose_name = _("alerte de lecture")
        verbose_name_plural = _("alertes de lecture")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="readalert_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.day:%d/%m/%Y} ({self.threads})"
