"""Benchmark of the answer repository on PostgreSQL: search, suggestions, chooser.

`make bench` (needs DATABASE_URL on PostgreSQL). Size: MAILNET_BENCH_ANSWERS_TEMPLATES
published templates (default 450, i.e. ten times the demo repository).
"""

import os
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from answer_repository.demo.evaluation import labelled_mails
from answer_repository.demo.motifs import MOTIFS
from answer_repository.demo.templates import TEMPLATES
from answer_repository.models import AnswerTemplate, Motif
from answer_repository.selectors import templates_search
from answer_repository.suggest import templates_suggest
from tests.conftest import skip_or_fail
from tests.factories import UserFactory

SIZE = int(os.environ.get("MAILNET_BENCH_ANSWERS_TEMPLATES", "450"))


@pytest.fixture
def repository(django_capture_on_commit_callbacks):
    if connection.vendor != "postgresql":
        skip_or_fail("the benchmarks run on PostgreSQL (DATABASE_URL)")
    motifs = {}
    for code, name, parent, keywords in MOTIFS:
        motifs[code] = Motif.objects.create(
            code=code, name=name, parent=motifs.get(parent), keywords=keywords
        )
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(SIZE):
            code, title, audience, motif_codes, _m, keywords, body, _l, _r = TEMPLATES[
                i % len(TEMPLATES)
            ]
            template = AnswerTemplate(
                code=f"{code}-{i}",
                title=f"{title} ({i // len(TEMPLATES)})",
                audience=audience,
                keywords=keywords,
                body="".join(f"<p>{p}</p>" for p in body),
                live=True,
            )
            template.motifs = [motifs[c] for c in motif_codes]
            template.save()
    print(
        f"\n[answers] {SIZE} templates created and indexed in {time.perf_counter() - started:.1f} s"
    )


def _per_call_ms(fn, repeat):
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1000


@pytest.mark.django_db
def test_bench_answers(repository, client):
    for query in ("formations", "reglement", "frais de deplacement"):
        ms = _per_call_ms(lambda q=query: len(list(templates_search(q))), 20)
        print(f"[answers] search {query!r}: {ms:.1f} ms/query")

    mails = labelled_mails()
    started = time.perf_counter()
    templates_suggest(subject=mails[0].subject, body=mails[0].body)
    print(
        f"[answers] suggestion index build (cold): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    started = time.perf_counter()
    for mail in mails:
        templates_suggest(subject=mail.subject, body=mail.body, audience=mail.audience)
    per_mail = (time.perf_counter() - started) / len(mails) * 1000
    print(f"[answers] suggestion (warm): {per_mail:.1f} ms/mail over {len(mails)} mails")

    client.force_login(UserFactory(role="Conseiller"))
    url = reverse("wagtailsnippetchoosers_answer_repository_answertemplate:choose_results")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url, {"q": "formations", "audience": "jobseeker"})
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    print(f"[answers] chooser search page: {elapsed:.0f} ms, {len(queries)} queries")
