"""What ingest keeps of a mail: attachments, TNEF, sanitised HTML, oversized mails, a corpus."""

import hashlib
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from backoffice.correspondence.models import Attachment, Message, RawMail
from backoffice.correspondence.services.ingest import (
    DUPLICATE,
    FAILED,
    TRIAGED,
    raw_mail_ingest,
    raw_mail_store,
    raw_mails_ingest_pending,
)
from tests.factories import AgencyFactory, CounsellorFactory

from .mails import mail_bytes

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def counsellor():
    return CounsellorFactory(public_address="conseiller.demo@mailnet.test")


def ingest(data: bytes):
    raw, _ = raw_mail_store(data=data, mailbox_name="m", source_ref="x", agency=None)
    return raw_mail_ingest(raw_mail=raw)


def with_attachment(data: bytes, payload: bytes, name: str, ctype=("application", "pdf")) -> bytes:
    msg = message_from_bytes(data, policy=policy.default)
    msg.add_attachment(payload, maintype=ctype[0], subtype=ctype[1], filename=name)
    return bytes(msg)


def test_attachments_are_kept_with_name_type_size_and_sha256_in_one_file_each(counsellor, media):
    payload = b"%PDF-1.4 attestation" * 100
    first = ingest(
        with_attachment(mail_bytes(to=counsellor.public_address), payload, "attestation.pdf")
    )
    second = ingest(
        with_attachment(
            mail_bytes(to=counsellor.public_address, subject="Encore"), payload, "copie.pdf"
        )
    )
    [a] = first.messages[0].attachments.all()
    [b] = second.messages[0].attachments.all()
    digest = hashlib.sha256(payload).hexdigest()
    assert (a.name, a.content_type, a.size, a.sha256) == (
        "attestation.pdf",
        "application/pdf",
        len(payload),
        digest,
    )
    assert a.file.name == b.file.name  # stored once, by content
    assert a.file.read() == payload
    assert len(list((media / "attachments").rglob("*"))) == 2  # one folder, one file


def test_an_attachment_over_the_limit_stays_in_the_raw_mail_only(counsellor, settings):
    settings.MAILNET_MAX_ATTACHMENT_BYTES = 1000
    result = ingest(
        with_attachment(mail_bytes(to=counsellor.public_address), b"x" * 5000, "gros.pdf")
    )
    [attachment] = result.messages[0].attachments.all()
    assert not attachment.extracted and not attachment.file
    assert attachment.size == 5000
    assert any("gros.pdf" in w for w in result.messages[0].decoding_warnings)


def test_winmail_dat_is_stored_as_its_files(counsellor):
    result = ingest((DATA / "eml/tnef-winmail.eml").read_bytes())
    names = sorted(a.name for a in result.messages[0].attachments.all())
    assert names == ["AUTHORS", "README"]


def test_html_is_sanitised_when_stored_with_cid_images_pointing_to_our_attachment(counsellor):
    [message] = ingest((DATA / "eml/html-cid-remote.eml").read_bytes()).messages
    logo = message.attachments.get(name="logo.png")
    assert f"/admin/correspondence/attachments/{logo.pk}/?inline=1" in message.body_html
    assert "alert" not in message.body_html and "tracker.example" not in message.body_html
    assert message.has_remote_images
    assert "tracker.example/pixel.gif" in message.body_html_with_remote_images


def test_a_cp1252_mail_keeps_its_text_and_a_warning(counsellor):
    [message] = ingest((DATA / "eml/cp1252-mislabelled.eml").read_bytes()).messages
    assert "l’attestation demandée" in message.body_text
    assert any("cp1252" in w for w in message.decoding_warnings)
    message.refresh_from_db()
    assert any("cp1252" in w for w in message.decoding_warnings)


def test_an_oversized_mail_is_kept_raw_flagged_and_never_parsed(counsellor, settings, monkeypatch):
    settings.MAILNET_MAX_MAIL_BYTES = 2000
    data = mail_bytes(to=counsellor.public_address, body="x" * 5000)
    raw, created = raw_mail_store(data=data, mailbox_name="m", source_ref="x", agency=None)
    assert created and raw.state == RawMail.State.OVERSIZED
    from backoffice.correspondence import mailparse

    monkeypatch.setattr(mailparse, "mail_parse", lambda data: pytest.fail("parsed"))
    assert raw_mail_ingest(raw_mail=raw).outcome == TRIAGED
    assert raw_mail_ingest(raw_mail=raw).outcome == DUPLICATE
    assert raw_mails_ingest_pending() == {"stored": 0, "duplicate": 0, "triaged": 0, "failed": 0}
    raw.refresh_from_db()
    assert bytes(raw.data) == data and raw.state == RawMail.State.OVERSIZED


def test_a_corpus_of_mails_written_by_others_is_ingested_once_byte_identical():
    """CPython's test_email messages (PSF licence, see tests/data/README.md)."""
    counsellor = CounsellorFactory(public_address="corpus@mailnet.test")
    agency = AgencyFactory()
    files = sorted((DATA / "cpython_email").glob("msg_*.txt"))
    assert len(files) >= 40
    originals = {}
    for index, path in enumerate(files):
        data = path.read_bytes()
        if index % 2 == 0:  # as the delivering server prepends it
            data = f"Delivered-To: {counsellor.public_address}\n".encode() + data
        raw, created = raw_mail_store(
            data=data, mailbox_name="corpus", source_ref=path.name, agency=agency
        )
        assert created, path.name
        originals[raw.pk] = data
    counts = raw_mails_ingest_pending()
    assert counts[FAILED] == 0
    assert sum(counts.values()) == len(files)
    for raw in RawMail.objects.all():
        assert bytes(raw.data) == originals[raw.pk]
        assert hashlib.sha256(bytes(raw.data)).hexdigest() == raw.sha256
        assert raw.state in {RawMail.State.INGESTED, RawMail.State.TRIAGED}
    routed = RawMail.objects.filter(state=RawMail.State.INGESTED).count()
    assert routed == len(files[::2])
    before = (Message.objects.count(), Attachment.objects.count())
    for raw in RawMail.objects.all():
        assert raw_mail_ingest(raw_mail=raw).outcome == DUPLICATE
    assert (Message.objects.count(), Attachment.objects.count()) == before
    assert Message.objects.filter(thread__counsellor=counsellor).count() == before[0]
