from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Weekly quality review of sent replies, scored by team managers."""

    name = "quality"
    verbose_name = _("Qualité des réponses")
