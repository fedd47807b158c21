"""Satisfaction: a signed link per reply, a public page, one rating, expiry, in the reports."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from reports.models import Rating
from reports.periods import Period
from reports.selectors import ReportScope, report_totals
from reports.services.ratings import rating_url_for

from .factories import MessageFactory, incoming, paris, reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(week):
    thread = week.threads[4]  # t5, unanswered until now
    incoming(thread, "2026-03-16 09:00")
    return reply(thread, "2026-03-16 10:00")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_one_click_link_preselects_the_score_and_needs_no_login(client, answered):
    url = rating_url_for(message=answered, score=4)
    assert url.startswith("http") and url.endswith("?note=4")
    page = client.get(path_of(url)).content.decode()
    assert 'value="4"' in page and "checked" in page.split('value="4"')[1][:40]


def test_a_reply_accepts_one_rating_and_it_feeds_the_reports(client, answered):
    url = path_of(rating_url_for(message=answered))
    with time_machine.travel(paris("2026-03-17 09:00"), tick=False):
        response = client.post(url, {"score": "5", "comment": "Très clair, merci"})
        assert "bien été enregistré" in response.content.decode()
        second = client.post(url, {"score": "1"})
        assert "déjà été notée" in second.content.decode()
    rating = Rating.objects.get(message=answered)
    assert (rating.score, rating.comment, rating.message) == (5, "Très clair, merci", answered)
    with time_machine.travel(paris("2026-03-20 12:00"), tick=False):
        total = report_totals(period=Period.day(dt.date(2026, 3, 17)), scope=ReportScope.national())
    assert (total.ratings, total.satisfaction) == (1, 5.0)


def test_expired_or_forged_links_are_refused(client, answered, settings):
    settings.MAILNET_REPORTS_RATING_MAX_AGE_DAYS = 30
    with time_machine.travel(paris("2026-03-16 11:00"), tick=False):
        url = path_of(rating_url_for(message=answered))
    with time_machine.travel(paris("2026-04-20 11:00"), tick=False):
        assert client.get(url).status_code == 410
        assert client.post(url, {"score": "3"}).status_code == 410
    forged = reverse("reports_public:rate", kwargs={"token": "abc:def"})
    assert client.get(forged).status_code == 410
    assert not Rating.objects.filter(message=answered).exists()


def test_incoming_mail_cannot_be_rated(client, week):
    mail_in = MessageFactory(thread=week.threads[0])
    assert client.get(path_of(rating_url_for(message=mail_in))).status_code == 410


def test_scores_outside_one_to_five_are_rejected(client, answered):
    url = path_of(rating_url_for(message=answered))
    response = client.post(url, {"score": "9"})
    assert response.status_code == 200 and not Rating.objects.filter(message=answered).exists()
