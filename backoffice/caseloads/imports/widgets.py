"""django-import-export widgets for caseload files: trimmed values, French messages.

`clean()` raises ValueError with the message shown to the manager. Foreign keys are
resolved from dictionaries loaded once per import (`Lookups`), never one query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.widgets import Widget

from backoffice.caseloads.models import AssignmentKind, Modality
from backoffice.organisation.models import Agency, Counsellor

from . import cleaning
from .cleaning import Required, required, text
from .parsing import normalise

__all__ = ["Lookups", "Required", "required", "text"]


@dataclass
class Lookups:
    """Reference data loaded once: counsellors, agencies and modalities by their codes."""

    counsellors: dict[str, tuple[int, int, bool]]  # matricule -> (id, agency_id, is_active)
    agencies: dict[str, int]  # code -> id
    agency_codes: dict[int, str]  # id -> code
    modalities: dict[str, int]  # normalised code or name -> id

    @classmethod
    def load(cls) -> Lookups:
        agencies = dict(Agency.objects.values_list("code", "id"))
        modalities: dict[str, int] = {}
        for pk, code, name in Modality.objects.values_list("id", "code", "name"):
            modalities[normalise(code)] = pk
            modalities[normalise(name)] = pk
        return cls(
            counsellors={
                m: (pk, agency_id, active)
                for m, pk, agency_id, active in Counsellor.objects.values_list(
                    "matricule", "id", "agency_id", "is_active"
                ).iterator(chunk_size=20_000)
            },
            agencies=agencies,
            agency_codes={pk: code for code, pk in agencies.items()},
            modalities=modalities,
        )


class TrimmedTextWidget(Widget):
    def __init__(self, *, required: bool = True, max_length: int = 100):
        super().__init__()
        self.required = required
        self.max_length = max_length
        self._clean = cleaning.trimmed(is_required=required, max_length=max_length)

    def clean(self, value, row=None, **kwargs):
        return self._clean(value)


class JobseekerIdentifierWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        return cleaning.jobseeker_identifier(value)


class SiretWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        return cleaning.siret(value)


class EmailWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        return cleaning.email(value)


class FrenchDateWidget(Widget):
    """dd/mm/yyyy, ISO yyyy-mm-dd, an Excel date cell or an Excel serial number; not future."""

    def __init__(self):
        super().__init__()
        self.today = None  # set once per import by the resource

    def clean(self, value, row=None, **kwargs):
        return cleaning.assignment_date(self.today or timezone.localdate())(value)


class ModalityWidget(Widget):
    """A modality by its code or its name, ignoring case and accents: "guide" is "Guidé"."""

    def __init__(self, lookups: Lookups | None = None, *, required: bool = True):
        super().__init__()
        self.lookups = lookups
        self.required = required

    def clean(self, value, row=None, **kwargs):
        raw = text(value)
        if not raw:
            benefits = normalise(text((row or {}).get("kind"))).startswith(
                ("indemnisation", "conseillerindemnisation")
            )
            if self.required and not benefits:
                raise Required(_("Cellule obligatoire vide (obligatoire pour un référent)."))
            return None
        pk = self.lookups.modalities.get(normalise(raw))
        if pk is None:
            raise ValueError(_("Modalité « %(v)s » inconnue.") % {"v": raw[:40]})
        return pk


class CounsellorWidget(Widget):
    """A matricule -> (counsellor id, agency id); unknown or inactive counsellors refused."""

    def __init__(self, lookups: Lookups | None = None):
        super().__init__()
        self.lookups = lookups

    def clean(self, value, row=None, **kwargs):
        raw = required(value).upper()
        found = self.lookups.counsellors.get(raw)
        if found is None:
            raise ValueError(_("Conseiller de matricule « %(v)s » inconnu.") % {"v": raw[:20]})
        if not found[2]:
            raise ValueError(_("Le conseiller « %(v)s » n'est plus actif.") % {"v": raw})
        return found


class AgencyWidget(Widget):
    """An agency code -> (id, repaired): Excel drops the leading zero of "01234"."""

    def __init__(self, lookups: Lookups | None = None):
        super().__init__()
        self.lookups = lookups

    def clean(self, value, row=None, **kwargs):
        raw = required(value).replace(" ", "")
        repaired = False
        if raw.isdigit() and len(raw) < 5:
            raw, repaired = raw.zfill(5), True
        pk = self.lookups.agencies.get(raw)
        if pk is None:
            raise ValueError(_("Agence « %(v)s » inconnue.") % {"v": raw[:20]})
        return pk, repaired


class AssignmentKindWidget(Widget):
    _VALUES = {
        "": AssignmentKind.REFERENT,
        "referent": AssignmentKind.REFERENT,
        "conseillerreferent": AssignmentKind.REFERENT,
        "indemnisation": AssignmentKind.BENEFITS,
        "conseillerindemnisation": AssignmentKind.BENEFITS,
        "conseillerindemnisationdedie": AssignmentKind.BENEFITS,
        "benefits": AssignmentKind.BENEFITS,
    }

    def clean(self, value, row=None, **kwargs):
        raw = text(value)
        kind = self._VALUES.get(normalise(raw))
        if kind is None:
            raise ValueError(
                _("Type d'affectation « %(v)s » inconnu : « référent » ou « indemnisation ».")
                % {"v": raw[:30]}
            )
        return str(kind)
