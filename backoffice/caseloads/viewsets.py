"""Wagtail admin screens of caseloads (menu "Portefeuilles") and their choosers."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup

from backoffice.organisation import access
from backoffice.organisation.models import Counsellor
from backoffice.organisation.scoped_admin import (
    ScopedChooserViewSet,
    ScopedCreateView,
    ScopedModelForm,
    ScopedModelViewSet,
)

from . import filters, services
from .models import Assignment, Employer, Jobseeker, Modality


class ModalityViewSet(ScopedModelViewSet):
    model = Modality
    icon = "tag"
    menu_label = _("Modalités (MSA)")
    list_display = ["name", "code", "is_intensive"]
    list_export = ["code", "name", "is_intensive", "description"]
    search_fields = ["name", "code"]
    ordering = ["sort_order", "name"]
    panels = [
        FieldRowPanel([FieldPanel("code"), FieldPanel("name")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("is_intensive"), FieldPanel("sort_order")]),
    ]


def _open_assignments():
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.filter(ends_on__isnull=True).select_related(
            "counsellor__user", "modality"
        ),
        to_attr="open_assignments",
    )


class ReferentColumn(Column):
    """The counsellor and modality of the open referent assignment (prefetched)."""

    def get_value(self, instance):
        for assignment in getattr(instance, "open_assignments", []):
            if assignment.kind == "referent":
                return getattr(assignment, self.name)
        return ""


class JobseekerCreateForm(ScopedModelForm):
    """Creating a jobseeker also assigns them: nobody is created without a referent."""

    counsellor = forms.ModelChoiceField(
        queryset=Counsellor.objects.filter(is_active=True).select_related("user"),
        label=_("Conseiller référent"),
    )
    modality = forms.ModelChoiceField(queryset=Modality.objects.all(), label=_("Modalité"))
    starts_on = forms.DateField(label=_("Date d'affectation"), initial=timezone.localdate)


class JobseekerCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        counsellor = data["counsellor"]
        scope = access.scope_for(self.request.user)
        if scope.writes == "caseload" and counsellor.pk != scope.counsellor_id:
            raise PermissionDenied
        instance = services.jobseeker_create(
            identifier=data["identifier"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            counsellor=counsellor,
            modality=data["modality"],
            starts_on=data["starts_on"],
        )
        if not access.can_write(self.request.user, instance):
            raise PermissionDenied
        return instance


_JOBSEEKER_PANELS = [
    FieldPanel("identifier"),
    FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
    FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
]


class JobseekerViewSet(ScopedModelViewSet):
    model = Jobseeker
    icon = "user"
    menu_label = _("Demandeurs d'emploi")
    add_view_class = JobseekerCreateView
    list_display = [
        TitleColumn(
            "identifier", label=_("Identifiant"), url_name="jobseekers:edit", sort_key="identifier"
        ),
        "last_name",
        "first_name",
        "email",
        ReferentColumn("counsellor", label=_("Conseiller référent")),
        ReferentColumn("modality", label=_("Modalité")),
    ]
    list_export = ["identifier", "last_name", "first_name", "email", "phone"]
    export_headings = {"identifier": _("Identifiant DE")}
    list_prefetch_related = (_open_assignments(),)
    filterset_class = filters.JobseekerFilterSet
    search_fields = ["identifier", "last_name", "first_name", "email"]
    ordering = ["last_name", "first_name"]
    panels = _JOBSEEKER_PANELS

    def get_add_view_kwargs(self, **kwargs):
        panel = ObjectList(
            [
                *_JOBSEEKER_PANELS,
                FieldRowPanel(
                    [FieldPanel("counsellor"), FieldPanel("modality"), FieldPanel("starts_on")],
                    heading=_("Affectation"),
                ),
            ],
            base_form_class=JobseekerCreateForm,
        ).bind_to_model(Jobseeker)
        return super().get_add_view_kwargs(panel=panel, form_class=panel.get_form_class(), **kwargs)


class EmployerCreateForm(ScopedModelForm):
    """Creating an employer also assigns it: every employer is followed by a counsellor."""

    counsellor = forms.ModelChoiceField(
        queryset=Counsellor.objects.filter(is_active=True).select_related("user"),
        label=_("Conseiller entreprises"),
    )
    starts_on = forms.DateField(label=_("Date d'affectation"), initial=timezone.localdate)


class EmployerCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        scope = access.scope_for(self.request.user)
        if scope.writes == "caseload" and data["counsellor"].pk != scope.counsellor_id:
            raise PermissionDenied
        with transaction.atomic():
            instance = self.form.save()  # the employer and its contacts (an inline formset)
            services.assignment_open(
                counsellor=data["counsellor"], employer=instance, starts_on=data["starts_on"]
            )
            if not access.can_write(self.request.user, instance):
                transaction.set_rollback(True)  # refused: nothing of it stays
                raise PermissionDenied
        return instance


_EMPLOYER_PANELS = [
    FieldRowPanel([FieldPanel("siret"), FieldPanel("name")]),
    InlinePanel("contacts", heading=_("Contacts"), label=_("Contact")),
]


class EmployerViewSet(ScopedModelViewSet):
    model = Employer
    icon = "site"
    menu_label = _("Entreprises")
    list_display = [
        TitleColumn("name", label=_("Raison sociale"), url_name="employers:edit", sort_key="name"),
        "siret",
        ReferentColumn("counsellor", label=_("Conseiller")),
    ]
    list_export = ["siret", "name"]
    list_prefetch_related = (_open_assignments(),)
    filterset_class = filters.EmployerFilterSet
    search_fields = ["name", "siret"]
    ordering = ["name"]
    add_view_class = EmployerCreateView
    panels = _EMPLOYER_PANELS

    def get_add_view_kwargs(self, **kwargs):
        panel = ObjectList(
            [
                *_EMPLOYER_PANELS,
                FieldRowPanel(
                    [FieldPanel("counsellor"), FieldPanel("starts_on")], heading=_("Affectation")
                ),
            ],
            base_form_class=EmployerCreateForm,
        ).bind_to_model(Employer)
        return super().get_add_view_kwargs(panel=panel, form_class=panel.get_form_class(), **kwargs)


class AssignmentForm(ScopedModelForm):
    """An open assignment given to someone already followed is a transfer: the current one
    closes on the new start date, provided the user may change it and the dates follow."""

    def clean(self):
        cleaned = super().clean()
        self.transfer_from = None
        party = {k: cleaned.get(k) for k in ("jobseeker", "employer") if cleaned.get(k)}
        if self.instance.pk or cleaned.get("ends_on") or len(party) != 1:
            return cleaned
        current = (
            Assignment.objects.filter(**party, kind=cleaned.get("kind"), ends_on__isnull=True)
            .select_related("counsellor")
            .first()
        )
        if current is None:
            return cleaned
        if not access.can_write(self.for_user, current):
            raise ValidationError(
                _(
                    "L'affectation en cours relève d'une autre agence : elle ne peut pas être close ici."
                )
            )
        starts_on = cleaned.get("starts_on")
        if starts_on and starts_on < current.starts_on:
            self.add_error(
                "starts_on",
                _("La nouvelle affectation ne peut pas précéder l'affectation en cours (%(date)s).")
                % {"date": current.starts_on.strftime("%d/%m/%Y")},
            )
        self.transfer_from = current
        return cleaned

    def _get_validation_exclusions(self):
        # A transfer closes the open assignment in the same transaction: the "one open
        # assignment" constraint holds once saved, not against the row being replaced.
        exclude = super()._get_validation_exclusions()
        if getattr(self, "transfer_from", None) is not None:
            exclude |= {"jobseeker", "employer"}
        return exclude


class AssignmentCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        if data.get("ends_on"):
            # A finished assignment recorded after the fact: no transfer, saved as entered.
            return super().save_instance()
        with transaction.atomic():
            instance = services.assignment_open(
                counsellor=data["counsellor"],
                starts_on=data["starts_on"],
                jobseeker=data.get("jobseeker"),
                employer=data.get("employer"),
                kind=data["kind"],
                modality=data.get("modality"),
            )
            if not access.can_write(self.request.user, instance):
                transaction.set_rollback(True)  # refused: the assignment is not kept
                raise PermissionDenied
        return instance


class AssignmentViewSet(ScopedModelViewSet):
    model = Assignment
    icon = "link"
    menu_label = _("Affectations")
    add_view_class = AssignmentCreateView
    form_base_class = AssignmentForm
    list_display = [
        "jobseeker",
        "employer",
        "counsellor",
        "kind",
        "modality",
        "starts_on",
        "ends_on",
    ]
    list_export = [
        "jobseeker",
        "employer",
        "counsellor",
        "kind",
        "modality",
        "starts_on",
        "ends_on",
    ]
    list_select_related = ("jobseeker", "employer", "counsellor__user", "modality")
    filterset_class = filters.AssignmentFilterSet
    search_fields = [
        "jobseeker__identifier",
        "jobseeker__last_name",
        "employer__name",
        "employer__siret",
    ]
    ordering = ["-starts_on"]
    panels = [
        FieldRowPanel([FieldPanel("jobseeker"), FieldPanel("employer")]),
        FieldRowPanel([FieldPanel("counsellor"), FieldPanel("kind"), FieldPanel("modality")]),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
    ]


class JobseekerChooserViewSet(ScopedChooserViewSet):
    model = Jobseeker
    icon = "user"
    choose_one_text = _("Choisir un demandeur d'emploi")
    choose_another_text = _("Choisir un autre demandeur d'emploi")
    edit_item_text = _("Modifier ce demandeur d'emploi")
    search_fields = ["identifier", "last_name", "first_name", "email"]
    per_page = 20


class EmployerChooserViewSet(ScopedChooserViewSet):
    model = Employer
    icon = "site"
    choose_one_text = _("Choisir une entreprise")
    choose_another_text = _("Choisir une autre entreprise")
    search_fields = ["name", "siret"]
    per_page = 20


class CaseloadsViewSetGroup(ModelViewSetGroup):
    menu_label = _("Portefeuilles")
    menu_icon = "folder-open-inverse"
    menu_order = 310
    items = (
        JobseekerViewSet("jobseekers"),
        EmployerViewSet("employers"),
        AssignmentViewSet("assignments"),
        ModalityViewSet("modalities"),
    )
