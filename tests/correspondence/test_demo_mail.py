"""The demo maildir (fixtures/demo_mail.py) ingests cleanly and shows every case."""

import datetime as dt
import mailbox

import pytest

from backoffice.correspondence.models import Attachment, Message, RawMail, Thread
from backoffice.correspondence.services.ingest import raw_mail_store, raw_mails_ingest_pending
from fixtures.demo_mail import write_demo_maildir
from tests.factories import AssignmentFactory, CounsellorFactory, EmployerContactFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


def test_the_demo_maildir_is_about_300_realistic_mails_that_all_ingest(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    counsellors = [CounsellorFactory() for _ in range(3)]
    jobseekers = [AssignmentFactory(counsellor=counsellors[i % 3]).jobseeker for i in range(12)]
    employers = [EmployerContactFactory(name="Mme Roux").employer for _ in range(3)]
    count = write_demo_maildir(
        tmp_path / "maildir",
        counsellors=counsellors,
        jobseekers=jobseekers,
        employers=employers,
        seed=7,
        now=NOW,
    )
    box = mailbox.Maildir(str(tmp_path / "maildir"), create=False)
    files = sorted((tmp_path / "maildir" / "new").iterdir())
    assert count == len(files) == len(box) == 300
    for path in files:
        raw_mail_store(
            data=path.read_bytes(),
            mailbox_name="demo",
            source_ref=path.name,
            agency=counsellors[0].agency,
        )
    counts = raw_mails_ingest_pending()
    assert counts["failed"] == 0
    assert RawMail.objects.filter(state=RawMail.State.INGESTED).count() == 300
    assert Message.objects.filter(kind=Message.Kind.AUTO_REPLY).exists()
    assert Message.objects.filter(kind=Message.Kind.BOUNCE).count() == 1
    assert Thread.objects.filter(status=Thread.Status.TRIAGE).count() >= 3
    assert Thread.objects.filter(employer__isnull=False).exists()
    assert Message.objects.filter(decoding_warnings__icontains="cp1252").count() == 2
    assert Message.objects.filter(has_remote_images=True).count() == 2
    assert Attachment.objects.filter(content_type="application/pdf").exists()
    # Replies joined the threads of the mails they answer.
    assert Thread.objects.count() < Message.objects.count() * 0.9
    assert (
        Message.objects.exclude(in_reply_to="")
        .filter(thread__messages__message_id__isnull=False)
        .exists()
    )


def test_the_same_seed_writes_the_same_mails(tmp_path):
    counsellors = [CounsellorFactory()]
    jobseekers = [AssignmentFactory(counsellor=counsellors[0]).jobseeker for _ in range(3)]
    contents = []
    for run in ("a", "b"):
        write_demo_maildir(
            tmp_path / run,
            counsellors=counsellors,
            jobseekers=jobseekers,
            employers=[],
            seed=1,
            now=NOW,
            total=40,
        )
        contents.append(sorted(p.read_bytes() for p in (tmp_path / run / "new").iterdir()))
    assert contents[0] == contents[1]
