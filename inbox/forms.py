"""Forms of the inbox screens: the queue's bulk actions, motif, reassign, close, lookup."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from answer_repository.models import Motif
from backoffice.correspondence.models import Thread
from backoffice.correspondence.services.moves import CLOSE_REASON_MAX
from backoffice.organisation import access
from backoffice.organisation.models import Counsellor


class CounsellorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.matricule} ({obj.agency.code})"


def _motifs():
    return Motif.objects.select_related("parent")


class QueueBulkForm(forms.Form):
    REASSIGN, MOTIF, CLOSE = "reassign", "motif", "close"

    action = forms.ChoiceField(
        label=_("Action"),
        choices=[
            (REASSIGN, _("Réattribuer à un conseiller")),
            (MOTIF, _("Renseigner le motif")),
            (CLOSE, _("Clore sans réponse")),
        ],
    )
    threads = forms.ModelMultipleChoiceField(
        queryset=Thread.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Cochez au moins un fil.")},
    )
    counsellor = CounsellorChoiceField(
        queryset=Counsellor.objects.none(), required=False, label=_("Conseiller")
    )
    motif = forms.ModelChoiceField(queryset=_motifs(), required=False, label=_("Motif"))
    reason = forms.CharField(
        label=_("Raison de la clôture"), max_length=CLOSE_REASON_MAX, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)

    def __init__(self, *args, user, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["threads"].queryset = access.scope_queryset(
            Thread.objects.all(), user, write=True
        )
        self.fields["counsellor"].queryset = counsellors
        self.fields["motif"].queryset = _motifs()

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.REASSIGN and not data.get("counsellor"):
            self.add_error("counsellor", _("Choisissez le conseiller qui reprend ces fils."))
        if action == self.MOTIF and not data.get("motif"):
            self.add_error("motif", _("Choisissez un motif."))
        if action == self.CLOSE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez pourquoi ces fils n'appellent pas de réponse."))
        return data


class MotifForm(forms.Form):
    motif = forms.ModelChoiceField(queryset=_motifs(), required=False, label=_("Motif"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["motif"].queryset = _motifs()


class ReassignForm(forms.Form):
    counsellor = CounsellorChoiceField(queryset=Counsellor.objects.none(), label=_("Conseiller"))
    note = forms.CharField(
        label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, counsellors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = counsellors


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi ce fil n'appelle-t-il pas de réponse ?"),
        max_length=CLOSE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Identifiant DE ou adresse électronique exacts"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
