"""`manage.py mailbox_add` and `manage.py mailbox_poll`, and the schedule polling every minute."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_mailbox.models import Mailbox
from django_q.models import Schedule

from mailbox_sync import tasks
from mailbox_sync.models import MailboxState
from mailbox_sync.services import POLL_SCHEDULE_NAME, mailbox_schedules_ensure

from .mailgen import mail_generate, maildir_files, maildir_write


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_mailbox_add_creates_the_mailbox_with_its_triage_agency(tmp_path, agency):
    _call("mailbox_add", "Agence Belleville", f"maildir://{tmp_path}", "--agency", agency.code)

    mailbox = Mailbox.objects.get(name="Agence Belleville")
    assert mailbox.active and mailbox.uri == f"maildir://{tmp_path}"
    assert MailboxState.objects.get(mailbox=mailbox).agency == agency


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("uri", "agency_code", "message"),
    [
        ("maildir:///srv/mail", "99999", "Aucune agence"),
        ("pop3://u:p@host", None, "non pris en charge"),
    ],
)
def test_mailbox_add_refuses_unknown_agency_and_unsupported_uri(agency, uri, agency_code, message):
    with pytest.raises(CommandError, match=message):
        _call("mailbox_add", "Boîte", uri, "--agency", agency_code or agency.code)
    assert not Mailbox.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mailbox_poll_ends_with_one_summary_line(tmp_path, agency, counsellor):
    root = maildir_write(
        tmp_path / "Maildir",
        [mail_generate(i, to=counsellor.public_address) for i in range(4)]
        + [mail_generate(9, to="personne@mailnet.test")],
    )
    _call("mailbox_add", "Demo", f"maildir://{root}", "--agency", agency.code)
    _call(
        "mailbox_add",
        "Inactive",
        f"maildir://{tmp_path}/none",
        "--agency",
        agency.code,
        "--inactive",
    )

    lines = _call("mailbox_poll").splitlines()

    assert lines[-1] == "fetched 5, stored 5, duplicates 0, triaged 1, failed 0"
    assert maildir_files(root) == []
    assert _call("mailbox_poll", "--mailbox", "Demo").splitlines()[-1] == (
        "fetched 0, stored 0, duplicates 0, triaged 0, failed 0"
    )
    # What the schedule runs every minute is the same poll.
    maildir_write(root, [mail_generate(20, to=counsellor.public_address)])
    assert tasks.mailboxes_poll_task() == "fetched 1, stored 1, duplicates 0, triaged 0, failed 0"


@pytest.mark.django_db
def test_mailbox_poll_of_an_unknown_mailbox_says_so():
    with pytest.raises(CommandError, match="Aucune boîte"):
        _call("mailbox_poll", "--mailbox", "Nulle part")


@pytest.mark.django_db
def test_one_schedule_polls_every_minute_and_ensuring_it_again_changes_nothing():
    schedule = Schedule.objects.get(name=POLL_SCHEDULE_NAME)  # created by the migration
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "mailbox_sync.tasks.mailboxes_poll_task",
        Schedule.MINUTES,
        1,
    )

    mailbox_schedules_ensure()
    mailbox_schedules_ensure()

    assert Schedule.objects.filter(name=POLL_SCHEDULE_NAME).count() == 1
