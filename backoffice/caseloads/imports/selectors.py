"""Reads of caseload imports, narrowed to what the user may see."""

from django.db.models import QuerySet

from backoffice.organisation.access import scope_for

from .models import ImportBatch, ImportChange


def imports_for(*, user) -> QuerySet[ImportBatch]:
    """The national administrator sees every import; a manager those of their agency."""
    queryset = ImportBatch.objects.select_related("created_by", "applied_by", "agency")
    scope = scope_for(user)
    if scope.everything:
        return queryset
    return queryset.filter(agency_id__in=scope.agency_ids)


def changes_of(*, batch: ImportBatch) -> QuerySet[ImportChange]:
    return batch.changes.select_related("counsellor", "counsellor__user").order_by("row", "pk")
