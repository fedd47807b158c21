"""Writes of the quality review: the weekly draw, the manager's scores, the team policies."""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.correspondence.models import Message
from backoffice.organisation import access
from backoffice.organisation.models import Team

from .models import REVIEW_CRITERIA, Review, ReviewDraw, ReviewPolicy, ReviewSample

DEFAULT_SHARE = Decimal("5.00")
DEFAULT_MIN_PER_COUNSELLOR = 1
# The week the schedule draws is the previous week as seen from Paris (Monday 06:00).
SCHEDULE_TIME_ZONE = "Europe/Paris"
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def week_parse(value: str) -> tuple[int, int]:
    """'2026-W47' -> (2026, 47); ValueError for anything that is not an ISO week."""
    match = _WEEK_RE.match(value.strip())
    if not match:
        raise ValueError(_("Semaine attendue au format AAAA-Snn ISO, ex. 2026-W47."))
    year, number = int(match.group(1)), int(match.group(2))
    dt.date.fromisocalendar(year, number, 1)  # raises ValueError for week 53 of a short year
    return year, number


def week_previous(*, now: dt.datetime) -> str:
    """The ISO week before the one `now` falls in, in Paris."""
    local = now.astimezone(ZoneInfo(SCHEDULE_TIME_ZONE)).date() - dt.timedelta(days=7)
    year, number, _day = local.isocalendar()
    return f"{year}-W{number:02d}"


def week_bounds(*, week: str, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 to the next Monday 00:00 of that week, in the agency's time zone."""
    year, number = week_parse(week)
    tz = ZoneInfo(time_zone)
    monday = dt.date.fromisocalendar(year, number, 1)
    return (
        dt.datetime.combine(monday, dt.time(0), tz),
        dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tz),
    )


def sample_size(*, per_counsellor: dict[int, int], share: Decimal, minimum: int) -> int:
    """How many replies to draw: the share of all (rounded up), and at least `minimum` for
    each counsellor who sent something (capped at what they sent)."""
    total = sum(per_counsellor.values())
    floor = sum(min(minimum, n) for n in per_counsellor.values())
    return min(total, max(math.ceil(total * share / 100), floor))


def sample_pick(
    *, messages: dict[int, list[int]], share: Decimal, minimum: int, rng: random.Random
) -> list[tuple[int, int]]:
    """Picks (counsellor id, message id) pairs: `minimum` per counsellor first, then the rest
    of the share at random among the replies left."""
    per_counsellor = {c: len(ids) for c, ids in messages.items()}
    wanted = sample_size(per_counsellor=per_counsellor, share=share, minimum=minimum)
    picked: list[tuple[int, int]] = []
    left: list[tuple[int, int]] = []
    for counsellor_id in sorted(messages):
        ids = sorted(messages[counsellor_id])
        rng.shuffle(ids)
        take = min(minimum, len(ids))
        picked += [(counsellor_id, pk) for pk in ids[:take]]
        left += [(counsellor_id, pk) for pk in ids[take:]]
    extra = max(0, wanted - len(picked))
    return picked + rng.sample(left, extra)


@dataclass
class DrawReport:
    week: str
    drawn: int = 0
    already: int = 0
    inactive: int = 0
    samples: int = 0
    teams: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return _(
            "semaine %(week)s : %(drawn)s équipe(s) tirée(s), %(samples)s réponse(s) à relire ; "
            "%(already)s déjà tirée(s), %(inactive)s sans revue active"
        ) % {
            "week": self.week,
            "drawn": self.drawn,
            "samples": self.samples,
            "already": self.already,
            "inactive": self.inactive,
        }


def quality_draw_run(
    *, week: str | None = None, now: dt.datetime | None = None, rng: random.Random | None = None
) -> DrawReport:
    """Draws the sent replies of `week` (default: last week) for every team, once per team.

    A team already drawn for that week is left as it is: running the schedule, the command
    or both again adds nothing. One query per time zone reads the week's sent replies.
    """
    now = now or timezone.now()
    week = week or week_previous(now=now)
    week_parse(week)
    rng = rng or random.SystemRandom()
    report = DrawReport(week=week)
    teams = list(Team.objects.select_related("agency", "review_policy").order_by("pk"))
    done = set(ReviewDraw.objects.filter(week=week).values_list("team_id", flat=True))
    by_zone: dict[str, list[Team]] = defaultdict(list)
    for team in teams:
        policy = getattr(team, "review_policy", None)
        if team.pk in done:
            report.already += 1
        elif policy is not None and not policy.is_active:
            report.inactive += 1
        else:
            by_zone[team.agency.time_zone].append(team)
    for time_zone, zone_teams in by_zone.items():
        starts_at, ends_at = week_bounds(week=week, time_zone=time_zone)
        sent = _sent_replies(teams=zone_teams, starts_at=starts_at, ends_at=ends_at)
        for team in zone_teams:
            draw = quality_draw_team(
                team=team,
                week=week,
                bounds=(starts_at, ends_at),
                messages=sent.get(team.pk, {}),
                now=now,
                rng=rng,
            )
            if draw is None:
                report.already += 1
                continue
            report.drawn += 1
            report.samples += draw.sample_count
            report.teams.append(str(team))
    return report


def _sent_replies(
    *, teams: list[Team], starts_at: dt.datetime, ends_at: dt.datetime
) -> dict[int, dict[int, list[int]]]:
    """{team id: {counsellor id: [message ids]}} of replies sent in the period by members."""
    rows = Message.objects.filter(
        direction=Message.Direction.OUTGOING,
        send_state=Message.SendState.SENT,
        sent_at__gte=starts_at,
        sent_at__lt=ends_at,
        author__counsellor__team__in=teams,
    ).values_list("author__counsellor__team_id", "author__counsellor__id", "pk")
    sent: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for team_id, counsellor_id, pk in rows:
        sent[team_id][counsellor_id].append(pk)
    return sent


@transaction.atomic
def quality_draw_team(
    *,
    team: Team,
    week: str,
    bounds: tuple[dt.datetime, dt.datetime],
    messages: dict[int, list[int]],
    now: dt.datetime,
    rng: random.Random,
) -> ReviewDraw | None:
    """Records the draw of one team and week and its samples; None if it was already drawn."""
    policy = getattr(team, "review_policy", None)
    share = policy.share_percent if policy else DEFAULT_SHARE
    minimum = policy.min_per_counsellor if policy else DEFAULT_MIN_PER_COUNSELLOR
    draw, created = ReviewDraw.objects.get_or_create(
        team=team,
        week=week,
        defaults={
            "starts_at": bounds[0],
            "ends_at": bounds[1],
            "drawn_at": now,
            "replies_sent": sum(len(ids) for ids in messages.values()),
            "share_percent": share,
        },
    )
    if not created:
        return None
    picks = sample_pick(messages=messages, share=share, minimum=minimum, rng=rng)
    ReviewSample.objects.bulk_create(
        [
            ReviewSample(
                draw=draw,
                team=team,
                week=week,
                message_id=message_id,
                counsellor_id=counsellor_id,
                drawn_at=now,
            )
            for counsellor_id, message_id in picks
        ]
    )
    draw.sample_count = len(picks)
    return draw


def review_refusal(*, sample: ReviewSample, reviewer) -> str | None:
    """Why `reviewer` may not score `sample` (French), or None when they may: only a reviewer
    who may write the sample's agency scores it, never their own reply."""
    if not reviewer.has_perm("quality.add_review") or not access.can_write(reviewer, sample):
        return _("Vous ne pouvez pas relire cette réponse.")
    if sample.counsellor.user_id == reviewer.pk:
        return _("On ne relit pas ses propres réponses.")
    return None


@transaction.atomic
def review_record(
    *, sample: ReviewSample, reviewer, scores: dict[str, int], comment: str
) -> Review:
    """The manager's scores (1 to 4 on each criterion) and comment on one drawn reply.

    Only a reviewer who may write the sample's agency scores it, never their own reply;
    scoring again replaces the previous score (the latest reviewer is kept).
    """
    refusal = review_refusal(sample=sample, reviewer=reviewer)
    if refusal is not None:
        raise PermissionDenied(refusal)
    missing = [name for name in REVIEW_CRITERIA if name not in scores]
    if missing or any(not 1 <= int(scores[name]) <= 4 for name in REVIEW_CRITERIA):
        raise ValidationError(_("Chaque critère se note de 1 à 4."))
    review, _created = Review.objects.update_or_create(
        sample=sample,
        defaults={
            "reviewer": reviewer,
            "reviewed_at": timezone.now(),
            "comment": comment.strip(),
            **{name: int(scores[name]) for name in REVIEW_CRITERIA},
        },
    )
    return review


@transaction.atomic
def review_policy_save(
    *,
    team: Team,
    share_percent: Decimal,
    min_per_counsellor: int,
    is_active: bool,
    by,
) -> ReviewPolicy:
    """Sets a team's review policy; only a manager of its agency or an administrator."""
    if not by.has_perm("quality.change_reviewpolicy") or not access.can_write(by, team):
        raise PermissionDenied(_("Vous ne pouvez pas régler la revue de cette équipe."))
    policy = ReviewPolicy.objects.filter(team=team).first() or ReviewPolicy(team=team)
    policy.share_percent = share_percent
    policy.min_per_counsellor = min_per_counsellor
    policy.is_active = is_active
    policy.full_clean(validate_unique=False)
    policy.save()
    return policy
