"""IMAP over TLS against a real Dovecot with a self-signed certificate (made by openssl).

The fetcher always verifies the server: it trusts the certificate only when told to, by the
mailbox URI's `cafile=` or the MAILNET_IMAP_CA_FILE setting, and otherwise refuses to log in
(nothing fetched, nothing removed, the error on the mailbox's state).
"""

import pytest

from backoffice.correspondence.models import Message, RawMail
from mailbox_sync.models import MailboxState
from mailbox_sync.services import mailbox_add, mailbox_poll
from tests.conftest import skip_or_fail

from .mailgen import mail_generate
from .test_services_polling_imap import _append, _folder_uids

pytestmark = [
    pytest.mark.dovecot,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def tls_dovecot(dovecot):
    if dovecot.certificate is None:
        skip_or_fail("openssl is missing: Dovecot has no certificate for IMAPS")
    return dovecot


def _inbox_with_mails(dovecot, counsellor, count=10):
    user = dovecot.user()
    _append(dovecot, user, [mail_generate(i, to=counsellor.public_address) for i in range(count)])
    return user


def test_imaps_trusting_the_servers_certificate_stores_then_moves_every_mail(
    tls_dovecot, agency, counsellor
):
    user = _inbox_with_mails(tls_dovecot, counsellor)
    uri = tls_dovecot.uri(
        user,
        scheme="imap+ssl",
        port=tls_dovecot.tls_port,
        archive="Archive",
        cafile=tls_dovecot.certificate,
    )
    mailbox = mailbox_add(name="IMAPS", uri=uri, agency=agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.summary() == "fetched 10, stored 10, duplicates 0, triaged 0, failed 0"
    assert Message.objects.count() == 10
    assert _folder_uids(tls_dovecot, user, "INBOX") == []
    assert len(_folder_uids(tls_dovecot, user, "Archive")) == 10
    assert MailboxState.objects.get(mailbox=mailbox).last_error == ""


def test_imaps_refuses_a_certificate_it_was_not_told_to_trust_and_touches_nothing(
    tls_dovecot, agency, counsellor, settings
):
    settings.MAILNET_IMAP_CA_FILE = ""  # the system's CAs only: they never signed this one
    user = _inbox_with_mails(tls_dovecot, counsellor, count=3)
    uri = tls_dovecot.uri(user, scheme="imap+ssl", port=tls_dovecot.tls_port, archive="Archive")
    mailbox = mailbox_add(name="IMAPS", uri=uri, agency=agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.fetched == 0
    assert not RawMail.objects.exists()
    assert len(_folder_uids(tls_dovecot, user, "INBOX")) == 3
    assert "CERTIFICATE_VERIFY_FAILED" in MailboxState.objects.get(mailbox=mailbox).last_error


def test_the_ca_file_setting_is_trusted_for_every_mailbox(
    tls_dovecot, agency, counsellor, settings
):
    settings.MAILNET_IMAP_CA_FILE = str(tls_dovecot.certificate)
    user = _inbox_with_mails(tls_dovecot, counsellor, count=4)
    uri = tls_dovecot.uri(user, scheme="imap+ssl", port=tls_dovecot.tls_port, archive="Archive")
    mailbox = mailbox_add(name="IMAPS", uri=uri, agency=agency)

    assert mailbox_poll(mailbox=mailbox).stored == 4
    assert _folder_uids(tls_dovecot, user, "INBOX") == []


def test_starttls_on_the_plain_port_verifies_the_certificate_too(tls_dovecot, agency, counsellor):
    user = _inbox_with_mails(tls_dovecot, counsellor, count=2)
    trusted = tls_dovecot.uri(user, scheme="imap+tls", cafile=tls_dovecot.certificate)
    mailbox = mailbox_add(name="STARTTLS", uri=trusted, agency=agency)

    assert mailbox_poll(mailbox=mailbox).stored == 2
    assert _folder_uids(tls_dovecot, user, "INBOX") == []
