"""Undoing an applied import: removes what it created, reopens what it closed."""

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.caseloads.models import Assignment, Employer, Jobseeker

from ..models import ChangeAction, ImportBatch, ImportChange, ImportStatus
from .common import ImportRefused


def _undo_blocker(batch: ImportBatch) -> ImportBatch | None:
    """The first later applied import that touched one of the same jobseekers/employers."""
    later = (
        ImportChange.objects.filter(
            batch_id__gt=batch.pk,
            batch__status=ImportStatus.APPLIED,
        )
        .filter(
            Exists(
                ImportChange.objects.filter(
                    batch_id=batch.pk, party_key=OuterRef("party_key"), kind=OuterRef("kind")
                )
            )
        )
        .order_by("batch_id")
        .values_list("batch_id", flat=True)
        .first()
    )
    return ImportBatch.objects.get(pk=later) if later else None


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> ImportBatch:
    """Reverses an applied import: removes what it created, reopens what it closed.

    Refused when a later import touched the same rows (it is named) or the assignments
    were changed since.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.APPLIED:
        raise ImportRefused(_("Seul un import appliqué peut être annulé."))
    blocker = _undo_blocker(batch)
    if blocker:
        raise ImportRefused(
            _(
                "Annulation impossible : l'import n° %(n)s (« %(name)s », du %(d)s) a modifié "
                "depuis les mêmes lignes. Annulez-le d'abord."
            )
            % {
                "n": blocker.pk,
                "name": blocker.original_name,
                "d": timezone.localtime(blocker.applied_at or blocker.created_at).strftime(
                    "%d/%m/%Y %H:%M"
                ),
            }
        )
    changes = batch.changes.all()
    parties = changes.filter(action=ChangeAction.PARTY_CREATED)
    # Set-based, whatever the size of the import: subqueries on the log, no lists of ids.
    created = changes.filter(action=ChangeAction.CREATED).values("assignment_id")
    created_count = created.count()
    if created_count:
        still_open = Assignment.objects.filter(id__in=created, ends_on__isnull=True).count()
        if still_open != created_count:
            raise ImportRefused(
                _(
                    "Annulation impossible : des affectations créées par cet import ont été "
                    "modifiées ou supprimées depuis."
                )
            )
        Assignment.objects.filter(id__in=created).delete()
    closed = changes.filter(action=ChangeAction.CLOSED)
    closed_count = closed.count()
    try:
        with transaction.atomic():
            # reopened only if still closed on the date this import closed it
            reopened = Assignment.objects.filter(
                Exists(closed.filter(assignment_id=OuterRef("pk"), on_date=OuterRef("ends_on")))
            ).update(ends_on=None)
            if reopened != closed_count:
                raise ImportRefused(
                    _(
                        "Annulation impossible : des affectations clôturées par cet "
                        "import ont été modifiées depuis."
                    )
                )
    except IntegrityError:
        raise ImportRefused(
            _(
                "Annulation impossible : une autre affectation a été ouverte depuis pour une "
                "personne de cet import."
            )
        ) from None
    step = 5000
    for model, field in ((Jobseeker, "jobseeker_id"), (Employer, "employer_id")):
        ids = [i for i in parties.values_list(field, flat=True) if i]
        for start in range(0, len(ids), step):
            # A party that has mail or other assignments since is kept.
            model.objects.filter(
                id__in=ids[start : start + step], assignments__isnull=True, threads__isnull=True
            ).delete()
    batch.status = ImportStatus.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    return batch
