"""Writes on caseloads: who follows whom. Imports and admin screens call these."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from backoffice.organisation.models import Counsellor

from .models import Assignment, AssignmentKind, Employer, Jobseeker, Modality


@transaction.atomic
def assignment_open(
    *,
    counsellor: Counsellor,
    starts_on: datetime.date,
    jobseeker: Jobseeker | None = None,
    employer: Employer | None = None,
    kind: str = AssignmentKind.REFERENT,
    modality: Modality | None = None,
) -> Assignment:
    """Assigns a jobseeker or an employer to a counsellor from `starts_on`.

    An open assignment of the same kind is closed on the new start date (a transfer);
    the database's partial unique constraint guarantees one open assignment per kind.
    """
    if (jobseeker is None) == (employer is None):
        raise ValueError("exactly one of jobseeker and employer")
    party_filter = {"jobseeker": jobseeker} if jobseeker else {"employer": employer}
    current = (
        Assignment.objects.select_for_update()
        .filter(**party_filter, kind=kind, ends_on__isnull=True)
        .first()
    )
    if current is not None:
        if current.counsellor_id == counsellor.pk and current.modality_id == getattr(
            modality, "pk", None
        ):
            return current
        if starts_on < current.starts_on:
            raise ValidationError(
                _("La nouvelle affectation ne peut pas précéder l'affectation en cours (%(date)s).")
                % {"date": current.starts_on.strftime("%d/%m/%Y")}
            )
        current.ends_on = starts_on
        current.save(update_fields=["ends_on"])
    assignment = Assignment(
        **party_filter, counsellor=counsellor, kind=kind, modality=modality, starts_on=starts_on
    )
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def assignment_close(*, assignment: Assignment, ends_on: datetime.date) -> Assignment:
    """Ends an assignment (end of follow-up)."""
    assignment.ends_on = ends_on
    assignment.full_clean()
    assignment.save(update_fields=["ends_on"])
    return assignment


@transaction.atomic
def jobseeker_create(
    *,
    identifier: str,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    counsellor: Counsellor,
    modality: Modality,
    starts_on: datetime.date,
) -> Jobseeker:
    """Creates a jobseeker together with their referent assignment (a jobseeker is always followed)."""
    jobseeker = Jobseeker(
        identifier=identifier.strip().upper(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
    )
    jobseeker.full_clean()
    jobseeker.save()
    assignment_open(
        counsellor=counsellor, jobseeker=jobseeker, modality=modality, starts_on=starts_on
    )
    return jobseeker
