"""Looking a jobseeker up: any counsellor may read a person's earlier exchanges this way
(nationwide), never by browsing other caseloads; each opening is logged as a lookup."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from backoffice.correspondence.inbox_selectors import (
    jobseeker_threads,
    jobseekers_lookup,
    reader_may_open_threads,
)

from ..forms import LookupForm
from ..lookup import lookup_thread_url


class LookupView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "inbox/lookup.html"
    page_title = _("Rechercher une personne")
    header_icon = "search"

    def dispatch(self, request, *args, **kwargs):
        if not reader_may_open_threads(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = LookupForm(self.request.GET or None)
        jobseekers, page = [], None
        if form.is_valid():
            jobseekers = jobseekers_lookup(query=form.cleaned_data["q"])
            if jobseekers:
                page = Paginator(jobseeker_threads(jobseekers=jobseekers), 50).get_page(
                    self.request.GET.get("p")
                )
                for thread in page.object_list:
                    thread.page_url = lookup_thread_url(thread_pk=thread.pk, user=self.request.user)
        context.update(form=form, jobseekers=jobseekers, page_obj=page, searched=form.is_bound)
        return context
