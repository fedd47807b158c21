from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """Archive verification, retention, right of access and the read audit."""

    name = "privacy"
    verbose_name = _("Données personnelles et archive")

    def ready(self):
        from backoffice.organisation import access, roles

        from .models import (
            AccessExport,
            ArchiveCheck,
            ErasedThread,
            LegalHold,
            ReadAlert,
            RetentionRun,
        )

        # The administrators' alone (no agency, region or caseload rule): managers and
        # counsellors see none of it; the read log itself (ThreadRead) is scoped by
        # correspondence (managers: their agency).
        access.scope_register(ArchiveCheck)
        access.scope_register(RetentionRun)
        access.scope_register(ErasedThread, personal=True)
        access.scope_register(LegalHold, personal=True)
        access.scope_register(AccessExport, personal=True)
        access.scope_register(ReadAlert, agency="agency_id", personal=True)
        for role, permissions in ROLE_PERMISSIONS.items():
            roles.role_permissions_extend(role, permissions)


# Granted by migration 0004_roles; add new grants in a new migration.
ROLE_PERMISSIONS = {
    "Administrateur national": [
        "privacy.view_archivecheck",
        "privacy.view_retentionrun",
        "privacy.add_retentionrun",
        "privacy.change_retentionrun",
        "privacy.view_erasedthread",
        "privacy.view_legalhold",
        "privacy.add_legalhold",
        "privacy.change_legalhold",
        "privacy.view_accessexport",
        "privacy.add_accessexport",
        "privacy.view_readalert",
        "privacy.change_readalert",
        "correspondence.view_threadread",
    ],
}
