"""Ingest alone (raw_mails_store then raw_mails_ingest_pending) on PostgreSQL, with figures.

`make bench` runs it; MAILNET_BENCH_INGEST_MAILS sets the size (default 1,000). The mix is
the issue's: 70% plain text, 20% HTML, 10% with an attachment. The end-to-end benchmark
from a maildir (20,000 mails) is mailbox_sync's; this one isolates our half.
"""

import email
import email.policy
import os
import random
import resource
import time

import pytest
from django.db import connection

from backoffice.correspondence.models import Message, RawMail
from backoffice.correspondence.services.ingest import raw_mails_ingest_pending, raw_mails_store
from tests.conftest import skip_or_fail
from tests.correspondence.mails import mail_bytes
from tests.factories import AssignmentFactory, CounsellorFactory

SIZE = int(os.environ.get("MAILNET_BENCH_INGEST_MAILS", "1000"))


def corpus(pairs, n: int) -> list[bytes]:
    rng = random.Random(4)
    mails = []
    for index in range(n):
        counsellor, jobseeker = rng.choice(pairs)
        kind = rng.random()
        data = mail_bytes(
            sender=jobseeker.email,
            to=counsellor.public_address,
            subject=f"Demande n°{index % 400} : formation",
            body="Bonjour,\n\nJe souhaite m'inscrire à la formation.\n" * 8,
            html="<p>Bonjour <b>Madame</b>,</p><img src='https://t.example/p.gif'>" * 4
            if 0.7 <= kind < 0.9
            else None,
        )
        if kind >= 0.9:
            msg = email.message_from_bytes(data, policy=email.policy.default)
            msg.add_attachment(
                rng.randbytes(40_000), maintype="application", subtype="pdf", filename="cv.pdf"
            )
            data = bytes(msg)
        mails.append(data)
    return mails


@pytest.mark.django_db(transaction=True)
def test_bench_ingest(settings, tmp_path):
    if connection.vendor != "postgresql":
        skip_or_fail("the ingest benchmark runs on PostgreSQL (set DATABASE_URL)")
    settings.MEDIA_ROOT = tmp_path / "media"
    counsellors = [CounsellorFactory() for _ in range(20)]
    pairs = []
    for index in range(200):
        assignment = AssignmentFactory(counsellor=counsellors[index % 20])
        pairs.append((assignment.counsellor, assignment.jobseeker))
    mails = corpus(pairs, SIZE)

    start = time.perf_counter()
    for data in mails:
        email.message_from_bytes(data, policy=email.policy.default)
    bare = SIZE / (time.perf_counter() - start)

    start = time.perf_counter()
    for first in range(0, SIZE, 200):  # as the poller stores a fetched batch
        batch = [(data, str(first + i)) for i, data in enumerate(mails[first : first + 200])]
        raw_mails_store(mails=batch, mailbox_name="bench", agency=None)
    store_rate = SIZE / (time.perf_counter() - start)

    start = time.perf_counter()
    counts = raw_mails_ingest_pending(batch_size=200)
    ingest_rate = SIZE / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    assert counts["failed"] == 0
    assert RawMail.objects.filter(state="ingested").count() == SIZE
    assert Message.objects.count() == SIZE
    both = SIZE / (SIZE / store_rate + SIZE / ingest_rate)
    print(
        f"\n[mail-ingest] {SIZE} mails: store {store_rate:.0f}/s, ingest {ingest_rate:.0f}/s, "
        f"store+ingest {both:.0f}/s; bare email.message_from_bytes(policy=default) "
        f"{bare:.0f}/s (ratio {both / bare:.0%}); peak RSS {peak_mb:.0f} MB"
    )
