from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    """The counsellor's and the manager's screens over correspondence: no models of its own."""

    name = "inbox"
    verbose_name = _("Boîte de réception")
