from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnswerRepositoryConfig(AppConfig):
    name = "answer_repository"
    verbose_name = _("Référentiel de réponses")
