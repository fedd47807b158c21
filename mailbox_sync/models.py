"""Our state beside django-mailbox's `Mailbox`: triage agency, poll counters, IMAP cursor.

django-mailbox's `Mailbox` keeps the configuration (name, uri, active); everything we need to
poll safely and to show in the admin lives in `MailboxState`, one row per mailbox.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_mailbox.models import Mailbox

from backoffice.organisation.models import Agency


class MailboxState(models.Model):
    mailbox = models.OneToOneField(
        Mailbox,
        on_delete=models.CASCADE,
        related_name="sync_state",
        verbose_name=_("boîte aux lettres"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="mailboxes",
        verbose_name=_("agence de tri"),
        help_text=_("L'agence dont la file de tri reçoit le courrier qui ne peut être routé."),
    )
    last_poll_at = models.DateTimeField(_("dernière relève"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("dernière relève réussie"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # Counts of the last poll, then totals since the mailbox was added.
    last_fetched = models.PositiveIntegerField(_("relevés"), default=0)
    last_stored = models.PositiveIntegerField(_("enregistrés"), default=0)
    last_duplicates = models.PositiveIntegerField(_("doublons"), default=0)
    last_triaged = models.PositiveIntegerField(_("en tri"), default=0)
    last_failed = models.PositiveIntegerField(_("en échec"), default=0)
    total_fetched = models.PositiveBigIntegerField(_("total relevés"), default=0)
    total_stored = models.PositiveBigIntegerField(_("total enregistrés"), default=0)
    total_duplicates = models.PositiveBigIntegerField(_("total doublons"), default=0)
    total_triaged = models.PositiveBigIntegerField(_("total en tri"), default=0)
    total_failed = models.PositiveBigIntegerField(_("total en échec"), default=0)
    # IMAP cursor: every UID up to `imap_last_uid` of this UIDVALIDITY is stored AND removed.
    imap_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    imap_last_uid = models.PositiveBigIntegerField(default=0)
    # One poll at a time per mailbox: "host:pid" of the poller holding the lease, and until when.
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("état de relève")
        verbose_name_plural = _("états de relève")

    def __str__(self) -> str:
        return str(self.mailbox)
