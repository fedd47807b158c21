"""Wagtail screens of the quality review: the drawn replies with their scoring form (menu
"Qualité"), and the review policy of each team."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSetGroup

from backoffice.correspondence.models import ThreadRead
from backoffice.correspondence.services.reads import thread_read_granted_record
from backoffice.organisation.scoped_admin import (
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    ScopedModelViewSet,
)

from . import selectors, services
from .forms import ReviewForm, ReviewSampleFilterSet
from .models import REVIEW_CRITERIA, Review, ReviewPolicy, ReviewSample


class SampleIndexView(ScopedIndexView):
    """Managers: their agency's drawn replies; counsellors: their own reviewed replies."""

    def get_base_queryset(self):
        return selectors.samples_for(user=self.request.user)

    def get_edit_url(self, instance):
        return reverse(self.edit_url_name, args=[instance.pk])

    def get_add_url(self):
        return None

    def get_delete_url(self, instance):
        return None

    def get_inspect_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None


def _average(sample):
    review = getattr(sample, "review", None)
    return f"{review.average:.1f} / 4" if review else "—"


def _reviewed(sample):
    return _("relue") if getattr(sample, "review", None) else _("à relire")


class SampleReviewView(WagtailAdminTemplateMixin, FormView):
    """One drawn reply: the sent text, the mail it answered, and the grid.

    A manager of the sample's agency scores it (never their own reply); its counsellor
    reads the review; anyone else gets 404 (samples_for decides who sees what).
    """

    template_name = "quality/sample_review.html"
    form_class = ReviewForm
    header_icon = "tasks"
    page_title = gettext_lazy("Revue qualité")
    viewset = None

    @cached_property
    def sample(self) -> ReviewSample:
        try:
            return selectors.samples_for(user=self.request.user).get(pk=self.kwargs["pk"])
        except ReviewSample.DoesNotExist:
            raise Http404 from None

    @cached_property
    def may_score(self) -> bool:
        return services.review_refusal(sample=self.sample, reviewer=self.request.user) is None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("quality.view_reviewsample"):
            raise PermissionDenied
        self.sample  # noqa: B018 404 before anything else
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"{self.page_title} – {self.sample.counsellor} – {self.sample.week}"

    def get(self, request, *args, **kwargs):
        # The reply and the mail it answered are a thread's contents: the reading is logged.
        thread_read_granted_record(
            thread_id=self.sample.message.thread_id, user=request.user, via=ThreadRead.Via.REVIEW
        )
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": getattr(self.sample, "review", None)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = getattr(self.sample, "review", None)
        context.update(
            sample=self.sample,
            message=self.sample.message,
            answered=selectors.answered_message_for(message=self.sample.message),
            review=review,
            scores=[
                (Review._meta.get_field(name).verbose_name, getattr(review, name))
                for name in REVIEW_CRITERIA
            ]
            if review
            else [],
            may_score=self.may_score,
            action_url=self.request.get_full_path(),
            submit_button_label=_("Enregistrer la revue"),
            index_url=reverse("quality_samples:index"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.may_score:
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.review_record(
                sample=self.sample,
                reviewer=self.request.user,
                scores={name: form.cleaned_data[name] for name in REVIEW_CRITERIA},
                comment=form.cleaned_data.get("comment", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Revue enregistrée."))
        return redirect("quality_samples:index")


class ReviewSampleViewSet(ScopedModelViewSet):
    model = ReviewSample
    icon = "tasks"
    menu_label = gettext_lazy("Réponses tirées")
    name = "quality_samples"
    url_prefix = "quality/samples"
    index_view_class = SampleIndexView
    inspect_view_enabled = False
    list_display = [
        TitleColumn(
            "counsellor",
            label=gettext_lazy("Conseiller"),
            url_name="quality_samples:edit",
            sort_key="counsellor__user__last_name",
        ),
        Column("team", label=gettext_lazy("Équipe")),
        Column("week", label=gettext_lazy("Semaine"), sort_key="week"),
        Column("sent_at", label=gettext_lazy("Envoyée le"), accessor="message.sent_at"),
        Column("subject", label=gettext_lazy("Objet"), accessor="message.thread.subject"),
        StatusTagColumn("state", label=gettext_lazy("État"), accessor=_reviewed, primary=False),
        Column("average", label=gettext_lazy("Note moyenne"), accessor=_average),
    ]
    filterset_class = ReviewSampleFilterSet
    ordering = ["-week", "counsellor__user__last_name", "pk"]

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(
                "<int:pk>/",
                SampleReviewView.as_view(viewset=self),
                name="edit",
            ),
        ]


class PolicyCreateView(ScopedCreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return services.review_policy_save(
            team=data["team"],
            share_percent=data["share_percent"],
            min_per_counsellor=data["min_per_counsellor"],
            is_active=data["is_active"],
            by=self.request.user,
        )


class PolicyEditView(ScopedEditView):
    def save_instance(self):
        data = self.form.cleaned_data
        # The team of a policy does not change: the form's instance already carries the
        # submitted values, so the stored row says which team this is.
        return services.review_policy_save(
            team=ReviewPolicy.objects.select_related("team").get(pk=self.object.pk).team,
            share_percent=data["share_percent"],
            min_per_counsellor=data["min_per_counsellor"],
            is_active=data["is_active"],
            by=self.request.user,
        )


class ReviewPolicyViewSet(ScopedModelViewSet):
    model = ReviewPolicy
    icon = "cog"
    menu_label = gettext_lazy("Règles de tirage")
    name = "quality_policies"
    url_prefix = "quality/policies"
    add_view_class = PolicyCreateView
    edit_view_class = PolicyEditView
    inspect_view_enabled = False
    list_display = ["team", "share_percent", "min_per_counsellor", "is_active"]
    list_select_related = ("team__agency",)
    ordering = ["team__agency__code", "team__name"]
    panels = [
        FieldPanel("team"),
        FieldPanel("share_percent"),
        FieldPanel("min_per_counsellor"),
        FieldPanel("is_active"),
    ]


class QualityViewSetGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("Qualité")
    menu_icon = "tasks"
    menu_order = 250
    items = (ReviewSampleViewSet(), ReviewPolicyViewSet())
