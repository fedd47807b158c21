from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxSyncConfig(AppConfig):
    name = "mailbox_sync"
    verbose_name = _("Relève du courrier")
