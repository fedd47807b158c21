"""Quality review: each week a share of every team's sent replies is drawn and scored.

`ReviewPolicy` says how much to draw per team; `ReviewDraw` records that a (team, week)
was drawn, once; `ReviewSample` is one sent reply drawn; `Review` is the manager's score
on the grid (clarity, accuracy, tone, legal correctness, timeliness, 1 to 4) and comment.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backoffice.correspondence.models import Message
from backoffice.organisation.models import Counsellor, Team

WEEK_RE = r"^[0-9]{4}-W[0-9]{2}$"


class ReviewPolicy(models.Model):
    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, related_name="review_policy", verbose_name=_("équipe")
    )
    share_percent = models.DecimalField(
        _("part tirée (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Part des réponses envoyées dans la semaine tirée pour la revue."),
    )
    min_per_counsellor = models.PositiveSmallIntegerField(
        _("minimum par conseiller"),
        default=1,
        validators=[MaxValueValidator(20)],
        help_text=_("Réponses tirées au moins pour chaque conseiller qui en a envoyé."),
    )
    is_active = models.BooleanField(_("revue active"), default=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        ordering = ["team__agency__code", "team__name"]
        verbose_name = _("règle de revue qualité")
        verbose_name_plural = _("règles de revue qualité")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_percent__gte=0) & models.Q(share_percent__lte=100),
                name="reviewpolicy_share_is_a_percentage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} – {self.share_percent} %"


class ReviewDraw(models.Model):
    """One weekly draw of one team: its existence makes the draw idempotent."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="review_draws", verbose_name=_("équipe")
    )
    week = models.CharField(_("semaine"), max_length=8, help_text=_("Semaine ISO, ex. 2026-W47."))
    starts_at = models.DateTimeField(_("du"))
    ends_at = models.DateTimeField(_("au"))
    drawn_at = models.DateTimeField(_("tiré le"))
    replies_sent = models.PositiveIntegerField(_("réponses envoyées"), default=0)
    share_percent = models.DecimalField(_("part tirée (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["-week", "team__name"]
        verbose_name = _("tirage de revue qualité")
        verbose_name_plural = _("tirages de revue qualité")
        constraints = [
            models.UniqueConstraint(fields=["team", "week"], name="reviewdraw_once_per_week"),
            models.CheckConstraint(
                condition=models.Q(week__regex=WEEK_RE), name="reviewdraw_week_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} – {self.week}"


class ReviewSample(models.Model):
    draw = models.ForeignKey(
        ReviewDraw, on_delete=models.CASCADE, related_name="samples", verbose_name=_("tirage")
    )
    # Copied from the draw so that lists filter and scope without a join through it.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="review_samples", verbose_name=_("équipe")
    )
    week = models.CharField(_("semaine"), max_length=8)
    # A reply that is deleted takes its sample and review with it (personal data).
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="+", verbose_name=_("réponse envoyée")
    )
    counsellor = models.ForeignKey(
        Counsellor,
        on_delete=models.PROTECT,
        related_name="review_samples",
        verbose_name=_("conseiller"),
    )
    drawn_at = models.DateTimeField(_("tiré le"))

    class Meta:
        ordering = ["-week", "counsellor__user__last_name", "pk"]
        verbose_name = _("réponse tirée")
        verbose_name_plural = _("réponses tirées")
        constraints = [
            models.UniqueConstraint(fields=["draw", "message"], name="reviewsample_once_per_draw")
        ]
        indexes = [
            models.Index(fields=["team", "week"], name="reviewsample_team_week"),
            models.Index(fields=["counsellor", "week"], name="reviewsample_counsellor"),
        ]

    def __str__(self) -> str:
        return f"{self.counsellor} – {self.week}"


REVIEW_CRITERIA = ("clarity", "accuracy", "tone", "legal_correctness", "timeliness")


def _score(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )


class Review(models.Model):
    CRITERIA = REVIEW_CRITERIA

    sample = models.OneToOneField(
        ReviewSample, on_delete=models.CASCADE, related_name="review", verbose_name=_("réponse")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("relecteur"),
    )
    reviewed_at = models.DateTimeField(_("relu le"))
    clarity = _score(_("clarté"))
    accuracy = _score(_("exactitude"))
    tone = _score(_("ton"))
    legal_correctness = _score(_("justesse juridique"))
    timeliness = _score(_("délai"))
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = _("revue qualité")
        verbose_name_plural = _("revues qualité")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    **{f"{name}__gte": 1 for name in REVIEW_CRITERIA},
                    **{f"{name}__lte": 4 for name in REVIEW_CRITERIA},
                ),
                name="review_scores_one_to_four",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sample} – {self.average:.1f}/4"

    @property
    def average(self) -> float:
        return sum(getattr(self, name) for name in self.CRITERIA) / len(self.CRITERIA)
