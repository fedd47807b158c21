"""Quality screens: managers score their agency's samples; counsellors read their own."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from backoffice.correspondence.models import ThreadRead
from backoffice.organisation import roles
from quality.models import Review, ReviewDraw, ReviewPolicy, ReviewSample
from quality.services import quality_draw_run, review_record
from tests.factories import RegionalPilotFactory, TeamFactory, UserFactory

from .factories import MONDAY_AFTER, member, sent_replies

pytestmark = pytest.mark.django_db

GRID = {"clarity": 4, "accuracy": 3, "tone": 4, "legal_correctness": 2, "timeliness": 3}


@pytest.fixture
def team():
    return TeamFactory()


@pytest.fixture
def manager(team):
    return member(team, user=UserFactory(role=roles.MANAGER))


@pytest.fixture
def sample(team):
    sent_replies(member(team), 1)
    quality_draw_run(now=MONDAY_AFTER)
    return ReviewSample.objects.get()


def row(sample) -> str:
    """The listing's link to one sample (names also appear in the filters' choices)."""
    return f'href="{reverse("quality_samples:edit", args=[sample.pk])}"'


def refused(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_the_manager_scores_a_sample_seeing_the_reply_and_the_mail_it_answered(
    client, manager, sample
):
    client.force_login(manager.user)
    listing = client.get(reverse("quality_samples:index"))
    assert listing.status_code == 200
    assert row(sample) in listing.content.decode()
    url = reverse("quality_samples:edit", args=[sample.pk])
    page = client.get(url).content.decode()
    assert "Votre dossier de formation est validé" in page  # the sent reply
    assert "où en est ma demande de formation" in page  # the mail it answered
    read = ThreadRead.objects.get(user=manager.user)
    assert (read.thread_id, read.via) == (sample.message.thread_id, ThreadRead.Via.REVIEW)
    response = client.post(url, {**GRID, "comment": "Citer le texte applicable."})
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.sample, review.reviewer, review.legal_correctness) == (sample, manager.user, 2)
    assert review.comment == "Citer le texte applicable."
    assert review.average == pytest.approx(3.2)


def test_a_score_outside_the_grid_is_refused(client, manager, sample):
    client.force_login(manager.user)
    url = reverse("quality_samples:edit", args=[sample.pk])
    assert client.post(url, {**GRID, "tone": 5}).status_code == 200
    assert not Review.objects.exists()


def test_filters_by_reviewed_and_week(client, manager, sample, team):
    sent_replies(member(team), 1)
    quality_draw_run(week="2026-W46", now=MONDAY_AFTER)  # an empty older week
    review_record(sample=sample, reviewer=manager.user, scores=GRID, comment="")
    client.force_login(manager.user)
    index = reverse("quality_samples:index")
    assert row(sample) in client.get(index, {"reviewed": "true"}).content.decode()
    assert row(sample) not in client.get(index, {"reviewed": "false"}).content.decode()
    assert row(sample) not in client.get(index, {"week": "2026-W46"}).content.decode()
    assert row(sample) in client.get(index, {"week": "2026-W47"}).content.decode()


def test_another_agencys_manager_cannot_score(client, sample):
    outsider = member(TeamFactory(), user=UserFactory(role=roles.MANAGER))
    client.force_login(outsider.user)
    url = reverse("quality_samples:edit", args=[sample.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, GRID).status_code == 404
    assert row(sample) not in client.get(reverse("quality_samples:index")).content.decode()
    with pytest.raises(PermissionDenied):
        review_record(sample=sample, reviewer=outsider.user, scores=GRID, comment="")
    assert not Review.objects.exists()


def test_nobody_scores_their_own_reply(team):
    boss = member(team, user=UserFactory(role=roles.MANAGER))
    sent_replies(boss, 1)
    quality_draw_run(now=MONDAY_AFTER)
    with pytest.raises(PermissionDenied):
        review_record(
            sample=ReviewSample.objects.get(), reviewer=boss.user, scores=GRID, comment=""
        )


def test_counsellors_read_their_own_reviews_only(client, manager, sample, team):
    colleague = member(team)
    sent_replies(colleague, 1)
    ReviewDraw.objects.all().delete()  # draw again, with the colleague's reply too
    quality_draw_run(now=MONDAY_AFTER)
    mine, theirs = (
        ReviewSample.objects.get(counsellor=sample.counsellor),
        ReviewSample.objects.get(counsellor=colleague),
    )
    review_record(sample=mine, reviewer=manager.user, scores=GRID, comment="Très clair.")
    review_record(sample=theirs, reviewer=manager.user, scores=GRID, comment="Secret.")
    client.force_login(sample.counsellor.user)
    listing = client.get(reverse("quality_samples:index")).content.decode()
    assert row(mine) in listing and row(theirs) not in listing
    page = client.get(reverse("quality_samples:edit", args=[mine.pk]))
    assert page.status_code == 200 and "Très clair." in page.content.decode()
    assert 'name="clarity"' not in page.content.decode()  # read-only
    assert refused(client.post(reverse("quality_samples:edit", args=[mine.pk]), GRID))
    assert client.get(reverse("quality_samples:edit", args=[theirs.pk])).status_code == 404


def test_an_unreviewed_sample_is_not_shown_to_its_counsellor(client, sample):
    client.force_login(sample.counsellor.user)
    assert client.get(reverse("quality_samples:edit", args=[sample.pk])).status_code == 404


def test_pilots_see_nothing_of_the_review(client, sample, team):
    client.force_login(RegionalPilotFactory(region=team.agency.region).user)
    assert refused(client.get(reverse("quality_samples:index")))
    assert refused(client.get(reverse("quality_samples:edit", args=[sample.pk])))


def test_the_manager_sets_the_team_policy(client, manager, team):
    client.force_login(manager.user)
    response = client.post(
        reverse("quality_policies:add"),
        {"team": team.pk, "share_percent": "10", "min_per_counsellor": "2", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ReviewPolicy.objects.get(team=team)
    assert (policy.share_percent, policy.min_per_counsellor) == (Decimal("10.00"), 2)
    response = client.post(
        reverse("quality_policies:edit", args=[policy.pk]),
        {"team": team.pk, "share_percent": "7.5", "min_per_counsellor": "1", "is_active": "on"},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.share_percent == Decimal("7.50")


def test_a_manager_cannot_set_another_agencys_policy(client, manager):
    elsewhere = TeamFactory()
    client.force_login(manager.user)
    client.post(
        reverse("quality_policies:add"),
        {"team": elsewhere.pk, "share_percent": "50", "min_per_counsellor": "1"},
    )
    assert not ReviewPolicy.objects.filter(team=elsewhere).exists()


def test_a_counsellor_cannot_set_a_policy(client, team):
    counsellor = member(team)
    client.force_login(counsellor.user)
    assert refused(client.get(reverse("quality_policies:add")))


def test_the_samples_list_is_bounded_in_queries(
    client, manager, team, django_assert_max_num_queries
):
    for _ in range(6):
        sent_replies(member(team), 3)
    quality_draw_run(now=MONDAY_AFTER)
    for sample in ReviewSample.objects.all()[:3]:
        review_record(sample=sample, reviewer=manager.user, scores=GRID, comment="")
    client.force_login(manager.user)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("quality_samples:index"))
    assert response.status_code == 200
    assert response.content.decode().count("/ 4") == 3
