"""[sla] The reply clock's records: history of warnings, new contacts, and the outbox.

`SlaEvent` is both the per-thread history and the persistent admin notice of the person it
concerns (`recipient`, `read_at`). `OutboxMail` makes every automatic mail exactly-once:
a unique `key` per (thread, kind[, cycle]) and a Message-ID fixed when it is queued.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.caseloads.models import Employer, Jobseeker
from backoffice.organisation.models import Counsellor

from .core import Thread


class ScheduledContact(models.Model):
    """A contact (call, video, meeting at the agency) promised to a correspondent."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("téléphone")
        VIDEO = "video", _("visioconférence")
        AGENCY = "agency", _("rendez-vous en agence")

    counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        related_name="scheduled_contacts",
        verbose_name=_("conseiller"),
    )
    thread = models.ForeignKey(
        Thread,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scheduled_contacts",
        verbose_name=_("fil"),
    )
    jobseeker = models.ForeignKey(
        Jobseeker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scheduled_contacts",
        verbose_name=_("demandeur d'emploi"),
    )
    employer = models.ForeignKey(
        Employer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scheduled_contacts",
        verbose_name=_("entreprise"),
    )
    scheduled_for = models.DateTimeField(_("prévu le"))
    channel = models.CharField(
        _("canal"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    auto = models.BooleanField(_("automatique"), default=False)
    note = models.TextField(_("note"), blank=True)
    # [inbox] an appointment proposed in a reply: the mail that carried its .ics invitation.
    message = models.ForeignKey(
        "Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scheduled_contacts",
        verbose_name=_("courriel d'invitation"),
    )
    ics_uid = models.CharField(_("UID iCalendar"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        ordering = ["scheduled_for"]
        verbose_name = _("contact programmé")
        verbose_name_plural = _("contacts programmés")
        constraints = [
            # The sweep schedules at most one automatic contact per thread.
            models.UniqueConstraint(
                fields=["thread"], condition=models.Q(auto=True), name="contact_auto_once"
            ),
            models.CheckConstraint(
                condition=~(models.Q(jobseeker__isnull=False) & models.Q(employer__isnull=False)),
                name="contact_one_correspondent",
            ),
        ]
        indexes = [models.Index(fields=["counsellor", "scheduled_for"], name="contact_agenda")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} – {self.scheduled_for:%d/%m/%Y %H:%M}"


class SlaEvent(models.Model):
    """One step of a thread's clock, and the admin notice of whoever it concerns."""

    class Kind(models.TextChoices):
        DEADLINE_SET = "deadline_set", _("échéance fixée")
        DEADLINE_CLEARED = "deadline_cleared", _("échéance levée")
        WARNING = "warning", _("alerte avant échéance")
        HOLDING_NOTICE = "holding_notice", _("message d'attente envoyé")
        HOLDING_WITHHELD = "holding_withheld", _("message d'attente non envoyé")
        CONTACT_SCHEDULED = "contact_scheduled", _("nouveau contact programmé")
        MANAGER_INFORMED = "manager_informed", _("responsable informé")
        BREACH = "breach", _("délai dépassé")

    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="sla_events", verbose_name=_("fil")
    )
    kind = models.CharField(_("étape"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("le"))
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    recipient = models.ForeignKey(
        Counsellor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sla_notices",
        verbose_name=_("destinataire"),
    )
    detail = models.CharField(_("détail"), max_length=300, blank=True)
    read_at = models.DateTimeField(_("lu le"), null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("étape de délai")
        verbose_name_plural = _("étapes de délai")
        indexes = [
            models.Index(fields=["thread", "at"], name="slaevent_thread"),
            models.Index(
                fields=["recipient", "at"],
                name="slaevent_unread",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%d/%m/%Y %H:%M})"


class OutboxMail(models.Model):
    """An automatic mail, queued once under a unique key, sent (at least) once.

    The Message-ID is fixed when queued: a sender that dies after the SMTP transaction but
    before marking the row can only send this same message again, never a new one.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", _("alerte au conseiller")
        HOLDING_NOTICE = "holding_notice", _("message d'attente")
        MANAGER_HOLDING = "manager_holding", _("information du responsable")

    class State(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENT = "sent", _("envoyé")
        SUPPRESSED = "suppressed", _("non envoyé (plafond)")
        FAILED = "failed", _("en échec")

    key = models.CharField(_("clé"), max_length=120, unique=True)
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="outbox_mails", verbose_name=_("fil")
    )
    kind = models.CharField(_("nature"), max_length=20, choices=Kind.choices)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_address = models.CharField(_("de"), max_length=254)
    to_address = models.EmailField(_("à"), max_length=254)
    subject = models.CharField(_("objet"), max_length=255)
    body = models.TextField(_("texte"))
    in_reply_to = models.CharField(max_length=998, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    queued_at = models.DateTimeField(_("mis en file le"))
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["queued_at", "pk"]
        verbose_name = _("courriel automatique")
        verbose_name_plural = _("courriels automatiques")
        indexes = [
            models.Index(
                fields=["queued_at"], name="outbox_pending", condition=models.Q(state="pending")
            ),
            models.Index(fields=["to_address", "queued_at"], name="outbox_address_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_address}"
