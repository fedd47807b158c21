"""Satisfaction: one rating (1 to 5, optional comment) per reply, given on a public page."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    message = models.OneToOneField(
        "correspondence.Message",
        on_delete=models.CASCADE,
        related_name="rating",
        verbose_name=_("réponse notée"),
    )
    score = models.PositiveSmallIntegerField(
        _("note"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("commentaire"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("donnée le"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("note de satisfaction")
        verbose_name_plural = _("notes de satisfaction")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="rating_created")]

    def __str__(self) -> str:
        return f"{self.score}/5"
