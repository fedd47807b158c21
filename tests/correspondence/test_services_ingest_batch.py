"""The batch paths of storing and ingesting: shared reads, bulk writes, a fallback per mail."""

import pytest

from backoffice.correspondence import mailparse
from backoffice.correspondence.models import ArchiveEntry, Message, RawMail, SlaEvent, Thread
from backoffice.correspondence.services import ingest
from backoffice.correspondence.services.archive import GENESIS, archive_entry_hash
from backoffice.correspondence.services.ingest import (
    DUPLICATE,
    FAILED,
    STORED,
    raw_mails_ingest,
    raw_mails_store,
)
from tests.factories import AssignmentFactory, CounsellorFactory

from .mails import mail_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs():
    """Two counsellors, each following two jobseekers."""
    counsellors = [CounsellorFactory(), CounsellorFactory()]
    return [
        (counsellor, AssignmentFactory(counsellor=counsellor).jobseeker)
        for counsellor in counsellors
        for _ in range(2)
    ]


def _store(mails: list[bytes]) -> list[RawMail]:
    stored = raw_mails_store(
        mails=[(data, f"ref-{i}") for i, data in enumerate(mails)], mailbox_name="m", agency=None
    )
    return [raw for raw, _created in stored]


def _mails(pairs, count: int, *, subject="Demande") -> list[bytes]:
    return [
        mail_bytes(
            sender=pairs[i % len(pairs)][1].email,
            to=pairs[i % len(pairs)][0].public_address,
            subject=f"{subject} {i}",
            message_id=f"<batch.{subject}.{i}@example.org>",
        )
        for i in range(count)
    ]


def test_a_batch_is_stored_in_one_go_and_chained_to_the_archive_in_order(pairs):
    mails = _mails(pairs, 6)
    stored = raw_mails_store(
        mails=[(data, str(i)) for i, data in enumerate(mails)], mailbox_name="m", agency=None
    )
    assert [created for _raw, created in stored] == [True] * 6
    assert [bytes(RawMail.objects.get(pk=raw.pk).data) for raw, _c in stored] == mails
    previous = GENESIS
    for seq, (entry, (raw, _c)) in enumerate(
        zip(ArchiveEntry.objects.order_by("seq"), stored, strict=True), start=1
    ):
        assert (entry.seq, entry.object_id, entry.previous_hash) == (seq, raw.pk, previous)
        assert entry.entry_hash == archive_entry_hash(
            previous_hash=previous,
            seq=seq,
            kind=entry.kind,
            object_id=raw.pk,
            content_sha256=raw.sha256,
        )
        previous = entry.entry_hash


def test_the_same_bytes_twice_in_a_batch_or_already_stored_make_one_row(pairs):
    first, second = _mails(pairs, 2)
    [(kept, _created)] = raw_mails_store(mails=[(first, "a")], mailbox_name="m", agency=None)
    stored = raw_mails_store(
        mails=[(first, "b"), (second, "c"), (second, "d")], mailbox_name="n", agency=None
    )
    assert [(raw.pk, created) for raw, created in stored] == [
        (kept.pk, False),
        (stored[1][0].pk, True),
        (stored[1][0].pk, False),
    ]
    assert RawMail.objects.count() == ArchiveEntry.objects.count() == 2


def test_a_batch_ingests_in_a_number_of_queries_that_does_not_grow_with_its_size(
    pairs, django_assert_max_num_queries
):
    raws = _store(_mails(pairs, 40))
    with django_assert_max_num_queries(30):
        results = raw_mails_ingest(raw_mails=raws)
    assert [r.outcome for r in results] == [STORED] * 40
    assert Message.objects.count() == Thread.objects.count() == 40
    # Every new awaiting thread got its deadline and its event, as one by one.
    assert not Thread.objects.filter(due_at__isnull=True).exists()
    assert SlaEvent.objects.filter(kind=SlaEvent.Kind.DEADLINE_SET).count() == 40


def test_a_reply_in_the_same_batch_continues_the_thread_its_original_opens(pairs):
    counsellor, jobseeker = pairs[0]
    original = mail_bytes(
        sender=jobseeker.email,
        to=counsellor.public_address,
        subject="Atelier CV",
        message_id="<original@example.org>",
    )
    by_reference = mail_bytes(
        sender=jobseeker.email,
        to=counsellor.public_address,
        subject="Re: Atelier CV",
        message_id="<reply@example.org>",
        headers={"In-Reply-To": "<original@example.org>"},
    )
    by_subject = mail_bytes(
        sender=jobseeker.email,
        to=counsellor.public_address,
        subject="RE : Atelier CV",
        message_id="<again@example.org>",
    )
    results = raw_mails_ingest(raw_mails=_store([original, by_reference, by_subject]))
    assert [r.outcome for r in results] == [STORED] * 3
    thread = Thread.objects.get()
    assert thread.messages.count() == 3
    assert thread.status == Thread.Status.AWAITING_REPLY
    assert thread.awaiting_since == thread.messages.order_by("pk").first().received_at


def test_one_mail_copied_to_the_same_counsellor_twice_in_a_batch_is_one_message(pairs):
    counsellor, jobseeker = pairs[0]
    data = mail_bytes(
        sender=jobseeker.email, to=counsellor.public_address, message_id="<twice@example.org>"
    )
    copies = [f"Delivered-To: box{n}@mailnet.test\r\n".encode() + data for n in range(2)]
    results = raw_mails_ingest(raw_mails=_store(copies))
    assert [r.outcome for r in results] == [STORED, DUPLICATE]
    assert Message.objects.count() == 1


def test_a_bad_mail_in_a_batch_is_retried_alone_then_quarantined_with_its_raw_bytes(
    pairs, monkeypatch
):
    mails = _mails(pairs, 5)
    bad = mail_bytes(
        sender=pairs[0][1].email, to=pairs[0][0].public_address, subject="BOOM", message_id="<b@x>"
    )
    raws = _store([*mails[:2], bad, *mails[2:]])
    real = ingest._message_create

    def message_create(**kwargs):
        if kwargs["parsed"].subject == "BOOM":
            raise RuntimeError("broken on purpose")
        return real(**kwargs)

    monkeypatch.setattr(ingest, "_message_create", message_create)
    outcomes = [r.outcome for r in raw_mails_ingest(raw_mails=raws)]
    assert outcomes == [STORED, STORED, FAILED, STORED, STORED, STORED]
    assert Message.objects.count() == 5  # the batch was redone mail by mail: none lost

    for _attempt in range(2):
        raw_mails_ingest(raw_mails=[RawMail.objects.get(pk=raws[2].pk)])
    quarantined = RawMail.objects.get(pk=raws[2].pk)
    assert (quarantined.state, quarantined.attempts) == (RawMail.State.FAILED, 3)
    assert "broken on purpose" in quarantined.last_error
    assert bytes(quarantined.data) == bad  # kept exactly, shown in the triage list
    assert Message.objects.count() == 5


def test_an_unparsable_mail_fails_alone_inside_its_batch(pairs, monkeypatch):
    mails = _mails(pairs, 3)
    real = mailparse.mail_parse

    def parse(data):
        if b"Demande 1" in data:
            raise ValueError("not a mail")
        return real(data)

    monkeypatch.setattr(mailparse, "mail_parse", parse)
    redone = []
    monkeypatch.setattr(ingest, "raw_mail_ingest", lambda **kw: redone.append(kw))
    raws = _store(mails)
    assert [r.outcome for r in raw_mails_ingest(raw_mails=raws)] == [STORED, FAILED, STORED]
    assert redone == []  # no fallback: the others went through in the batch
    failed = RawMail.objects.get(pk=raws[1].pk)
    assert (failed.state, failed.attempts) == (RawMail.State.PENDING, 1)


def test_ingest_that_fails_after_the_store_leaves_raw_mails_pending_then_once_only(
    pairs, monkeypatch
):
    raws = _store(_mails(pairs, 4))

    def crash(self):
        raise OSError("worker lost")

    with monkeypatch.context() as patch:
        patch.setattr(ingest._Batch, "flush", crash)
        assert {r.outcome for r in raw_mails_ingest(raw_mails=raws)} == {FAILED}
    assert not Message.objects.exists() and not Thread.objects.exists()  # all rolled back
    assert set(RawMail.objects.values_list("state", flat=True)) == {RawMail.State.PENDING}

    fresh = list(RawMail.objects.order_by("pk"))
    assert [r.outcome for r in raw_mails_ingest(raw_mails=fresh)] == [STORED] * 4
    assert [r.outcome for r in raw_mails_ingest(raw_mails=fresh)] == [DUPLICATE] * 4
    assert Message.objects.count() == 4


def test_in_a_batch_only_the_absent_counsellors_mail_goes_to_the_delegate(pairs):
    import datetime as dt

    from django.utils import timezone

    from backoffice.organisation.models import Absence

    (absent, jobseeker), _same, (present, other), _more = pairs
    delegate = CounsellorFactory(agency=absent.agency)
    now = timezone.now()
    Absence.objects.create(
        counsellor=absent,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1),
        delegate=delegate,
    )
    mails = [
        mail_bytes(sender=jobseeker.email, to=absent.public_address, subject="Absent"),
        mail_bytes(sender=other.email, to=present.public_address, subject="Présent"),
    ]
    assert [r.outcome for r in raw_mails_ingest(raw_mails=_store(mails))] == [STORED, STORED]
    moved = Thread.objects.get(subject="Absent")
    assert (moved.counsellor, moved.delegated_from) == (delegate, absent)
    kept = Thread.objects.get(subject="Présent")
    assert (kept.counsellor, kept.delegated_from) == (present, None)
