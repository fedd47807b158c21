"""Threads, messages and attachments, and the exact raw bytes every incoming mail came as.

[mail-in] fills them; [sla] owns `due_at` and the sweep fields; [inbox] adds the screens.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.caseloads.models import Employer, Jobseeker
from backoffice.organisation.models import Agency, Counsellor

from .immutable import ImmutableContentMixin


class RawMail(ImmutableContentMixin, models.Model):
    """The exact bytes of one fetched mail, stored before anything is derived from them.

    Unique by sha256: the same mail fetched twice (or from two mailboxes) is one row.
    Never updated after insert except its ingest bookkeeping; `data` only erased.
    """

    immutable_content_field = "data"

    class State(models.TextChoices):
        PENDING = "pending", _("à traiter")
        INGESTED = "ingested", _("intégré")
        TRIAGED = "triaged", _("en tri")
        FAILED = "failed", _("en échec")
        OVERSIZED = "oversized", _("trop volumineux")

    sha256 = models.CharField(max_length=64, unique=True)
    data = models.BinaryField(_("octets bruts"))
    size = models.PositiveIntegerField(_("taille"))
    mailbox_name = models.CharField(_("boîte"), max_length=255, blank=True)
    source_ref = models.CharField(_("référence à la source"), max_length=500, blank=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="raw_mails",
        verbose_name=_("agence de tri"),
    )
    fetched_at = models.DateTimeField(_("relevé le"), auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    ingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("courriel brut")
        verbose_name_plural = _("courriels bruts")
        indexes = [
            models.Index(
                fields=["fetched_at"],
                name="rawmail_pending",
                condition=models.Q(state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} o)"


class Thread(models.Model):
    class Status(models.TextChoices):
        AWAITING_REPLY = "awaiting", _("en attente de réponse")
        ANSWERED = "answered", _("répondu")
        CLOSED = "closed", _("clos")
        TRIAGE = "triage", _("à trier")

    counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="threads",
        verbose_name=_("conseiller"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="threads", verbose_name=_("agence")
    )
    jobseeker = models.ForeignKey(
        Jobseeker,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="threads",
        verbose_name=_("demandeur d'emploi"),
    )
    employer = models.ForeignKey(
        Employer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="threads",
        verbose_name=_("entreprise"),
    )
    correspondent_address = models.EmailField(_("adresse du correspondant"), max_length=254)
    subject = models.CharField(_("objet"), max_length=998, blank=True)
    normalised_subject = models.CharField(max_length=998, blank=True, db_index=True)
    token = models.CharField(_("jeton"), max_length=16, unique=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=Status.choices, default=Status.AWAITING_REPLY
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("dernier message"), null=True, blank=True)
    awaiting_since = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    warned_at = models.DateTimeField(_("alerte envoyée le"), null=True, blank=True)
    holding_notice_sent_at = models.DateTimeField(
        _("message d'attente envoyé le"), null=True, blank=True
    )
    breached_at = models.DateTimeField(_("délai dépassé le"), null=True, blank=True)
    closed_reason = models.CharField(_("motif de clôture"), max_length=300, blank=True)
    # [inbox]: why the person wrote (set by the counsellor or a manager; feeds reports).
    motif = models.ForeignKey(
        "answer_repository.Motif",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("motif"),
    )
    # [inbox]: the counsellor this thread returns to when their absence ends, while it is
    # held by a delegate or the team queue; empty otherwise.
    delegated_from = models.ForeignKey(
        Counsellor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delegated_threads",
        verbose_name=_("confié en l'absence de"),
    )

    class Meta:
        ordering = ["-last_message_at"]
        verbose_name = _("fil")
        verbose_name_plural = _("fils")
        indexes = [
            models.Index(fields=["counsellor", "status", "due_at"], name="thread_inbox"),
            models.Index(fields=["agency", "status"], name="thread_agency_status"),
            models.Index(
                fields=["counsellor", "correspondent_address", "normalised_subject"],
                name="thread_subject_match",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(jobseeker__isnull=False) & models.Q(employer__isnull=False)),
                name="thread_one_correspondent",
            )
        ]

    def __str__(self) -> str:
        return self.subject or _("(sans objet)")

    @property
    def correspondent(self):
        return self.jobseeker or self.employer


class SendState(models.TextChoices):
    QUEUED = "queued", _("en file d'envoi")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec d'envoi")


class Message(ImmutableContentMixin, models.Model):
    SendState = SendState
    immutable_content_field = "mime"

    class Direction(models.TextChoices):
        INCOMING = "in", _("reçu")
        OUTGOING = "out", _("envoyé")

    class Kind(models.TextChoices):
        NORMAL = "normal", _("courriel")
        AUTO_REPLY = "auto_reply", _("réponse automatique")
        BOUNCE = "bounce", _("non-remise")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    raw_mail = models.ForeignKey(
        RawMail, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NORMAL)
    message_id = models.CharField(_("Message-ID"), max_length=998, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(_("de"), max_length=998)
    from_name = models.CharField(_("nom de l'expéditeur"), max_length=998, blank=True)
    to_addresses = models.TextField(_("à"), blank=True)
    cc_addresses = models.TextField(_("copie"), blank=True)
    date_header = models.DateTimeField(_("date (en-tête)"), null=True, blank=True)
    received_at = models.DateTimeField(_("reçu le"))
    subject = models.CharField(_("objet"), max_length=998, blank=True)
    body_text = models.TextField(_("texte"), blank=True)
    body_html = models.TextField(_("HTML nettoyé"), blank=True)
    # The same sanitised HTML with its remote images kept, shown only to a reader who asks.
    body_html_with_remote_images = models.TextField(blank=True)
    has_remote_images = models.BooleanField(default=False)
    decoding_warnings = models.JSONField(_("avertissements de décodage"), default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    undelivered = models.BooleanField(_("non remis"), default=False)
    # [inbox] outgoing mail: queued on commit, sent by a django-q2 task, retried. The exact
    # MIME bytes are fixed when queued (Message-ID, Date, .ics) and never change after.
    send_state = models.CharField(
        _("envoi"), max_length=10, choices=SendState.choices, blank=True, default=""
    )
    send_attempts = models.PositiveSmallIntegerField(default=0)
    send_error = models.TextField(_("erreur d'envoi"), blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    mime = models.BinaryField(_("courriel envoyé (octets)"), null=True, blank=True)
    # One per submitted compose form: a double click or a resubmission sends once.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            # The same mail reaches a counsellor once, however often it is fetched.
            models.UniqueConstraint(fields=["raw_mail", "thread"], name="message_once_per_thread"),
        ]
        indexes = [
            models.Index(fields=["thread", "received_at"], name="message_thread_time"),
            # A day's mail by time, for the reports' roll-ups and live figures.
            models.Index(fields=["received_at"], name="message_received_at"),
            models.Index(
                fields=["received_at"],
                name="message_send_pending",
                condition=models.Q(send_state__in=["queued", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    name = models.CharField(_("nom"), max_length=255)
    content_type = models.CharField(_("type"), max_length=255)
    content_id = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("taille"))
    sha256 = models.CharField(max_length=64, db_index=True)
    extracted = models.BooleanField(
        default=True, help_text=_("Faux : pièce trop volumineuse, gardée dans le brut seulement.")
    )

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.name
