"""The mailbox form of the admin: django-mailbox's fields plus our triage agency."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_mailbox.models import Mailbox
from wagtail.admin.forms.models import WagtailAdminModelForm

from backoffice.organisation.models import Agency
from mailbox_sync.uris import MailboxUriError, uri_parse


class MailboxForm(WagtailAdminModelForm):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("code"),
        label=_("Agence de tri"),
        help_text=_("L'agence dont la file de tri reçoit le courrier qui ne peut être routé."),
    )

    class Meta:
        model = Mailbox
        fields = ["name", "uri", "active"]
        labels = {"name": _("Nom"), "uri": _("Adresse (URI)"), "active": _("Active")}
        help_texts = {
            "uri": _(
                "imap://utilisateur:mot-de-passe@serveur:143?folder=INBOX&archive=Archive "
                "(imap+ssl:// pour le port 993, imap+tls:// pour STARTTLS ; &cafile=/chemin/ca.pem "
                "pour faire confiance à une autorité privée), ou "
                "maildir:///chemin/absolu. Encodez « @ » et « : » des identifiants (%40, %3A)."
            ),
            "active": _("Relever cette boîte chaque minute."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["uri"].required = True
        state = getattr(self.instance, "sync_state", None) if self.instance.pk else None
        if state is not None:
            self.initial.setdefault("agency", state.agency_id)

    def clean_uri(self):
        uri = (self.cleaned_data.get("uri") or "").strip()
        try:
            uri_parse(uri)
        except MailboxUriError as error:
            raise forms.ValidationError(str(error)) from error
        return uri

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        if Mailbox.objects.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Une boîte porte déjà ce nom."))
        return name
