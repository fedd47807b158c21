from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateUsage(models.Model):
    """One use of a template in a reply (recorded by the reply screen through a service)."""

    template = models.ForeignKey(
        "answer_repository.AnswerTemplate",
        verbose_name=_("modèle"),
        on_delete=models.CASCADE,
        related_name="usages",
    )
    used_at = models.DateTimeField(_("utilisé le"), db_index=True)

    class Meta:
        verbose_name = _("utilisation d'un modèle")
        verbose_name_plural = _("utilisations des modèles")
        ordering = ["-used_at"]
        indexes = [models.Index(fields=["template", "-used_at"])]

    def __str__(self):
        return f"{self.template_id} @ {self.used_at:%Y-%m-%d %H:%M}"
