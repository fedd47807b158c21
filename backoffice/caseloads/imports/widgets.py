"""django-import-export widgets for caseload files: trimmed values, French messages.

`clean()` raises ValueError with the message shown to the manager. Foreign keys are
resolved from dictionaries loaded once per import (`Lookups`), never one query per row.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export.widgets import Widget

from backoffice.caseloads.models import (
    JOBSEEKER_IDENTIFIER_RE,
    AssignmentKind,
    Modality,
    validate_siret,
)
from backoffice.organisation.models import Agency, Counsellor

from .parsing import normalise

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_IDENTIFIER = re.compile(JOBSEEKER_IDENTIFIER_RE)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMBER = re.compile(r"^\d+(?:\.0+)?$")


def text(value) -> str:
    """The trimmed text of a cell ('' for an empty one); 1234.0 from Excel becomes '1234'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class Required(ValueError):
    pass


def required(value) -> str:
    value = text(value)
    if not value:
        raise Required(_("Cellule obligatoire vide."))
    return value


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

    def clean(self, value, row=None, **kwargs):
        value = required(value) if self.required else text(value)
        if len(value) > self.max_length:
            raise ValueError(
                _("Texte trop long (%(n)s caractères au plus).") % {"n": self.max_length}
            )
        return value


class JobseekerIdentifierWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        value = required(value).upper().replace(" ", "")
        if not _IDENTIFIER.match(value):
            raise ValueError(
                _("Identifiant « %(v)s » mal formé : 7 chiffres suivis d'une lettre attendus.")
                % {"v": value[:20]}
            )
        return value


class SiretWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        value = required(value).replace(" ", "")
        if len(value) < 14 and value.isdigit():
            value = value.zfill(14)
        try:
            validate_siret(value)
        except ValidationError as error:
            raise ValueError(f"{value[:20]} : {error.messages[0]}") from None
        return value


class EmailWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        value = text(value).lower()
        if not value:
            return ""
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError(
                _("Adresse de courriel « %(v)s » invalide.") % {"v": value[:80]}
            ) from None
        return value


class FrenchDateWidget(Widget):
    """dd/mm/yyyy, ISO yyyy-mm-dd, an Excel date cell or an Excel serial number; not future."""

    def __init__(self):
        super().__init__()
        self.today: datetime.date | None = None  # set once per import by the resource

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            day = value.date()
        elif isinstance(value, datetime.date):
            day = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            day = _serial(value)
        else:
            raw = required(value)
            day = _parse_date(raw)
        if day > (self.today or timezone.localdate()):
            raise ValueError(
                _("Date d'affectation %(d)s dans le futur.") % {"d": day.strftime("%d/%m/%Y")}
            )
        if day.year < 1990:
            raise ValueError(
                _("Date d'affectation %(d)s invraisemblable.") % {"d": day.strftime("%d/%m/%Y")}
            )
        return day


def _serial(number: float) -> datetime.date:
    if not 1 <= number < 2958466:
        raise ValueError(_("Date impossible : %(v)s.") % {"v": number})
    return EXCEL_EPOCH + datetime.timedelta(days=int(number))


@functools.lru_cache(maxsize=4096)
def _parse_date(raw: str) -> datetime.date:
    """Files carry a handful of distinct dates: each one is parsed once."""
    match = _DMY.match(raw)
    try:
        if match:
            return datetime.date(int(match[3]), int(match[2]), int(match[1]))
        match = _ISO.match(raw)
        if match:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(_("Date impossible : « %(v)s ».") % {"v": raw[:20]}) from None
    if _NUMBER.match(raw):
        return _serial(float(raw))
    raise ValueError(_("Date « %(v)s » illisible : jj/mm/aaaa attendu.") % {"v": raw[:20]})


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
