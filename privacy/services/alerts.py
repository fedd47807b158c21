"""[privacy-archive] Who the administrators are, and how they are told."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q

from backoffice.organisation import roles


def admins_recipients() -> list[str]:
    """Addresses of active superusers and members of "Administrateur national"."""
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=roles.NATIONAL_ADMIN))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(users))


def admins_notify(*, subject: str, body: str) -> int:
    """Mails the administrators; returns the number of recipients (0: nobody to tell)."""
    recipients = admins_recipients()
    if not recipients:
        return 0
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
        fail_silently=False,
    )
    return len(recipients)
