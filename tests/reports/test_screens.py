"""Report screens per role: what each sees, never a counsellor for a pilot, constant
query counts, exports and the scheduled files."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import DailyRollup, ExportJob, RollupDay
from reports.periods import Period
from reports.services.exports import export_job_request, export_jobs_monthly, export_jobs_purge
from tests.factories import AgencyFactory, RegionFactory

from .conftest import WEEK
from .factories import paris

pytestmark = pytest.mark.django_db
WEEK_QUERY = {"period": "week", "day": "2026-03-09"}


def get(client, user, name, params=None):
    client.force_login(user)
    return client.get(reverse(name), params or {})


def test_pilot_sees_their_region_down_to_team_never_a_counsellor(
    client, week, after_week, pilot_nord
):
    response = get(client, pilot_nord, "reports:indicators", {**WEEK_QUERY, "group_by": "team"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Équipe Lille A" in page and "<svg" in page
    assert "Marseille" not in page
    # Asking for counsellors falls back to the default grouping (agency).
    response = get(
        client, pilot_nord, "reports:indicators", {**WEEK_QUERY, "group_by": "counsellor"}
    )
    page = response.content.decode()
    assert "Lille Centre" in page
    assert "Alice" not in page and "Durand" not in page and "Lenoir" not in page
    assert denied(get(client, pilot_nord, "reports:support", WEEK_QUERY))
    export = get(client, pilot_nord, "reports:indicators", {**WEEK_QUERY, "export": "csv"})
    body = b"".join(export.streaming_content).decode()
    assert "Lille Centre" in body and "Alice" not in body


def test_manager_sees_their_agency_down_to_counsellor(client, week, after_week, manager_a1):
    response = get(
        client, manager_a1, "reports:indicators", {**WEEK_QUERY, "group_by": "counsellor"}
    )
    page = response.content.decode()
    assert "Alice Durand" in page and "Dora Lenoir" in page
    assert "Chloé" not in page and "Marseille" not in page
    support = get(client, manager_a1, "reports:support", WEEK_QUERY).content.decode()
    assert "Dora Lenoir" in support and "Alice Durand" not in support


def test_national_admin_sees_every_region(client, week, after_week, admin_user):
    page = get(client, admin_user, "reports:indicators", WEEK_QUERY).content.decode()
    assert "Région Nord" in page and "Région Sud" in page


def test_counsellors_have_no_report(client, week, after_week, counsellor_user):
    assert denied(get(client, counsellor_user, "reports:indicators"))
    assert denied(get(client, counsellor_user, "reports_exports:index"))
    assert denied(get(client, counsellor_user, "reports:workbook"))


def test_workbook_download_is_scoped(client, week, after_week, pilot_nord, tmp_path):
    response = get(client, pilot_nord, "reports:workbook", WEEK_QUERY)
    assert response.status_code == 200
    assert "mailnet-pilotage_region-R01_2026-S11.xlsx" in response["Content-Disposition"]
    path = tmp_path / "pilot.xlsx"
    with open(path, "wb") as handle:
        handle.write(b"".join(response.streaming_content))
    book = load_workbook(path)
    assert "Conseillers" not in book.sheetnames
    assert [r[0].value for r in book["Régions"].iter_rows(min_row=2)] == ["Région Nord"]


def denied(response) -> bool:
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _rollup_rows(n_agencies: int) -> None:
    region = RegionFactory(code="R09", name="Région Test")
    day = dt.date(2026, 3, 10)
    RollupDay.objects.get_or_create(day=day, defaults={"computed_at": paris("2026-03-11 02:00")})
    rows = []
    for agency in AgencyFactory.create_batch(n_agencies, region=region):
        rows.append(
            DailyRollup(
                day=day,
                region=region,
                agency=agency,
                audience="jobseekers",
                received=3,
                answered=2,
                answered_within=1,
                response_hours=[10.0, 80.0],
            )
        )
    DailyRollup.objects.bulk_create(rows)


def _count_queries(client, user, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reports:indicators"), params)
    assert response.status_code == 200
    return len(queries), response


def test_report_screen_query_count_does_not_grow_with_rows(client, admin_user, after_week):
    client.force_login(admin_user)
    params = {"period": "day", "day": "2026-03-10", "group_by": "agency"}
    _rollup_rows(10)
    client.get(reverse("reports:indicators"), params)  # warm caches
    ten, response = _count_queries(client, admin_user, params)
    assert response.content.decode().count("Agence ") >= 10
    DailyRollup.objects.all().delete()
    _rollup_rows(100)
    hundred, response = _count_queries(client, admin_user, params)
    assert response.content.decode().count("Agence ") >= 100
    assert ten == hundred


def test_export_jobs_progress_notify_and_scope(
    client, week, after_week, pilot_nord, admin_user, django_capture_on_commit_callbacks
):
    admin_user.email = "admin@mailnet.test"
    admin_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_request(
            requested_by=admin_user, period=WEEK, region=week.sud, with_counsellors=True
        )
    job.refresh_from_db()  # django-q2 runs synchronously in tests
    assert (job.state, job.progress) == (ExportJob.State.DONE, 100)
    assert job.filename == "mailnet-pilotage_region-R02_2026-S11.xlsx"
    assert mail.outbox and job.filename in mail.outbox[0].subject
    client.force_login(pilot_nord)
    url = reverse("reports_exports:download", args=[job.pk])
    assert client.get(url).status_code == 404  # another region, and counsellor detail
    client.force_login(admin_user)
    assert client.get(url).status_code == 200


def test_monthly_scheduled_exports_land_per_region(
    client, week, pilot_nord, manager_a1, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        jobs = export_jobs_monthly(today=dt.date(2026, 4, 1))
    assert sorted(j.region.code for j in jobs) == ["R01", "R02"]
    assert export_jobs_monthly(today=dt.date(2026, 4, 1)) == []  # once per month
    nord = ExportJob.objects.get(region=week.nord)
    sud = ExportJob.objects.get(region=week.sud)
    assert (nord.starts_on, nord.ends_on) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert nord.state == ExportJob.State.DONE
    client.force_login(pilot_nord)
    page = client.get(reverse("reports_exports:index")).content.decode()
    assert nord.filename in page and sud.filename not in page
    assert client.get(reverse("reports_exports:download", args=[nord.pk])).status_code == 200
    assert client.get(reverse("reports_exports:download", args=[sud.pk])).status_code == 404
    client.force_login(manager_a1)  # a manager reads their agency, not the regional file
    assert client.get(reverse("reports_exports:download", args=[nord.pk])).status_code == 404
    sud.refresh_from_db()
    last_expiry = max(nord.expires_at, sud.expires_at)  # built one after the other
    assert export_jobs_purge(now=last_expiry + dt.timedelta(seconds=1)) == 2
    assert not ExportJob.objects.exists()


def test_large_workbook_becomes_a_background_job(
    client, week, after_week, pilot_nord, settings, django_capture_on_commit_callbacks
):
    settings.MAILNET_REPORTS_SYNC_EXPORT_MAX_ROWS = 0
    for day in Period.week(dt.date(2026, 3, 9)).days:
        from reports.services.rollups import rollup_day_recompute

        rollup_day_recompute(day=day)
    client.force_login(pilot_nord)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("reports:workbook"), WEEK_QUERY)
    assert response.status_code == 302 and response["Location"] == reverse("reports_exports:index")
    job = ExportJob.objects.get()
    assert (job.region, job.with_counsellors, job.state) == (week.nord, False, "done")


def test_screen_breaks_down_and_filters_by_motif_family(client, week, after_week, pilot_nord):
    response = get(
        client, pilot_nord, "reports:indicators", {**WEEK_QUERY, "group_by": "motif_family"}
    )
    assert response.status_code == 200
    rows = {row.label: row for row in response.context["object_list"]}
    assert (rows["Rendez-vous"].received, rows["Formation"].received) == (2, 1)  # Nord only
    filtered = get(
        client,
        pilot_nord,
        "reports:indicators",
        {**WEEK_QUERY, "group_by": "agency", "motif_family": week.motifs.rdv.pk},
    )
    (lille,) = filtered.context["object_list"]
    assert (lille.label, lille.received, lille.answered) == ("59001 – Lille Centre", 2, 1)
    motif = get(
        client,
        pilot_nord,
        "reports:indicators",
        {**WEEK_QUERY, "group_by": "motif", "motif": week.motifs.form_fin.pk},
    )
    assert [(r.label, r.received) for r in motif.context["object_list"]] == [("Financement", 1)]
