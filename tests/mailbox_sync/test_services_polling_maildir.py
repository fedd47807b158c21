"""The maildir poll end to end: exact bytes stored once, ingested, then archived at the source."""

import hashlib

import pytest
from django.db import connection, transaction

from backoffice.correspondence.models import Message, RawMail
from backoffice.correspondence.services.ingest import raw_mail_store
from mailbox_sync.fetchers import MaildirFetcher
from mailbox_sync.models import MailboxState
from mailbox_sync.services import mailbox_add, mailbox_poll

from .mailgen import mail_generate, maildir_files, maildir_write

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def mails(counsellor):
    to_counsellor = [mail_generate(i, to=counsellor.public_address) for i in range(20)]
    to_nobody = [mail_generate(100 + i, to="inconnu@mailnet.test") for i in range(3)]
    return to_counsellor + to_nobody


def _mailbox(tmp_path, agency, query=""):
    return mailbox_add(name="Demo", uri=f"maildir://{tmp_path / 'Maildir'}{query}", agency=agency)


def test_poll_stores_exact_bytes_once_ingests_and_archives(tmp_path, agency, mails):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.summary() == "fetched 23, stored 23, duplicates 0, triaged 3, failed 0"
    stored = {bytes(r.data) for r in RawMail.objects.all()}
    assert stored == set(mails)
    assert all(r.sha256 == hashlib.sha256(bytes(r.data)).hexdigest() for r in RawMail.objects.all())
    assert Message.objects.count() == 20  # the 3 mails to nobody wait in triage, raw
    assert maildir_files(root) == []
    assert len(maildir_files(root / ".Archive")) == 23
    state = MailboxState.objects.get(mailbox=mailbox)
    assert (state.last_fetched, state.last_stored, state.last_triaged) == (23, 23, 3)
    assert state.last_error == "" and state.last_success_at is not None


def test_same_mails_polled_again_are_duplicates_and_still_removed(tmp_path, agency, mails):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency)
    mailbox_poll(mailbox=mailbox)
    maildir_write(root, mails, sub="cur")  # the same mails delivered again

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.summary() == "fetched 23, stored 0, duplicates 23, triaged 0, failed 0"
    assert RawMail.objects.count() == 23
    assert Message.objects.count() == 20  # the 3 mails to nobody wait in triage, raw
    assert maildir_files(root) == []


def test_source_copy_is_removed_only_after_its_raw_bytes_are_committed(
    tmp_path, agency, mails, monkeypatch
):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency)
    original_remove = MaildirFetcher.remove
    checked = []

    def remove_checking_commit(self, batch):
        assert not connection.in_atomic_block  # autocommit: what was stored is committed
        committed = set(
            RawMail.objects.filter(
                sha256__in=[hashlib.sha256(m.data).hexdigest() for m in batch]
            ).values_list("sha256", flat=True)
        )
        assert len(committed) == len(batch)
        assert all(m.key.exists() for m in batch)  # still at the source until now
        checked.extend(batch)
        return original_remove(self, batch)

    monkeypatch.setattr(MaildirFetcher, "remove", remove_checking_commit)
    mailbox_poll(mailbox=mailbox)

    assert len(checked) == 23
    assert maildir_files(root) == []


def test_poll_interrupted_after_store_before_removal_repolls_without_duplicates(
    tmp_path, agency, mails, monkeypatch
):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency)

    def crash(self, batch):
        raise OSError("disk vanished")

    with monkeypatch.context() as patch:
        patch.setattr(MaildirFetcher, "remove", crash)
        first = mailbox_poll(mailbox=mailbox)
    assert first.stored == 23
    assert len(maildir_files(root)) == 23  # nothing removed: the poll died before
    assert "disk vanished" in MailboxState.objects.get(mailbox=mailbox).last_error

    second = mailbox_poll(mailbox=mailbox)

    assert second.summary() == "fetched 23, stored 0, duplicates 23, triaged 0, failed 0"
    assert RawMail.objects.count() == 23
    assert Message.objects.count() == 20  # the 3 mails to nobody wait in triage, raw
    assert maildir_files(root) == []
    assert MailboxState.objects.get(mailbox=mailbox).last_error == ""


def test_raw_mail_stored_but_never_ingested_is_ingested_at_next_poll(tmp_path, agency, counsellor):
    maildir_write(tmp_path / "Maildir", [])
    mailbox = _mailbox(tmp_path, agency)
    raw, _created = raw_mail_store(
        data=mail_generate(1, to=counsellor.public_address),
        mailbox_name=mailbox.name,
        source_ref="maildir:new/x",
        agency=agency,
    )

    mailbox_poll(mailbox=mailbox)

    raw.refresh_from_db()
    assert raw.state == RawMail.State.INGESTED
    assert Message.objects.filter(raw_mail=raw).count() == 1


def test_delete_option_deletes_the_file_instead_of_archiving(tmp_path, agency, mails):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency, "?delete=1")

    mailbox_poll(mailbox=mailbox)

    assert RawMail.objects.count() == 23
    assert maildir_files(root) == []
    assert not (root / ".Archive").exists()


@pytest.mark.django_db  # the test's own transaction is the point here
def test_poll_refuses_to_run_inside_a_transaction(tmp_path, agency, mails):
    root = maildir_write(tmp_path / "Maildir", mails)
    mailbox = _mailbox(tmp_path, agency)

    with pytest.raises(RuntimeError, match="autocommit"), transaction.atomic():
        mailbox_poll(mailbox=mailbox)

    assert len(maildir_files(root)) == 23


def test_missing_maildir_is_reported_on_the_mailbox(tmp_path, agency):
    mailbox = _mailbox(tmp_path, agency)

    counts = mailbox_poll(mailbox=mailbox)

    assert counts.fetched == 0
    assert "not a maildir" in MailboxState.objects.get(mailbox=mailbox).last_error
