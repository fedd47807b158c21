"""The weekly draw: share, minimum per counsellor, week bounds, idempotence, schedule."""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from backoffice.correspondence.models import Message
from quality.models import ReviewDraw, ReviewPolicy, ReviewSample
from quality.services import (
    quality_draw_run,
    sample_size,
    week_bounds,
    week_previous,
)
from tests.factories import TeamFactory

from .factories import IN_WEEK, MONDAY_AFTER, WEEK, member, sent_replies

pytestmark = pytest.mark.django_db


def test_the_share_is_rounded_up_with_a_minimum_per_counsellor():
    assert sample_size(per_counsellor={1: 100}, share=Decimal(5), minimum=1) == 5
    assert sample_size(per_counsellor={1: 30}, share=Decimal(5), minimum=1) == 2
    assert sample_size(per_counsellor={1: 30, 2: 1, 3: 2}, share=Decimal(5), minimum=1) == 3
    assert sample_size(per_counsellor={1: 1}, share=Decimal(0), minimum=2) == 1
    assert sample_size(per_counsellor={}, share=Decimal(5), minimum=1) == 0


def test_week_bounds_and_the_previous_week_in_paris():
    assert week_previous(now=MONDAY_AFTER) == WEEK
    start, end = week_bounds(week=WEEK, time_zone="Europe/Paris")
    assert start == dt.datetime(2026, 11, 15, 23, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=7)
    reunion_start, _ = week_bounds(week=WEEK, time_zone="Indian/Reunion")
    assert reunion_start == dt.datetime(2026, 11, 15, 20, tzinfo=dt.UTC)


def test_the_draw_respects_the_share_and_gives_each_sender_one():
    team = TeamFactory()
    busy, quiet = member(team), member(team)
    sent_replies(busy, 60)
    sent_replies(quiet, 1)
    report = quality_draw_run(now=MONDAY_AFTER, rng=random.Random(1))
    assert (report.week, report.drawn) == (WEEK, 1)
    samples = ReviewSample.objects.filter(team=team)
    # 61 replies at 5 % -> 4 (rounded up), of which at least one for each sender.
    assert samples.count() == 4
    assert samples.filter(counsellor=quiet).count() == 1
    assert samples.filter(counsellor=busy).count() == 3
    assert all(s.message.direction == Message.Direction.OUTGOING for s in samples)
    draw = ReviewDraw.objects.get(team=team)
    assert (draw.week, draw.replies_sent, draw.share_percent) == (WEEK, 61, Decimal("5.00"))


def test_the_team_policy_sets_the_share():
    team = TeamFactory()
    ReviewPolicy.objects.create(team=team, share_percent=Decimal(50), min_per_counsellor=1)
    sent_replies(member(team), 10)
    quality_draw_run(now=MONDAY_AFTER)
    assert ReviewSample.objects.count() == 5


def test_an_inactive_policy_draws_nothing():
    team = TeamFactory()
    ReviewPolicy.objects.create(team=team, is_active=False)
    sent_replies(member(team), 10)
    assert quality_draw_run(now=MONDAY_AFTER).inactive == 1
    assert not ReviewDraw.objects.exists()


def test_the_draw_is_idempotent_per_team_and_week():
    team = TeamFactory()
    sent_replies(member(team), 30)
    first = quality_draw_run(now=MONDAY_AFTER)
    drawn = set(ReviewSample.objects.values_list("message_id", flat=True))
    second = quality_draw_run(now=MONDAY_AFTER)
    call_command("quality_draw", "--week", WEEK, stdout=None)
    assert (first.drawn, second.drawn, second.already) == (1, 0, 1)
    assert set(ReviewSample.objects.values_list("message_id", flat=True)) == drawn
    assert ReviewDraw.objects.count() == 1


def test_only_sent_replies_of_that_week_and_that_team_are_drawn():
    team, other_team = TeamFactory(), TeamFactory()
    author = member(team)
    sent_replies(author, 1, at=IN_WEEK - dt.timedelta(days=7))  # the week before
    sent_replies(author, 1, at=MONDAY_AFTER + dt.timedelta(hours=1))  # the week after
    [queued] = sent_replies(author, 1)
    Message.objects.filter(pk=queued.pk).update(send_state=Message.SendState.QUEUED)
    [kept] = sent_replies(author, 1)
    sent_replies(member(other_team), 1)
    quality_draw_run(now=MONDAY_AFTER)
    assert list(ReviewSample.objects.filter(team=team).values_list("message", flat=True)) == [
        kept.pk
    ]
    assert ReviewSample.objects.filter(team=other_team).count() == 1


def test_a_team_without_replies_is_drawn_empty_once():
    team = TeamFactory()
    member(team)
    assert quality_draw_run(now=MONDAY_AFTER).drawn == 1
    assert ReviewDraw.objects.get(team=team).samples.count() == 0


def test_the_command_takes_a_week_and_refuses_a_bad_one(capsys):
    team = TeamFactory()
    sent_replies(member(team), 2, at=IN_WEEK - dt.timedelta(days=7))
    call_command("quality_draw", "--week", "2026-W46")
    assert "2026-W46" in capsys.readouterr().out
    assert ReviewSample.objects.filter(week="2026-W46").count() == 1
    with pytest.raises(CommandError):
        call_command("quality_draw", "--week", "2026-47")


def test_the_weekly_schedule_runs_on_monday_at_six_in_paris():
    schedule = Schedule.objects.get(name="mailnet-quality-draw")
    assert (schedule.func, schedule.schedule_type) == (
        "quality.tasks.quality_draw_weekly",
        Schedule.WEEKLY,
    )
    local = schedule.next_run.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour, local.minute) == (0, 6, 0)
