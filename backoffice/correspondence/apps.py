from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CorrespondenceConfig(AppConfig):
    name = "backoffice.correspondence"
    label = "correspondence"
    verbose_name = _("Correspondance")

    def ready(self):
        from django.db.models import Q

        from backoffice.organisation import access, roles

        from .models import (
            ArchiveEntry,
            Attachment,
            Consultation,
            Message,
            OutboxMail,
            RawMail,
            RemoteImagesConsent,
            ScheduledContact,
            SlaEvent,
            Thread,
            ThreadEvent,
            ThreadRead,
        )

        # Managers read and write their agency's threads; counsellors read their agency's
        # and write their own; pilots never see mail (personal data).
        access.scope_register(
            Thread,
            agency="agency_id",
            region="agency__region_id",
            caseload="counsellor_id",
            personal=True,
        )
        access.scope_register(
            Message, agency="thread__agency_id", caseload="thread__counsellor_id", personal=True
        )
        access.scope_register(
            Attachment,
            agency="message__thread__agency_id",
            caseload="message__thread__counsellor_id",
            personal=True,
        )
        # Raw mails of the triage queue: the agency that receives what cannot be routed.
        access.scope_register(RawMail, agency="agency_id", personal=True)
        access.scope_register(
            RemoteImagesConsent, agency="thread__agency_id", caseload="user__counsellor__pk"
        )
        # [sla]: the thread's history and notices, contacts, and the automatic mail outbox.
        access.scope_register(
            SlaEvent, agency="thread__agency_id", caseload="thread__counsellor_id", personal=True
        )
        access.scope_register(
            ScheduledContact,
            agency="counsellor__agency_id",
            caseload="counsellor_id",
            personal=True,
        )
        access.scope_register(OutboxMail, personal=True)
        # [inbox]: the read log (who read what is personal too), moves and consultations;
        # an expert sees the consultations put to them.
        access.scope_register(ThreadRead, agency="thread__agency_id", personal=True)
        access.scope_register(
            ThreadEvent, agency="thread__agency_id", caseload="thread__counsellor_id", personal=True
        )
        access.scope_register(
            Consultation,
            agency="thread__agency_id",
            caseload=lambda ids: Q(asked_by_id__in=ids) | Q(expert_id__in=ids),
            personal=True,
        )
        # [privacy-archive]: the chain is the administrators' alone.
        access.scope_register(ArchiveEntry, personal=True)
        for role, permissions in ROLE_PERMISSIONS.items():
            roles.role_permissions_extend(role, permissions)
        for role, permissions in INBOX_ROLE_PERMISSIONS.items():
            roles.role_permissions_extend(role, permissions)


# Kept in step with migration 0003_ingest_roles so a later roles_sync grants the same.
ROLE_PERMISSIONS = {
    "Conseiller": [
        "correspondence.view_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
    ],
    "Responsable d'équipe": [
        "correspondence.view_thread",
        "correspondence.change_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
        "correspondence.view_rawmail",
    ],
    "Administrateur national": [
        "correspondence.view_thread",
        "correspondence.change_thread",
        "correspondence.view_message",
        "correspondence.view_attachment",
        "correspondence.view_rawmail",
        "correspondence.view_remoteimagesconsent",
    ],
}

# [inbox] and [privacy-archive]: counsellors write on their own threads (reply, transfer,
# consult), managers dispatch and read their agency's read log, administrators also read the
# archive chain. Migration 0007_inbox_roles grants these; add new grants in a new migration.
_INBOX_SHARED = [
    "correspondence.add_message",
    "correspondence.view_scheduledcontact",
    "correspondence.add_scheduledcontact",
    "correspondence.view_threadevent",
    "correspondence.view_consultation",
    "correspondence.add_consultation",
    "correspondence.change_consultation",
]
INBOX_ROLE_PERMISSIONS = {
    "Conseiller": ["correspondence.change_thread", *_INBOX_SHARED],
    "Responsable d'équipe": [*_INBOX_SHARED, "correspondence.view_threadread"],
    "Administrateur national": [
        *_INBOX_SHARED,
        "correspondence.view_threadread",
        "correspondence.view_archiveentry",
    ],
}
