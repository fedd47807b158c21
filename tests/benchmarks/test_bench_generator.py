"""Benchmark: the national generator at 1,000,000 jobseekers on PostgreSQL (target < 2 min).

Run with `make bench` (DATABASE_URL pointing at PostgreSQL). Size: MAILNET_BENCH_JOBSEEKERS.
"""

import os
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from backoffice.caseloads.models import Assignment, AssignmentKind, Jobseeker
from fixtures.national import NationalPlan

JOBSEEKERS = int(os.environ.get("MAILNET_BENCH_JOBSEEKERS", "1000000"))
TARGET_SECONDS = 120


@pytest.mark.django_db(transaction=True)
def test_bench_generate_national_data():
    if connection.vendor != "postgresql":
        pytest.skip("the generator benchmark needs PostgreSQL (DATABASE_URL=postgres://...)")
    plan = NationalPlan.for_jobseekers(JOBSEEKERS)
    out = StringIO()

    started = time.monotonic()
    call_command("generate_national_data", "--jobseekers", str(JOBSEEKERS), stdout=out)
    seconds = time.monotonic() - started

    open_referents = Assignment.objects.filter(
        jobseeker__isnull=False, kind=AssignmentKind.REFERENT, ends_on__isnull=True
    )
    assert Jobseeker.objects.count() == JOBSEEKERS
    assert open_referents.count() == JOBSEEKERS
    assert open_referents.values("jobseeker_id").distinct().count() == JOBSEEKERS
    rows = JOBSEEKERS + Assignment.objects.count()
    print()
    print(out.getvalue())
    print(
        f"BENCH generator: {JOBSEEKERS:,} jobseekers, {plan.counsellors:,} counsellors, "
        f"{plan.agencies} agencies, {plan.employers:,} employers; "
        f"{rows:,} jobseeker+assignment rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s"
        + (
            f" (target at 1,000,000: {TARGET_SECONDS} s, {'met' if seconds < TARGET_SECONDS else 'MISSED'})"
            if JOBSEEKERS == 1_000_000
            else ""
        )
    )
