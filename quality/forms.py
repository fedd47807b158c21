"""Forms and filters of the quality screens."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.models import Counsellor, Team
from backoffice.organisation.scoped_admin import ScopedFilterSet

from .models import REVIEW_CRITERIA, Review, ReviewPolicy, ReviewSample

SCORE_CHOICES = [
    (1, _("1 – insuffisant")),
    (2, _("2 – à améliorer")),
    (3, _("3 – satisfaisant")),
    (4, _("4 – très bien")),
]


class ReviewForm(forms.ModelForm):
    """The grid: five criteria scored 1 to 4, and a comment."""

    class Meta:
        model = Review
        fields = [*REVIEW_CRITERIA, "comment"]
        widgets = {
            **{name: forms.RadioSelect(choices=SCORE_CHOICES) for name in REVIEW_CRITERIA},
            "comment": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in REVIEW_CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
            )


class ReviewSampleFilterSet(ScopedFilterSet):
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.select_related("agency"), label=_("Équipe")
    )
    counsellor = django_filters.ModelChoiceFilter(
        queryset=Counsellor.objects.select_related("user"), label=_("Conseiller")
    )
    week = django_filters.CharFilter(label=_("Semaine (ex. 2026-W47)"))
    reviewed = django_filters.BooleanFilter(
        label=_("Relue"), field_name="review", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ReviewSample
        fields = ["team", "counsellor", "week", "reviewed"]


class ReviewPolicyForm(forms.ModelForm):
    class Meta:
        model = ReviewPolicy
        fields = ["team", "share_percent", "min_per_counsellor", "is_active"]
