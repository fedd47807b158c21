"""A small network with one week of hand-counted mail (week of Monday 9 March 2026).

Region Nord (R01) / agency A1, team T1: counsellors c1, c2, c4 (c4 never answers).
Region Sud (R02) / agency A2: counsellor c3.
Every figure the tests expect is counted by hand in the docstring of `week`.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine

from answer_repository.models import Motif
from backoffice.correspondence.models import Message, SlaEvent
from backoffice.organisation import roles
from reports.periods import Period
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CounsellorFactory,
    EmployerFactory,
    JobseekerFactory,
    RegionalPilotFactory,
    RegionFactory,
    TeamFactory,
    UserFactory,
    modality,
)

from .factories import ThreadFactory, contact, incoming, paris, rating, reply, sla_event

WEEK = Period.week(dt.date(2026, 3, 9))


@pytest.fixture
def after_week():
    """The clock on Friday 20 March 2026, noon: the whole week is in the past."""
    with time_machine.travel(paris("2026-03-20 12:00"), tick=False):
        yield


@pytest.fixture
def week(db):
    """
    t1 c1/j1 (GUIDE): in Mon 10:00, in Mon 11:00, reply Tue 10:00 (24 h), out Wed (no wait).
    t2 c1/j2 (RENFORCE): in Tue 09:00, auto-reply Tue 09:30, reply Mon 16 09:00 (next week).
    t3 c2/employer: in Wed 14:00, reply Fri 08:00 (10+24+8 = 42 h), bounce Fri 08:05.
    t4 c3/j3 (GUIDE, region Sud): in Mon 08:00, reply Fri 12:00 (16+24+24+24+12 = 100 h);
       holding notice and breach on Thu 08:00.
    t5 c3/unknown sender: in Sat 10:00, never answered.
    Contact: c1 for j1, created Wed 11. Ratings: t1's reply 4 (Tue), t3's reply 2 (Fri).
    Caseloads on Sunday 15: c1 j1+j2, c2 j4, c3 j3 (j5 left c1 on 1 March).
    Motifs: t1 "Prise de rendez-vous" and t4 "Report" (family "Rendez-vous"), t3
    "Financement" (family "Formation"); t2 and t5 have none.

    Week, all:   received 6, answered 3, within 2 (66.7 %), unanswered at end 2 (t2, t5),
                 median 42, p90 100, holding 1, breach 1, contacts 1, caseload 4,
                 4 jobseeker mails -> 100 per 100, counsellors 4, answering 3 (75 %),
                 ratings 2, satisfaction 3.0.
    """
    nord = RegionFactory(code="R01", name="Région Nord")
    sud = RegionFactory(code="R02", name="Région Sud")
    a1 = AgencyFactory(code="59001", name="Lille Centre", region=nord)
    a2 = AgencyFactory(code="13001", name="Marseille Port", region=sud)
    t1_team = TeamFactory(agency=a1, name="Équipe Lille A")
    c1 = CounsellorFactory(
        agency=a1, team=t1_team, user__first_name="Alice", user__last_name="Durand"
    )
    c2 = CounsellorFactory(
        agency=a1, team=t1_team, user__first_name="Bruno", user__last_name="Petit"
    )
    c4 = CounsellorFactory(
        agency=a1, team=t1_team, user__first_name="Dora", user__last_name="Lenoir"
    )
    c3 = CounsellorFactory(agency=a2, user__first_name="Chloé", user__last_name="Marin")
    j1, j2, j3, j4, j5 = (JobseekerFactory() for _ in range(5))
    guide, renforce = modality("GUIDE"), modality("RENFORCE")
    AssignmentFactory(jobseeker=j1, counsellor=c1, modality=guide)
    AssignmentFactory(jobseeker=j2, counsellor=c1, modality=renforce)
    AssignmentFactory(jobseeker=j3, counsellor=c3, modality=guide)
    AssignmentFactory(jobseeker=j4, counsellor=c2, modality=guide)
    AssignmentFactory(
        jobseeker=j5, counsellor=c1, modality=modality("SUIVI"), ends_on=dt.date(2026, 3, 1)
    )
    employer = EmployerFactory()
    rdv = Motif.objects.create(code="rdv", name="Rendez-vous")
    rdv_prise = Motif.objects.create(code="rdv-prise", name="Prise de rendez-vous", parent=rdv)
    rdv_report = Motif.objects.create(code="rdv-report", name="Report", parent=rdv)
    form = Motif.objects.create(code="form", name="Formation")
    form_fin = Motif.objects.create(code="form-fin", name="Financement", parent=form)

    t1 = ThreadFactory(agency=a1, counsellor=c1, jobseeker=j1, motif=rdv_prise)
    incoming(t1, "2026-03-09 10:00")
    incoming(t1, "2026-03-09 11:00")
    r1 = reply(t1, "2026-03-10 10:00")
    reply(t1, "2026-03-11 10:00")
    t2 = ThreadFactory(agency=a1, counsellor=c1, jobseeker=j2)
    incoming(t2, "2026-03-10 09:00")
    incoming(t2, "2026-03-10 09:30", kind=Message.Kind.AUTO_REPLY)
    reply(t2, "2026-03-16 09:00")
    t3 = ThreadFactory(agency=a1, counsellor=c2, employer=employer, motif=form_fin)
    incoming(t3, "2026-03-11 14:00")
    r3 = reply(t3, "2026-03-13 08:00")
    incoming(t3, "2026-03-13 08:05", kind=Message.Kind.BOUNCE)
    t4 = ThreadFactory(agency=a2, counsellor=c3, jobseeker=j3, motif=rdv_report)
    incoming(t4, "2026-03-09 08:00")
    reply(t4, "2026-03-13 12:00")
    sla_event(t4, SlaEvent.Kind.HOLDING_NOTICE, "2026-03-12 08:00")
    sla_event(t4, SlaEvent.Kind.BREACH, "2026-03-12 08:00")
    t5 = ThreadFactory(agency=a2, counsellor=c3)
    incoming(t5, "2026-03-14 10:00")
    contact(counsellor=c1, jobseeker=j1, when="2026-03-11 15:00")
    rating(r1, 4, "2026-03-10 12:00")
    rating(r3, 2, "2026-03-13 09:00")
    return SimpleNamespace(
        nord=nord,
        sud=sud,
        a1=a1,
        a2=a2,
        team=t1_team,
        c1=c1,
        c2=c2,
        c3=c3,
        c4=c4,
        guide=guide,
        renforce=renforce,
        motifs=SimpleNamespace(
            rdv=rdv, rdv_prise=rdv_prise, rdv_report=rdv_report, form=form, form_fin=form_fin
        ),
        threads=[t1, t2, t3, t4, t5],
        replies=[r1, r3],
    )


@pytest.fixture
def admin_user(db):
    return UserFactory(role=roles.NATIONAL_ADMIN)


@pytest.fixture
def pilot_nord(week):
    return RegionalPilotFactory(region=week.nord).user


@pytest.fixture
def manager_a1(week):
    return CounsellorFactory(agency=week.a1, public_address=None, user__role=roles.MANAGER).user


@pytest.fixture
def counsellor_user(week):
    return week.c1.user


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Export files land in a temporary folder, never in var/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
