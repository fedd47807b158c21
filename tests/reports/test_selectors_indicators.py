"""Every indicator against the figures counted by hand in tests/reports/conftest.py."""

import datetime as dt

import pytest

from reports.models import Audience
from reports.periods import Period
from reports.selectors import ReportScope, day_facts, report_rows, report_totals
from reports.selectors.indicators import counsellors_to_support

from .conftest import WEEK

pytestmark = pytest.mark.django_db
NATIONAL = ReportScope.national()


def by_label(rows):
    return {row.label: row for row in rows}


def test_week_totals_match_the_hand_count(week, after_week):
    total = report_totals(period=WEEK, scope=NATIONAL)
    assert total.received == 6  # auto-reply and bounce excluded
    assert total.answered == 3  # t1 Tue, t3 Fri, t4 Fri; t1's Wednesday mail is no reply
    assert total.answered_within == 2
    assert total.within_rate == pytest.approx(2 / 3)
    assert total.unanswered_end == 2  # t2 (answered next week) and t5
    assert sorted(total.response_hours) == [24.0, 42.0, 100.0]
    assert total.median_hours == 42.0
    assert total.p90_hours == 100.0
    assert total.holding_notices == 1
    assert total.breaches == 1
    assert total.new_contacts == 1
    assert total.caseload == 4
    assert total.received_jobseekers == 4
    assert total.per_100_jobseekers == 100.0
    assert (total.counsellors, total.counsellors_answering) == (4, 3)
    assert total.adoption_rate == 0.75
    assert (total.ratings, total.satisfaction) == (2, 3.0)


def test_week_by_region(week, after_week):
    rows = by_label(report_rows(period=WEEK, group_by="region", scope=NATIONAL))
    nord, sud = rows["Région Nord"], rows["Région Sud"]
    assert (nord.received, nord.answered, nord.answered_within, nord.unanswered_end) == (4, 2, 2, 1)
    assert (nord.median_hours, nord.p90_hours) == (33.0, 42.0)
    assert (nord.caseload, nord.per_100_jobseekers) == (3, 100.0)
    assert (nord.counsellors, nord.counsellors_answering) == (3, 2)
    assert (nord.holding_notices, nord.breaches, nord.new_contacts) == (0, 0, 1)
    assert nord.satisfaction == 3.0
    assert (sud.received, sud.answered, sud.within_rate, sud.unanswered_end) == (2, 1, 0.0, 1)
    assert (sud.median_hours, sud.p90_hours) == (100.0, 100.0)
    assert (sud.holding_notices, sud.breaches, sud.caseload, sud.per_100_jobseekers) == (
        1,
        1,
        1,
        100.0,
    )
    assert sud.satisfaction is None


def test_week_by_modality_uses_the_referent_assignment_open_that_day(week, after_week):
    rows = {r.key: r for r in report_rows(period=WEEK, group_by="modality", scope=NATIONAL)}
    guide, renforce, none = rows[week.guide.pk], rows[week.renforce.pk], rows[None]
    assert (guide.received, guide.answered, guide.answered_within) == (3, 2, 1)
    assert (guide.holding_notices, guide.breaches, guide.new_contacts) == (1, 1, 1)
    assert (guide.caseload, guide.per_100_jobseekers) == (3, 100.0)
    assert (renforce.received, renforce.answered, renforce.unanswered_end) == (1, 0, 1)
    assert (renforce.caseload, renforce.per_100_jobseekers) == (1, 100.0)
    assert (none.received, none.answered, none.unanswered_end, none.ratings) == (2, 1, 1, 1)
    assert none.label == "non renseigné"


def test_week_by_audience_team_counsellor_and_motif(week, after_week):
    audience = {r.key: r for r in report_rows(period=WEEK, group_by="audience", scope=NATIONAL)}
    assert {k: r.received for k, r in audience.items()} == {
        Audience.JOBSEEKERS: 4,
        Audience.EMPLOYERS: 1,
        Audience.UNKNOWN: 1,
    }
    teams = {r.key: r for r in report_rows(period=WEEK, group_by="team", scope=NATIONAL)}
    assert (teams[week.team.pk].received, teams[week.team.pk].counsellors) == (4, 3)
    assert teams[None].received == 2  # c3 has no team
    people = {r.key: r for r in report_rows(period=WEEK, group_by="counsellor", scope=NATIONAL)}
    c1 = people[week.c1.pk]
    assert (c1.received, c1.answered, c1.unanswered_end, c1.new_contacts) == (3, 1, 1, 1)
    assert (c1.caseload, c1.per_100_jobseekers, c1.satisfaction) == (2, 150.0, 4.0)
    assert people[week.c4.pk].received == 0 and people[week.c4.pk].adoption_rate == 0.0


def test_week_by_motif_and_motif_family(week, after_week):
    m = week.motifs
    motifs = {r.key: r for r in report_rows(period=WEEK, group_by="motif", scope=NATIONAL)}
    assert set(motifs) == {m.rdv_prise.pk, m.rdv_report.pk, m.form_fin.pk, None}
    prise, report, fin, none = (
        motifs[k] for k in (m.rdv_prise.pk, m.rdv_report.pk, m.form_fin.pk, None)
    )
    assert (prise.label, prise.received, prise.answered, prise.answered_within) == (
        "Prise de rendez-vous",
        2,
        1,
        1,
    )
    assert (report.received, report.answered, report.within_rate) == (1, 1, 0.0)
    assert (report.holding_notices, report.breaches, report.median_hours) == (1, 1, 100.0)
    assert (fin.received, fin.answered, fin.answered_within, fin.satisfaction) == (1, 1, 1, 2.0)
    assert (none.label, none.received, none.answered, none.unanswered_end) == (
        "non renseigné",
        2,
        0,
        2,
    )
    families = {r.key: r for r in report_rows(period=WEEK, group_by="motif_family", scope=NATIONAL)}
    assert set(families) == {m.rdv.pk, m.form.pk, None}
    rdv = families[m.rdv.pk]
    assert (rdv.label, rdv.received, rdv.answered, rdv.answered_within) == ("Rendez-vous", 3, 2, 1)
    assert (rdv.median_hours, rdv.satisfaction) == (62.0, 4.0)
    assert (families[m.form.pk].label, families[m.form.pk].received) == ("Formation", 1)
    assert families[None].unanswered_end == 2


def test_filters_by_motif_and_motif_family(week, after_week):
    m = week.motifs
    rdv = report_totals(period=WEEK, scope=NATIONAL, filters={"motif_family_id": m.rdv.pk})
    assert (rdv.received, rdv.answered, rdv.breaches, rdv.unanswered_end) == (3, 2, 1, 0)
    report = report_totals(period=WEEK, scope=NATIONAL, filters={"motif_id": m.rdv_report.pk})
    assert (report.received, report.answered, report.breaches) == (1, 1, 1)
    by_region = by_label(
        report_rows(
            period=WEEK, group_by="region", scope=NATIONAL, filters={"motif_family_id": m.rdv.pk}
        )
    )
    assert (by_region["Région Nord"].received, by_region["Région Sud"].received) == (2, 1)


def test_daily_series_and_end_of_day_stock(week, after_week):
    days = {r.key: r for r in report_rows(period=WEEK, group_by="day", scope=NATIONAL)}
    assert [days[dt.date(2026, 3, d)].received for d in range(9, 16)] == [3, 1, 1, 0, 0, 1, 0]
    assert [days[dt.date(2026, 3, d)].answered for d in range(9, 16)] == [0, 1, 0, 0, 2, 0, 0]
    # Monday night t1 and t4 wait; Tuesday night t2 and t4; Friday night t2; Saturday t2, t5.
    assert [days[dt.date(2026, 3, d)].unanswered_end for d in range(9, 16)] == [2, 2, 3, 3, 1, 2, 2]


def test_one_day_and_custom_periods(week, after_week):
    monday = report_totals(period=Period.day(dt.date(2026, 3, 9)), scope=NATIONAL)
    assert (monday.received, monday.answered, monday.unanswered_end) == (3, 0, 2)
    custom = report_totals(
        period=Period(dt.date(2026, 3, 10), dt.date(2026, 3, 13)), scope=NATIONAL
    )
    assert (custom.received, custom.answered, custom.unanswered_end) == (2, 3, 1)
    month = report_totals(period=Period.month(2026, 3), scope=NATIONAL)
    assert (month.received, month.answered) == (6, 4)  # t2's reply on the 16th: 96 h
    assert month.answered_within == 2


def test_scopes_narrow_the_figures(week, after_week):
    nord = report_totals(period=WEEK, scope=ReportScope.for_region(week.nord))
    assert (nord.received, nord.counsellors, nord.caseload) == (4, 3, 3)
    a2 = report_totals(period=WEEK, scope=ReportScope.for_agency(week.a2))
    assert (a2.received, a2.breaches, a2.counsellors) == (2, 1, 1)
    with pytest.raises(PermissionError):
        report_rows(period=WEEK, group_by="counsellor", scope=ReportScope.for_region(week.nord))


def test_filters_by_modality_and_audience(week, after_week):
    guide = report_totals(period=WEEK, scope=NATIONAL, filters={"modality_id": week.guide.pk})
    assert (guide.received, guide.caseload) == (3, 3)
    employers = report_totals(period=WEEK, scope=NATIONAL, filters={"audience": "employers"})
    assert (employers.received, employers.caseload) == (1, None)


def test_counsellors_to_support_lists_who_answered_nothing(week, after_week):
    listed = counsellors_to_support(period=WEEK, scope=ReportScope.for_agency(week.a1))
    assert [item["counsellor"] for item in listed] == [week.c4]
    with pytest.raises(PermissionError):
        counsellors_to_support(period=WEEK, scope=ReportScope.for_region(week.nord))


def test_day_facts_attribute_a_day_in_the_agency_time_zone(week):
    # Tuesday 10 March: t1's reply (24 h) and t2's mail; the auto-reply counts for nothing.
    facts = day_facts(day=dt.date(2026, 3, 10))
    assert sum(f.received for f in facts.values()) == 1
    assert [h for f in facts.values() for h in f.response_hours] == [24.0]
