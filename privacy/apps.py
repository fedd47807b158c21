from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Archive verification, retention, right of access and the read audit."""

    name = "privacy"
    verbose_name = _("Données personnelles et archive")
