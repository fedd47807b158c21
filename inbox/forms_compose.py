"""Forms of the reply, proactive-mail and contacts screens (validation only; services write).

The editor is Wagtail's Draftail (bold, italic, lists, links, as in the answer templates).
Files survive the preview step in a draft folder named by a signed value, so the preview
page can stay a plain form of hidden fields.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _
from wagtail.admin.rich_text import DraftailRichTextArea
from wagtail.admin.widgets import AdminDateInput, AdminTimeInput

from answer_repository.placeholders import gap_html, gap_text
from answer_repository.selectors import templates_published
from backoffice.caseloads.models import Jobseeker, Modality
from backoffice.correspondence.models import ScheduledContact
from backoffice.correspondence.services.outgoing import (
    Appointment,
    OutgoingFile,
    appointment_when,
)

REPLY_FEATURES = ["bold", "italic", "ol", "ul", "link"]
DRAFT_FOLDER = "outgoing-drafts"
DRAFT_SALT = "inbox.compose.drafts"
DRAFT_MAX_AGE = 24 * 3600
DURATIONS = [(15, "15 min"), (30, "30 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def drafts_store(*, key: str, uploads) -> list[dict]:
    """Keeps uploaded files until the mail is sent; returns their descriptions."""
    stored = []
    for upload in uploads:
        name = get_valid_filename(upload.name) or "piece-jointe"
        path = default_storage.save(
            f"{DRAFT_FOLDER}/{get_valid_filename(key)}/{uuid.uuid4().hex}-{name}",
            ContentFile(upload.read()),
        )
        content_type = upload.content_type or mimetypes.guess_type(name)[0]
        stored.append({"path": path, "name": upload.name[:255], "type": content_type or ""})
    return stored


def drafts_sign(files: list[dict]) -> str:
    return signing.dumps(files, salt=DRAFT_SALT) if files else ""


def drafts_load(token: str) -> list[dict]:
    if not token:
        return []
    files = signing.loads(token, salt=DRAFT_SALT, max_age=DRAFT_MAX_AGE)
    if not all(str(f["path"]).startswith(f"{DRAFT_FOLDER}/") for f in files):
        raise signing.BadSignature("draft outside its folder")
    return files


def drafts_read(files: list[dict]) -> list[OutgoingFile]:
    result = []
    for file in files:
        with default_storage.open(file["path"], "rb") as handle:
            result.append(
                OutgoingFile(
                    name=file["name"],
                    content_type=file["type"] or "application/octet-stream",
                    data=handle.read(),
                )
            )
    return result


def drafts_delete(files: list[dict]) -> None:
    for file in files:
        default_storage.delete(file["path"])


class _MailForm(forms.Form):
    """What a reply and a proactive mail share: the editor, files, the idempotency key."""

    body = forms.CharField(label=_("Message"), widget=DraftailRichTextArea(features=REPLY_FEATURES))
    attachments = MultipleFileField(
        label=_("Pièces jointes"),
        required=False,
        help_text=_("%(size)d Mo au total au plus.")
        % {"size": settings.MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES // (1024 * 1024)},
    )
    files_token = forms.CharField(required=False, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, confirmed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.confirmed = confirmed
        if confirmed:
            # The preview page carries the HTML already converted from the editor.
            self.fields["body"] = forms.CharField(widget=forms.HiddenInput)
            del self.fields["attachments"]

    def clean_files_token(self):
        try:
            return drafts_load(self.cleaned_data.get("files_token") or "")
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                _("Les pièces jointes ont expiré : ajoutez-les à nouveau.")
            ) from None

    def clean(self):
        cleaned = super().clean()
        uploads = cleaned.get("attachments") or []
        total = sum(f.size for f in uploads)
        if total > settings.MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES:
            self.add_error(
                "attachments",
                _("Les pièces jointes dépassent %(size)d Mo au total.")
                % {"size": settings.MAILNET_OUTGOING_MAX_ATTACHMENTS_BYTES // (1024 * 1024)},
            )
        return cleaned

    def files_keep(self) -> list[dict]:
        """Stores the new uploads next to the ones already kept; all of their descriptions."""
        kept = list(self.cleaned_data.get("files_token") or [])
        uploads = self.cleaned_data.get("attachments") or []
        return kept + drafts_store(key=self.cleaned_data["idempotency_key"], uploads=uploads)


class _AppointmentForm(_MailForm):
    """A mail that may propose a contact: channel, local date and time in the agency's zone."""

    appointment_channel = forms.ChoiceField(
        label=_("Proposer un rendez-vous"),
        choices=[("", _("Pas de rendez-vous")), *ScheduledContact.Channel.choices],
        required=False,
    )
    appointment_date = forms.DateField(label=_("Date"), required=False, widget=AdminDateInput)
    appointment_time = forms.TimeField(label=_("Heure"), required=False, widget=AdminTimeInput)
    appointment_duration = forms.TypedChoiceField(
        label=_("Durée"), coerce=int, choices=DURATIONS, initial=30, required=False
    )
    appointment_location = forms.CharField(
        label=_("Adresse de l'agence"),
        max_length=300,
        required=False,
        help_text=_("Pour un rendez-vous en agence ; vide : le nom de l'agence."),
    )
    appointment_details = forms.CharField(
        label=_("Numéro à appeler ou lien de visioconférence"), max_length=300, required=False
    )

    APPOINTMENT_FIELDS = [
        "appointment_channel",
        "appointment_date",
        "appointment_time",
        "appointment_duration",
        "appointment_location",
        "appointment_details",
    ]

    def __init__(self, *args, time_zone: str = "Europe/Paris", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        if self.confirmed:
            for name in self.APPOINTMENT_FIELDS:
                self.fields[name].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("appointment_channel")
        cleaned["appointment"] = None
        if not channel:
            return cleaned
        day, time = cleaned.get("appointment_date"), cleaned.get("appointment_time")
        if not day:
            self.add_error("appointment_date", _("Indiquez la date du rendez-vous."))
        if not time:
            self.add_error("appointment_time", _("Indiquez l'heure du rendez-vous."))
        if not day or not time:
            return cleaned
        starts_at = dt.datetime.combine(day, time, tzinfo=ZoneInfo(self.time_zone))
        if starts_at <= timezone.now():
            self.add_error("appointment_date", _("Le rendez-vous doit être dans le futur."))
            return cleaned
        appointment = Appointment(
            channel=channel,
            starts_at=starts_at,
            duration=dt.timedelta(minutes=cleaned.get("appointment_duration") or 30),
            location=cleaned.get("appointment_location", ""),
            details=cleaned.get("appointment_details", ""),
        )
        cleaned["appointment"] = appointment
        # The template's {{ date_rdv }} left to fill: the appointment fills it.
        when = appointment_when(appointment=appointment, time_zone=self.time_zone)
        body = cleaned.get("body") or ""
        cleaned["body"] = body.replace(gap_html("date_rdv"), when).replace(
            gap_text("date_rdv"), when
        )
        return cleaned


class ReplyForm(_AppointmentForm):
    template = forms.ModelChoiceField(
        queryset=templates_published(), required=False, widget=forms.HiddenInput
    )


class ComposeForm(_AppointmentForm):
    jobseekers = forms.ModelMultipleChoiceField(
        label=_("Destinataires"),
        queryset=Jobseeker.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    subject = forms.CharField(label=_("Objet"), max_length=200)

    field_order = ["jobseekers", "subject", "body", "attachments"]

    def __init__(self, *args, caseload=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_channel"].label = _("Proposer un rendez-vous (atelier, réunion)")
        if self.confirmed:
            self.fields["subject"].widget = forms.HiddenInput()
            self.fields["jobseekers"].widget = forms.MultipleHiddenInput()
        if caseload is not None:
            self.fields["jobseekers"].queryset = caseload
            self.fields["jobseekers"].label_from_instance = lambda j: (
                f"{j.first_name} {j.last_name} ({j.identifier}) – {j.email or _('sans adresse')}"
            )


class CaseloadFilterSet(django_filters.FilterSet):
    """Who to write to: my caseload narrowed by modality or by name."""

    modality = django_filters.ModelChoiceFilter(
        label=_("Modalité"),
        queryset=Modality.objects.all(),
        method="filter_modality",
        empty_label=_("Toutes"),
    )
    q = django_filters.CharFilter(label=_("Nom ou identifiant"), method="filter_q")

    class Meta:
        model = Jobseeker
        fields = []

    def __init__(self, *args, counsellor_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.counsellor_id = counsellor_id

    def filter_modality(self, queryset, name, value):
        return queryset.filter(
            assignments__counsellor_id=self.counsellor_id,
            assignments__ends_on__isnull=True,
            assignments__modality=value,
        )

    def filter_q(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(identifier__iexact=word)
            )
        return queryset


class ContactFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(
        label=_("Canal"), choices=ScheduledContact.Channel.choices, empty_label=_("Tous")
    )

    class Meta:
        model = ScheduledContact
        fields = ["channel"]


def new_idempotency_key() -> str:
    return uuid.uuid4().hex
