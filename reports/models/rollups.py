"""The daily roll-up: per day, counsellor, modality (MSA), motif and audience, the counts and
sums every report adds up. Rebuilt whole for a day by `rollup_day_recompute`; never edited.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    JOBSEEKERS = "jobseekers", _("demandeurs d'emploi")
    EMPLOYERS = "employers", _("entreprises")
    UNKNOWN = "unknown", _("non identifié")


def _dimension(model: str, verbose_name, related_name: str = "+"):
    # Read-only references into other packages: no DB constraint, so a roll-up never blocks
    # (or is blocked by) their writes; the day is simply recomputed.
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class DailyRollup(models.Model):
    day = models.DateField(_("jour"))
    region = _dimension("organisation.Region", _("région"))
    agency = _dimension("organisation.Agency", _("agence"))
    team = _dimension("organisation.Team", _("équipe"))
    counsellor = _dimension("organisation.Counsellor", _("conseiller"))
    modality = _dimension("caseloads.Modality", _("modalité"))
    # The thread's motif (a precise motif or a family); its family is read from the motif.
    motif = _dimension("answer_repository.Motif", _("motif"))
    audience = models.CharField(_("public"), max_length=10, choices=Audience.choices)

    received = models.PositiveIntegerField(_("reçus"), default=0)
    answered = models.PositiveIntegerField(_("réponses"), default=0)
    answered_within = models.PositiveIntegerField(_("réponses dans le délai"), default=0)
    unanswered_end = models.PositiveIntegerField(_("en attente en fin de journée"), default=0)
    holding_notices = models.PositiveIntegerField(_("messages d'attente"), default=0)
    breaches = models.PositiveIntegerField(_("délais dépassés"), default=0)
    new_contacts = models.PositiveIntegerField(_("nouveaux contacts"), default=0)
    ratings = models.PositiveIntegerField(_("notes reçues"), default=0)
    rating_sum = models.PositiveIntegerField(_("somme des notes"), default=0)
    # False for a row that only carries a backlog (no activity that day).
    flow = models.BooleanField(_("activité"), default=True)
    # Business hours of every reply of the day: exact medians and percentiles over any period.
    response_hours = models.JSONField(_("délais de réponse (heures ouvrées)"), default=list)

    class Meta:
        verbose_name = _("agrégat quotidien")
        verbose_name_plural = _("agrégats quotidiens")
        indexes = [
            models.Index(fields=["day", "region"], name="rollup_day_region"),
            models.Index(fields=["day", "agency"], name="rollup_day_agency"),
            models.Index(
                fields=["day", "region"], name="rollup_flow_day", condition=models.Q(flow=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} – {self.counsellor_id or '-'}"


class RollupDay(models.Model):
    """Marks a day whose roll-up rows are complete; a day without one is computed live."""

    day = models.DateField(_("jour"), unique=True)
    computed_at = models.DateTimeField(_("calculé le"))
    rows = models.PositiveIntegerField(_("lignes"), default=0)
    # True once the caseloads of the day are in CaseloadDay (reports count them there).
    caseload = models.BooleanField(_("portefeuilles relevés"), default=False)
    # True while the threads unanswered at the end of the day are in BacklogThread.
    backlog_threads = models.BooleanField(_("fils en attente relevés"), default=False)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("journée agrégée")
        verbose_name_plural = _("journées agrégées")

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y}"


class CaseloadDay(models.Model):
    """The caseloads of one day: open referent assignments of jobseekers per counsellor and
    modality, taken by the nightly roll-up. Reports whose period ends on such a day count
    their "jobseekers in caseload" here instead of over every assignment; the snapshots
    of month ends are kept, the others for MAILNET_REPORTS_CASELOAD_DAYS days."""

    day = models.DateField(_("jour"))
    region = _dimension("organisation.Region", _("région"))
    agency = _dimension("organisation.Agency", _("agence"))
    team = _dimension("organisation.Team", _("équipe"))
    counsellor = _dimension("organisation.Counsellor", _("conseiller"))
    modality = _dimension("caseloads.Modality", _("modalité"))
    jobseekers = models.PositiveIntegerField(_("demandeurs d'emploi"), default=0)

    class Meta:
        verbose_name = _("portefeuilles du jour")
        verbose_name_plural = _("portefeuilles du jour")
        indexes = [
            models.Index(fields=["day", "region"], name="caseload_day_region"),
            models.Index(fields=["day", "agency"], name="caseload_day_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} – {self.counsellor_id or '-'}"


class BacklogThread(models.Model):
    """One thread unanswered at the end of a rolled-up day (in its agency's time zone).

    Taken by the nightly roll-up from every message, kept for a few days: a later day's
    backlog (today's, live) starts from the latest set and reads again only the threads
    with mail since (selectors/backlog.py)."""

    day = models.DateField(_("jour"))
    thread = _dimension("correspondence.Thread", _("fil"))

    class Meta:
        verbose_name = _("fil en attente en fin de journée")
        verbose_name_plural = _("fils en attente en fin de journée")
        indexes = [models.Index(fields=["day", "thread"], name="backlog_thread_day")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} – {self.thread_id}"
