"""Forms of the transfer, consultation and consultation-answer screens."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.correspondence.models import Consultation


class ExpertChoiceField(forms.ModelChoiceField):
    """A colleague shown with their agency and speciality, so the right expert is picked."""

    def label_from_instance(self, obj):
        specialities = [
            str(label)
            for flag, label in (
                (obj.handles_benefits, _("indemnisation")),
                (obj.handles_employers, _("entreprises")),
            )
            if flag
        ]
        suffix = f" – {', '.join(specialities)}" if specialities else ""
        return f"{obj.full_name or obj.matricule} ({obj.agency.name}){suffix}"


class TransferForm(forms.Form):
    expert = ExpertChoiceField(queryset=None, label=_("Transférer à"))
    note = forms.CharField(
        label=_("Note pour l'expert"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Ce que l'expert doit savoir ; la note reste dans l'historique du fil."),
    )

    def __init__(self, *args, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts


class ConsultForm(forms.Form):
    expert = ExpertChoiceField(queryset=None, label=_("Expert consulté"))
    question = forms.CharField(
        label=_("Question"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        help_text=_("L'expert vous répond ; vous gardez le fil et répondez vous-même."),
    )

    def __init__(self, *args, experts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = experts


class ConsultationAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Votre réponse"), widget=forms.Textarea(attrs={"rows": 6}), max_length=8000
    )


class ConsultationFilterSet(django_filters.FilterSet):
    """Open questions by default; the answered ones on demand."""

    state = django_filters.ChoiceFilter(
        label=_("État"),
        choices=[("open", _("à répondre")), ("answered", _("répondues"))],
        method="filter_state",
        empty_label=None,
    )

    class Meta:
        model = Consultation
        fields = ["state"]

    def filter_state(self, queryset, name, value):
        if value == "answered":
            return queryset.filter(answered_at__isnull=False).order_by("-answered_at", "-pk")
        return queryset.filter(answered_at__isnull=True).order_by("asked_at", "pk")
