"""Cell cleaning shared by the widgets and both engines: cheap, precompiled, same messages.

Each cleaner takes a raw cell (and the raw row, for the one column that depends on another)
and returns the clean value or raises ValueError with the French message shown to the
manager. `memoized` wraps the cleaners of columns that take few distinct values in a file
(counsellor, agency, modality, date, type): each distinct cell is cleaned once per import.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from backoffice.caseloads.models import JOBSEEKER_IDENTIFIER_RE, validate_siret

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_IDENTIFIER = re.compile(JOBSEEKER_IDENTIFIER_RE)
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMBER = re.compile(r"^\d+(?:\.0+)?$")
# Django's EmailValidator for the plain ASCII case (its dot-atom user part and its domain
# regex, both anchored): what this accepts, validate_email accepts too. Anything else
# (quoted local parts, IDN domains, literals, invalid addresses) goes to validate_email.
_PLAIN_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}(?<!-)\Z"
)
MEMO_LIMIT = 50_000


class Required(ValueError):
    pass


def text(value) -> str:
    """The trimmed text of a cell ('' for an empty one); 1234.0 from Excel becomes '1234'."""
    if value is None:
        return ""
    if value.__class__ is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def required(value) -> str:
    value = text(value)
    if not value:
        raise Required(_("Cellule obligatoire vide."))
    return value


def trimmed(*, is_required: bool, max_length: int) -> Callable:
    def clean(value, row=None):
        value = text(value)
        if not value and is_required:
            raise Required(_("Cellule obligatoire vide."))
        if len(value) > max_length:
            raise ValueError(_("Texte trop long (%(n)s caractères au plus).") % {"n": max_length})
        return value

    return clean


def jobseeker_identifier(value, row=None) -> str:
    value = required(value).upper().replace(" ", "")
    if not _IDENTIFIER.match(value):
        raise ValueError(
            _("Identifiant « %(v)s » mal formé : 7 chiffres suivis d'une lettre attendus.")
            % {"v": value[:20]}
        )
    return value


def siret(value, row=None) -> str:
    value = required(value).replace(" ", "")
    if len(value) < 14 and value.isdigit():
        value = value.zfill(14)
    try:
        validate_siret(value)
    except ValidationError as error:
        raise ValueError(f"{value[:20]} : {error.messages[0]}") from None
    return value


def email(value, row=None) -> str:
    value = text(value).lower()
    if not value:
        return ""
    if len(value) <= 320 and _PLAIN_EMAIL.match(value):
        return value
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(_("Adresse de courriel « %(v)s » invalide.") % {"v": value[:80]}) from None
    return value


def assignment_date(today: datetime.date) -> Callable:
    """dd/mm/yyyy, ISO yyyy-mm-dd, an Excel date cell or an Excel serial number; not future."""

    def clean(value, row=None) -> datetime.date:
        if isinstance(value, datetime.datetime):
            day = value.date()
        elif isinstance(value, datetime.date):
            day = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            day = _serial(value)
        else:
            day = _parse_date(required(value))
        if day > today:
            raise ValueError(
                _("Date d'affectation %(d)s dans le futur.") % {"d": day.strftime("%d/%m/%Y")}
            )
        if day.year < 1990:
            raise ValueError(
                _("Date d'affectation %(d)s invraisemblable.") % {"d": day.strftime("%d/%m/%Y")}
            )
        return day

    return clean


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


def memoized(clean: Callable, *, skip_empty: bool = False) -> Callable:
    """`clean` run once per distinct cell value; its result or its message is remembered.

    With `skip_empty`, empty cells are always cleaned (their result depends on the row).
    """
    results: dict = {}

    def cached(value, row=None):
        # 1, 1.0 and True are equal keys: only text cells are keyed by themselves.
        key = value if value.__class__ is str else (value.__class__, value)
        try:
            ok, result, error_class = results[key]
        except KeyError:
            if skip_empty and (value is None or value == ""):
                return clean(value, row)
            try:
                ok, result, error_class = True, clean(value, row), None
            except ValueError as error:
                ok, result, error_class = False, str(error), error.__class__
            if len(results) < MEMO_LIMIT:
                results[key] = (ok, result, error_class)
        if ok:
            return result
        raise error_class(result)

    return cached
