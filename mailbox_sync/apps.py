from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxSyncConfig(AppConfig):
    name = "mailbox_sync"
    verbose_name = _("Relève du courrier")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backoffice.organisation import roles

        # Mailbox configuration is the national administrator's alone.
        roles.role_permissions_extend(
            roles.NATIONAL_ADMIN,
            [
                f"{app}.{action}_{model}"
                for app, model in (("django_mailbox", "mailbox"), ("mailbox_sync", "mailboxstate"))
                for action in ("add", "change", "delete", "view")
            ],
        )
