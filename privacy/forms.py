"""Forms of the privacy screens."""

from django import forms
from django.forms.models import modelform_factory
from django.utils.translation import gettext_lazy as _

from backoffice.organisation.scoped_admin import ScopedModelForm

from .models import AccessExport


class AccessExportFormBase(ScopedModelForm):
    """Pick one jobseeker or one employer (Wagtail's choosers, with search)."""

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


def access_export_form(*args, **kwargs) -> AccessExportFormBase:
    """Built per request: the choosers register their widgets when the admin URLs load,
    after this module is imported (a class built at import would get plain selects, one
    option per person of the country)."""
    form_class = modelform_factory(
        AccessExport, form=AccessExportFormBase, fields=["jobseeker", "employer"]
    )
    return form_class(*args, **kwargs)
