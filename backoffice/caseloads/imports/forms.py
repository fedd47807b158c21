from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier d'affectations (.xlsx ou .csv)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > settings.MAILNET_IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("Le fichier dépasse la taille maximale de %(mb)s Mo.")
                % {"mb": settings.MAILNET_IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return uploaded


class ConfirmForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    skip_errors = forms.BooleanField(
        label=_("Appliquer sans les lignes en erreur (elles sont laissées de côté)"),
        required=False,
    )
