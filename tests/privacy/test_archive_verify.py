"""The tamper-evident archive: archive_verify names the first altered, removed or reordered
entry; the nightly check alerts the administrators; nothing updates archived bytes."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from backoffice.correspondence.models import ArchiveEntry, Message, RawMail
from privacy.models import ArchiveCheck
from privacy.services.archive import archive_check_run, archive_verify
from tests.factories import UserFactory

from .conftest import tamper

pytestmark = pytest.mark.django_db


def entry(seq: int) -> ArchiveEntry:
    return ArchiveEntry.objects.get(seq=seq)


def test_an_intact_chain_verifies_and_reports_its_head(chain):
    report = archive_verify()
    assert report.ok
    assert report.entries == 6
    assert report.contents_checked == 6
    assert report.head_seq == 6
    assert report.head_hash == entry(6).entry_hash


def test_altering_one_byte_of_a_stored_mail_names_its_entry(chain):
    raw = chain.raws[2]  # seq 4
    data = bytearray(bytes(raw.data))
    data[-5] ^= 0x01
    tamper("UPDATE correspondence_rawmail SET data = %s WHERE id = %s", [bytes(data), raw.pk])

    report = archive_verify()

    assert not report.ok
    problem = report.first_problem
    assert (problem.seq, problem.kind, problem.object_id, problem.code) == (
        4,
        "raw",
        raw.pk,
        "content",
    )
    assert "octet modifié" in problem.describe()


def test_altering_a_sent_message_names_its_entry(chain):
    message = chain.sent[1]  # seq 5
    tamper(
        "UPDATE correspondence_message SET mime = %s WHERE id = %s",
        [bytes(message.mime).replace(b"2", b"3"), message.pk],
    )
    problem = archive_verify().first_problem
    assert (problem.seq, problem.kind, problem.object_id) == (5, "sent", message.pk)


def test_deleting_an_entry_names_the_one_after_the_gap(chain):
    entry(3).delete()
    problem = archive_verify().first_problem
    assert (problem.seq, problem.code) == (4, "gap")
    assert "supprimée" in problem.describe()


def test_deleting_a_stored_mail_names_its_entry(chain):
    raw = chain.raws[1]  # seq 2
    tamper("DELETE FROM correspondence_rawmail WHERE id = %s", [raw.pk])
    problem = archive_verify().first_problem
    assert (problem.seq, problem.code, problem.object_id) == (2, "missing", raw.pk)


def test_swapping_two_entries_names_the_first_of_them(chain):
    two, three = entry(2), entry(3)
    ArchiveEntry.objects.filter(pk=two.pk).update(seq=1000)
    ArchiveEntry.objects.filter(pk=three.pk).update(seq=2)
    ArchiveEntry.objects.filter(pk=two.pk).update(seq=3)

    problem = archive_verify().first_problem

    assert (problem.seq, problem.kind, problem.object_id) == (2, three.kind, three.object_id)
    assert problem.code in {"link", "hash"}


def test_swapping_the_contents_of_two_mails_is_caught(chain):
    first, second = chain.raws[0], chain.raws[1]
    tamper(
        "UPDATE correspondence_rawmail SET data = %s WHERE id = %s",
        [bytes(second.data), first.pk],
    )
    problem = archive_verify().first_problem
    assert (problem.seq, problem.code) == (1, "content")


def test_rewriting_an_entry_hash_is_caught(chain):
    ArchiveEntry.objects.filter(seq=3).update(content_sha256="0" * 64)
    problem = archive_verify().first_problem
    assert (problem.seq, problem.code) == (3, "hash")


def test_all_problems_are_listed_when_asked(chain):
    ArchiveEntry.objects.filter(seq=2).update(content_sha256="0" * 64)
    ArchiveEntry.objects.filter(seq=5).update(content_sha256="0" * 64)
    report = archive_verify(stop_at_first=False)
    assert [p.seq for p in report.problems if p.code == "hash"] == [2, 5]


def test_an_erased_content_still_verifies_but_an_unrecorded_erasure_does_not(chain):
    raw = chain.raws[0]
    RawMail.objects.filter(pk=raw.pk).update(data=b"")
    problem = archive_verify().first_problem
    assert (problem.seq, problem.code) == (1, "erased")

    ArchiveEntry.objects.filter(seq=1).update(content_erased_at=timezone.now())
    report = archive_verify()
    assert report.ok
    assert report.erased == 1


def test_an_erasure_mark_does_not_hide_an_altered_byte(chain):
    ArchiveEntry.objects.filter(seq=1).update(content_erased_at=timezone.now())
    tamper(
        "UPDATE correspondence_rawmail SET data = %s WHERE id = %s",
        [b"autre chose", chain.raws[0].pk],
    )
    assert archive_verify().first_problem.seq == 1


def test_a_chain_cut_short_after_a_verified_head_is_caught(chain, admin_user):
    assert archive_check_run().ok
    entry(6).delete()
    check = archive_check_run()
    assert not check.ok
    assert check.problem_seq == 6
    assert "fin supprimée" in check.problem


def test_verification_reads_the_chain_in_a_fixed_number_of_queries(
    chain, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        assert archive_verify().ok


def test_the_command_prints_the_count_and_the_head(chain, capsys):
    call_command("archive_verify")
    out = capsys.readouterr().out
    assert "6 entrées vérifiées" in out
    assert entry(6).entry_hash in out


def test_the_command_fails_with_a_french_message_naming_the_entry(chain):
    entry(3).delete()
    with pytest.raises(CommandError) as error:
        call_command("archive_verify")
    assert error.value.returncode == 1
    assert "ARCHIVE ALTÉRÉE" in str(error.value)
    assert "Entrée n° 4" in str(error.value)


def test_a_failed_check_alerts_the_administrators_and_shows_on_their_home(chain, client):
    admin = UserFactory(role="Administrateur national", email="admin@mailnet.test")
    superuser = UserFactory(is_superuser=True, is_staff=True, email="root@mailnet.test")
    UserFactory(role="Conseiller", email="conseiller@mailnet.test")
    UserFactory(role="Administrateur national", email="parti@mailnet.test", is_active=False)
    entry(2).delete()

    check = archive_check_run(triggered_by="schedule")

    assert not check.ok and check.alerted_at is not None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["admin@mailnet.test", "root@mailnet.test"]
    assert "entrée n° 3" in mail.outbox[0].subject
    client.force_login(admin)
    home = client.get(reverse("wagtailadmin_home"))
    assert "Archive altérée" in home.content.decode()
    assert "Entrée n° 3" in home.content.decode()
    client.force_login(superuser)
    listing = client.get(reverse("privacy_archive:index"))
    assert listing.status_code == 200


def test_the_nightly_check_is_scheduled():
    schedule = Schedule.objects.get(name="mailnet-archive-verify")
    assert schedule.func == "privacy.tasks.archive_verify_nightly"
    assert schedule.schedule_type == Schedule.DAILY
    assert Schedule.objects.filter(name="mailnet-read-alerts", minutes=15).exists()
    assert Schedule.objects.filter(name="mailnet-retention").exists()


def test_an_admin_can_run_a_check_from_the_screen(chain, client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("privacy_archive:start"))
    assert response.status_code == 302
    assert ArchiveCheck.objects.get().ok


def test_a_manager_cannot_see_or_run_archive_checks(chain, client):
    from tests.factories import CounsellorFactory

    manager = CounsellorFactory(user__role="Responsable d'équipe").user
    client.force_login(manager)
    assert client.get(reverse("privacy_archive:index")).status_code in (302, 403)
    assert client.post(reverse("privacy_archive:start")).status_code in (302, 403)
    assert not ArchiveCheck.objects.exists()


# --- no update path ------------------------------------------------------------------------


def test_saving_a_changed_raw_mail_is_refused_but_erasing_is_allowed(chain):
    raw = RawMail.objects.get(pk=chain.raws[0].pk)
    raw.data = b"autre contenu"
    with pytest.raises(ValidationError):
        raw.save()
    raw = RawMail.objects.get(pk=chain.raws[0].pk)
    raw.state = RawMail.State.INGESTED
    raw.save()  # bookkeeping still saves
    raw.data = b""
    raw.save()
    assert bytes(RawMail.objects.get(pk=raw.pk).data) == b""


def test_a_sent_message_mime_is_set_once_then_only_erased(chain):
    message = Message.objects.create(
        thread=chain.thread,
        direction=Message.Direction.OUTGOING,
        message_id="<new@mailnet.test>",
        received_at=timezone.now(),
    )
    message.mime = b"From: a\r\n\r\nfixed"
    message.save()  # first time: allowed
    message = Message.objects.get(pk=message.pk)
    message.mime = b"From: a\r\n\r\nchanged"
    with pytest.raises(ValidationError):
        message.save()
    message = Message.objects.get(pk=message.pk)
    message.body_text = "texte"
    message.save()  # other fields still save


def test_saving_a_raw_mail_loaded_without_its_bytes_leaves_them_unread_and_unchanged(
    chain, django_assert_num_queries
):
    raw = RawMail.objects.defer("data").get(pk=chain.raws[0].pk)
    raw.state = RawMail.State.INGESTED
    with django_assert_num_queries(1):  # the UPDATE only: the bytes are neither read nor written
        raw.save()
    assert "data" in raw.get_deferred_fields()
    assert bytes(RawMail.objects.get(pk=raw.pk).data) == bytes(chain.raws[0].data)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_an_update_of_archived_bytes(chain):
    raw, message = chain.raws[0], chain.sent[0]
    for sql, params in (
        ("UPDATE correspondence_rawmail SET data = %s WHERE id = %s", [b"x", raw.pk]),
        ("UPDATE correspondence_message SET mime = %s WHERE id = %s", [b"x", message.pk]),
        ("UPDATE correspondence_message SET mime = NULL WHERE id = %s", [message.pk]),
    ):
        with (
            pytest.raises(DatabaseError, match="can only be erased"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)
    with pytest.raises(DatabaseError), transaction.atomic():
        RawMail.objects.filter(pk=raw.pk).update(data=b"y")
    # Erasing is the one change allowed; other columns stay writable.
    RawMail.objects.filter(pk=raw.pk).update(data=b"", state=RawMail.State.INGESTED)
    Message.objects.filter(pk=message.pk).update(mime=b"", body_text="")
    assert bytes(RawMail.objects.get(pk=raw.pk).data) == b""


def test_an_altered_byte_before_a_removed_entry_is_the_one_named(chain):
    tamper(
        "UPDATE correspondence_rawmail SET data = %s WHERE id = %s",
        [b"autre chose", chain.raws[0].pk],
    )
    entry(4).delete()
    problems = archive_verify().problems
    assert [(p.seq, p.code) for p in problems] == [(1, "content"), (5, "gap")]
    assert archive_verify(stop_at_first=True).first_problem.seq == 1


def test_a_stale_copy_never_writes_over_stored_bytes(chain):
    stale = Message.objects.create(
        thread=chain.thread,
        direction=Message.Direction.OUTGOING,
        message_id="<stale@mailnet.test>",
        received_at=timezone.now(),
    )
    fresh = Message.objects.get(pk=stale.pk)
    fresh.mime = b"From: a\r\n\r\nfixed"
    fresh.save()
    stale.body_text = "modifié ailleurs"
    stale.save()  # a full save of a copy loaded before the bytes were fixed
    reloaded = Message.objects.get(pk=stale.pk)
    assert bytes(reloaded.mime) == b"From: a\r\n\r\nfixed"
    assert reloaded.body_text == "modifié ailleurs"
