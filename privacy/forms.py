"""Forms of the privacy screens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.scoped_admin import ScopedModelForm

from .models import AccessExport


class AccessExportForm(ScopedModelForm):
    """Pick one jobseeker or one employer (Wagtail's choosers, with search)."""

    class Meta:
        model = AccessExport
        fields = ["jobseeker", "employer"]

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("jobseeker")) == bool(cleaned.get("employer")):
            raise forms.ValidationError(
                _("Choisissez soit un demandeur d'emploi, soit une entreprise.")
            )
        return cleaned

    @property
    def person(self):
        return self.cleaned_data.get("jobseeker") or self.cleaned_data.get("employer")
