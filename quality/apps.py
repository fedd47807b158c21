from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    """Weekly quality review of sent replies, scored by team managers."""

    name = "quality"
    verbose_name = _("Qualité des réponses")

    def ready(self):
        from backoffice.organisation import access, roles

        from .models import Review, ReviewDraw, ReviewPolicy, ReviewSample

        # Managers read and score their agency's samples and set its teams' policies;
        # counsellors only read their own reviews (narrowed in selectors.samples_for);
        # pilots get no permission at all: a sample is a mail's text.
        access.scope_register(ReviewPolicy, agency="team__agency_id")
        access.scope_register(ReviewDraw, agency="team__agency_id")
        access.scope_register(ReviewSample, agency="team__agency_id", personal=True)
        access.scope_register(Review, agency="sample__team__agency_id", personal=True)
        for role, permissions in QUALITY_ROLE_PERMISSIONS.items():
            roles.role_permissions_extend(role, permissions)


# Granted by migration 0002_review_roles; a later roles_sync grants the same.
QUALITY_ROLE_PERMISSIONS = {
    "Conseiller": ["quality.view_reviewsample", "quality.view_review"],
    "Responsable d'équipe": [
        "quality.add_reviewpolicy",
        "quality.change_reviewpolicy",
        "quality.view_reviewpolicy",
        "quality.view_reviewdraw",
        "quality.view_reviewsample",
        "quality.add_review",
        "quality.change_review",
        "quality.view_review",
    ],
    "Administrateur national": [
        "quality.add_reviewpolicy",
        "quality.change_reviewpolicy",
        "quality.delete_reviewpolicy",
        "quality.view_reviewpolicy",
        "quality.view_reviewdraw",
        "quality.view_reviewsample",
        "quality.add_review",
        "quality.change_review",
        "quality.view_review",
    ],
}
