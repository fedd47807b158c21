"""Adding and changing a polled mailbox: django-mailbox's `Mailbox` plus our `MailboxState`."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_mailbox.models import Mailbox

from backoffice.organisation.models import Agency
from mailbox_sync.models import MailboxState
from mailbox_sync.uris import MailboxUriError, uri_parse


def _validate(*, name: str, uri: str, exclude_pk: int | None = None) -> None:
    errors = {}
    if not name.strip():
        errors["name"] = _("Donnez un nom à la boîte.")
    elif Mailbox.objects.filter(name=name.strip()).exclude(pk=exclude_pk).exists():
        errors["name"] = _("Une boîte porte déjà ce nom.")
    try:
        uri_parse(uri)
    except MailboxUriError as error:
        errors["uri"] = str(error)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mailbox_add(*, name: str, uri: str, agency: Agency, active: bool = True) -> Mailbox:
    """Creates a polled mailbox whose unroutable mail goes to `agency`'s triage.

    Raises ValidationError for a taken name or a URI our fetchers cannot poll.
    """
    _validate(name=name, uri=uri)
    mailbox = Mailbox.objects.create(name=name.strip(), uri=uri.strip(), active=active)
    MailboxState.objects.create(mailbox=mailbox, agency=agency)
    return mailbox


@transaction.atomic
def mailbox_update(
    *, mailbox: Mailbox, name: str, uri: str, agency: Agency, active: bool
) -> Mailbox:
    """Changes a mailbox's configuration; a new URI starts its IMAP cursor again (safe: dedupe)."""
    _validate(name=name, uri=uri, exclude_pk=mailbox.pk)
    uri_changed = mailbox.uri != uri.strip()
    mailbox.name, mailbox.uri, mailbox.active = name.strip(), uri.strip(), active
    mailbox.save(update_fields=["name", "uri", "active"])
    state, _created = MailboxState.objects.get_or_create(
        mailbox=mailbox, defaults={"agency": agency}
    )
    state.agency = agency
    fields = ["agency"]
    if uri_changed:
        state.imap_uidvalidity, state.imap_last_uid = None, 0
        fields += ["imap_uidvalidity", "imap_last_uid"]
    state.save(update_fields=fields)
    return mailbox
