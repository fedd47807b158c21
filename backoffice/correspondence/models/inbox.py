"""[inbox] Who read which thread, how threads moved, and the consultations of experts.

`ThreadRead` is the read log the service owes the people it writes about: one row per
opening of a thread by anyone. `ThreadEvent` is the thread's history of moves (assignment,
reassignment, transfer, absence delegation and return, motif, closing). `Consultation` is
an internal question to an expert, answered to the counsellor who keeps the thread.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.models import Counsellor

from .core import Thread


class ThreadRead(models.Model):
    class Via(models.TextChoices):
        INBOX = "inbox", _("boîte de réception")
        QUEUE = "queue", _("file de l'équipe")
        LOOKUP = "lookup", _("recherche d'une personne")
        REVIEW = "review", _("revue qualité")
        OTHER = "other", _("autre")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="reads", verbose_name=_("fil")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="thread_reads",
        verbose_name=_("lecteur"),
    )
    read_at = models.DateTimeField(_("lu le"), db_index=True)
    via = models.CharField(_("accès"), max_length=10, choices=Via.choices, default=Via.OTHER)
    # True when the reader was neither the thread's counsellor nor its delegate, nor a
    # manager of its agency: the readings the read-audit alert counts.
    outside_caseload = models.BooleanField(_("hors portefeuille"), default=False)

    class Meta:
        ordering = ["-read_at", "-pk"]
        verbose_name = _("lecture de fil")
        verbose_name_plural = _("lectures de fils")
        indexes = [
            models.Index(fields=["thread", "read_at"], name="threadread_thread"),
            models.Index(fields=["user", "read_at"], name="threadread_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.read_at:%d/%m/%Y %H:%M}"


class ThreadEvent(models.Model):
    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("attribué")
        REASSIGNED = "reassigned", _("réattribué")
        TRANSFERRED = "transferred", _("transféré à un expert")
        CONSULTED = "consulted", _("expert consulté")
        CONSULTATION_ANSWERED = "consult_answered", _("réponse de l'expert")
        DELEGATED = "delegated", _("confié pendant une absence")
        RETURNED = "returned", _("rendu au retour d'absence")
        MOTIF_SET = "motif_set", _("motif renseigné")
        CLOSED = "closed", _("clos sans réponse")
        REOPENED = "reopened", _("rouvert")
        REPLIED = "replied", _("réponse envoyée")
        SEND_FAILED = "send_failed", _("échec d'envoi")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="events", verbose_name=_("fil")
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("le"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
        help_text=_("Vide : une tâche automatique."),
    )
    from_counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("de"),
    )
    to_counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("à"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("événement de fil")
        verbose_name_plural = _("événements de fil")
        indexes = [models.Index(fields=["thread", "at"], name="threadevent_thread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y %H:%M})"


class Consultation(models.Model):
    """An expert asked by the thread's counsellor; the expert answers the counsellor only."""

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="consultations", verbose_name=_("fil")
    )
    asked_by = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        related_name="consultations_asked",
        verbose_name=_("demandé par"),
    )
    expert = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        related_name="consultations_received",
        verbose_name=_("expert"),
    )
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("demandé le"))
    answer = models.TextField(_("réponse"), blank=True)
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("consultation d'expert")
        verbose_name_plural = _("consultations d'expert")
        indexes = [
            models.Index(
                fields=["expert", "asked_at"],
                name="consultation_open",
                condition=models.Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} – {self.asked_at:%d/%m/%Y}"
