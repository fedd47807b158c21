"""The IMAP poll against a real Dovecot: BODY.PEEK[], stored once, removed only after commit."""

import hashlib
import imaplib
import re

import pytest
from django.db import connection

from backoffice.correspondence.models import Message, RawMail
from mailbox_sync.fetchers import ImapFetcher
from mailbox_sync.models import MailboxState
from mailbox_sync.services import mailbox_add, mailbox_poll

from .mailgen import mail_generate

pytestmark = [
    pytest.mark.dovecot,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _append(dovecot, user, mails, folder="INBOX"):
    conn = dovecot.connect(user)
    try:
        for data in mails:
            typ, _data = conn.append(folder, None, None, data)
            assert typ == "OK"
    finally:
        conn.logout()


def _folder_uids(dovecot, user, folder) -> list[int]:
    """What a second, independent IMAP client sees in `folder` (not deleted)."""
    conn = dovecot.connect(user)
    try:
        typ, _data = conn.select(f'"{folder}"', readonly=True)
        if typ != "OK":
            return []
        _typ, data = conn.uid("SEARCH", None, "UNDELETED")
        return [int(u) for u in data[0].split()]
    finally:
        conn.logout()


def _unseen(dovecot, user, folder="INBOX") -> int:
    conn = dovecot.connect(user)
    try:
        conn.select(folder, readonly=True)
        _typ, data = conn.uid("SEARCH", None, "UNSEEN")
        return len(data[0].split())
    finally:
        conn.logout()


def test_hundred_mails_are_stored_once_then_moved_to_the_archive(
    dovecot, agency, counsellor, monkeypatch
):
    user = dovecot.user()
    mails = [mail_generate(i, to=counsellor.public_address) for i in range(100)]
    _append(dovecot, user, mails)
    mailbox = mailbox_add(name="IMAP", uri=dovecot.uri(user, archive="Archive"), agency=agency)
    original_remove = ImapFetcher.remove
    removals = []

    def remove_checking_commit(self, batch):
        assert not connection.in_atomic_block
        digests = [hashlib.sha256(m.data).hexdigest() for m in batch]
        assert RawMail.objects.filter(sha256__in=digests).count() == len(batch)
        # A second client still sees every mail of the batch in the INBOX at this point.
        assert {m.key for m in batch} <= set(_folder_uids(dovecot, user, "INBOX"))
        removals.append(len(batch))
        return original_remove(self, batch)

    monkeypatch.setattr(ImapFetcher, "remove", remove_checking_commit)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.summary() == "fetched 100, stored 100, duplicates 0, triaged 0, failed 0"
    assert sum(removals) == 100
    assert {bytes(r.data) for r in RawMail.objects.all()} == set(mails)
    assert Message.objects.count() == 100
    assert _folder_uids(dovecot, user, "INBOX") == []
    assert len(_folder_uids(dovecot, user, "Archive")) == 100
    state = MailboxState.objects.get(mailbox=mailbox)
    assert state.imap_last_uid == 100 and state.imap_uidvalidity


def test_without_archive_mails_are_expunged_after_the_store(dovecot, agency, counsellor):
    user = dovecot.user()
    _append(dovecot, user, [mail_generate(i, to=counsellor.public_address) for i in range(10)])
    mailbox = mailbox_add(name="IMAP", uri=dovecot.uri(user), agency=agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.stored == 10
    conn = dovecot.connect(user)
    try:
        _typ, data = conn.select("INBOX", readonly=True)
        assert int(data[0]) == 0  # expunged, not only flagged
    finally:
        conn.logout()


def test_poll_interrupted_after_store_before_expunge_repolls_without_duplicates(
    dovecot, agency, counsellor, monkeypatch
):
    user = dovecot.user()
    mails = [mail_generate(i, to=counsellor.public_address) for i in range(60)]
    _append(dovecot, user, mails)
    mailbox = mailbox_add(name="IMAP", uri=dovecot.uri(user, archive="Archive"), agency=agency)

    def killed_before_removal(self, batch):
        raise imaplib.IMAP4.abort("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(ImapFetcher, "remove", killed_before_removal)
        first = mailbox_poll(mailbox=mailbox)
    assert first.stored == 50  # the first batch was stored, then the poll died
    assert len(_folder_uids(dovecot, user, "INBOX")) == 60
    assert _unseen(dovecot, user) == 60  # BODY.PEEK[]: the mails were not even marked read

    second = mailbox_poll(mailbox=mailbox)

    assert second.summary() == "fetched 60, stored 10, duplicates 50, triaged 0, failed 0"
    assert RawMail.objects.count() == 60
    assert Message.objects.count() == 60
    assert _folder_uids(dovecot, user, "INBOX") == []
    assert len(_folder_uids(dovecot, user, "Archive")) == 60


def test_new_uidvalidity_rescans_the_folder(dovecot, agency, counsellor):
    user = dovecot.user()
    _append(dovecot, user, [mail_generate(i, to=counsellor.public_address) for i in range(5)])
    mailbox = mailbox_add(name="IMAP", uri=dovecot.uri(user), agency=agency)
    mailbox_poll(mailbox=mailbox)
    _append(dovecot, user, [mail_generate(10 + i, to=counsellor.public_address) for i in range(5)])
    # As if the server had rebuilt the folder: the stored cursor belongs to another validity.
    MailboxState.objects.filter(mailbox=mailbox).update(imap_uidvalidity=1, imap_last_uid=10**6)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.stored == 5
    assert RawMail.objects.count() == 10
    assert MailboxState.objects.get(mailbox=mailbox).imap_uidvalidity != 1


def test_wrong_password_is_shown_as_the_last_error(dovecot, agency):
    user = dovecot.user()
    uri = re.sub(r":[^:@]+@", ":wrong@", dovecot.uri(user))
    mailbox = mailbox_add(name="IMAP", uri=uri, agency=agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.fetched == 0
    assert "login" in MailboxState.objects.get(mailbox=mailbox).last_error.lower()
