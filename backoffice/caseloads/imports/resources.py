"""django-import-export resources describing the two caseload files, column by column.

They hold the fields and our widgets; rows are cleaned with `clean_row` and written in
bulk by `services` (bulk mode, no per-row diff, no per-row save): import-export's own
row-by-row `import_data` would instantiate and diff every row, too slow at national scale.
"""

from __future__ import annotations

from django.utils import timezone
from import_export import fields, resources

from backoffice.caseloads.models import Assignment

from . import widgets as w
from .cleaning import memoized
from .parsing import EMPLOYER_COLUMNS, JOBSEEKER_COLUMNS, Column


class CaseloadResource(resources.Resource):
    columns: tuple[Column, ...] = ()
    party_field = ""

    class Meta:
        model = Assignment
        use_bulk = True
        skip_diff = True
        skip_unchanged = False
        batch_size = 2000

    # Columns with few distinct values in a file: each distinct cell is cleaned once.
    memoized_columns = {"matricule", "agency", "starts_on", "kind", "modality"}

    def __init__(self, *, lookups: w.Lookups | None = None, **kwargs):
        super().__init__(**kwargs)
        self.lookups = lookups
        today = timezone.localdate()
        for field in self.fields.values():
            if hasattr(field.widget, "lookups"):
                field.widget.lookups = lookups
            if hasattr(field.widget, "today"):
                field.widget.today = today
        self.titles = {c.key: c.title for c in self.columns}
        # widget.clean directly: what Field.clean does, without its per-cell overhead
        self._cleaners = []
        for column in self.columns:
            clean = self.fields[column.key].widget.clean
            if column.key in self.memoized_columns:
                # an empty modality depends on the row's type: never remembered
                clean = memoized(clean, skip_empty=column.key == "modality")
            self._cleaners.append((column.key, column.title, clean))
        self._default_kind = self.fields["kind"].widget.clean(None)

    def clean_row(self, raw: dict) -> tuple[dict, list[tuple[str, str]]]:
        """Cleaned values by column key, and the (column title, French message) errors."""
        values: dict = {}
        errors: list[tuple[str, str]] = []
        for key, title, clean in self._cleaners:
            try:
                value = raw[key]
            except KeyError:  # an optional column the file does not have
                values[key] = self._default_kind if key == "kind" else None
                continue
            try:
                values[key] = clean(value, raw)
            except ValueError as error:
                errors.append((title, str(error)))
        return values, errors

    def template_headers(self) -> list[str]:
        return [c.title for c in self.columns]


class JobseekerAssignmentResource(CaseloadResource):
    columns = JOBSEEKER_COLUMNS
    party_field = "identifier"

    identifier = fields.Field(
        attribute="identifier", column_name="identifier", widget=w.JobseekerIdentifierWidget()
    )
    last_name = fields.Field(
        attribute="last_name", column_name="last_name", widget=w.TrimmedTextWidget()
    )
    first_name = fields.Field(
        attribute="first_name", column_name="first_name", widget=w.TrimmedTextWidget()
    )
    email = fields.Field(attribute="email", column_name="email", widget=w.EmailWidget())
    modality = fields.Field(
        attribute="modality_id", column_name="modality", widget=w.ModalityWidget()
    )
    matricule = fields.Field(
        attribute="counsellor", column_name="matricule", widget=w.CounsellorWidget()
    )
    agency = fields.Field(attribute="agency", column_name="agency", widget=w.AgencyWidget())
    starts_on = fields.Field(
        attribute="starts_on", column_name="starts_on", widget=w.FrenchDateWidget()
    )
    kind = fields.Field(attribute="kind", column_name="kind", widget=w.AssignmentKindWidget())


class EmployerAssignmentResource(CaseloadResource):
    columns = EMPLOYER_COLUMNS
    party_field = "siret"

    siret = fields.Field(attribute="siret", column_name="siret", widget=w.SiretWidget())
    name = fields.Field(
        attribute="name", column_name="name", widget=w.TrimmedTextWidget(max_length=200)
    )
    email = fields.Field(attribute="email", column_name="email", widget=w.EmailWidget())
    matricule = fields.Field(
        attribute="counsellor", column_name="matricule", widget=w.CounsellorWidget()
    )
    agency = fields.Field(attribute="agency", column_name="agency", widget=w.AgencyWidget())
    starts_on = fields.Field(
        attribute="starts_on", column_name="starts_on", widget=w.FrenchDateWidget()
    )
    kind = fields.Field(attribute="kind", column_name="kind", widget=w.AssignmentKindWidget())


RESOURCES = {
    "jobseekers": JobseekerAssignmentResource,
    "employers": EmployerAssignmentResource,
}
