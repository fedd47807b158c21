from django_mailbox.models import Mailbox
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from mailbox_sync.viewsets import MailboxViewSet, NationalAdminPermissionPolicy

register_permission_policy(Mailbox, NationalAdminPermissionPolicy(Mailbox))


@hooks.register("register_admin_viewset")
def register_mailbox_viewset():
    return MailboxViewSet()
