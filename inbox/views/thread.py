"""The thread page, and the moves made from it: motif, reassignment, closing.

Every opening of the page writes a ThreadRead (who, when, how). The buttons come from the
`inbox_thread_actions` hook: each function takes (request, thread) and returns
`inbox.actions.ThreadAction`s for what the user may do.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from backoffice.correspondence import routing, selectors
from backoffice.correspondence.inbox_selectors import (
    correspondent_threads,
    dispatch_counsellors,
    reader_may_open_threads,
    referent_assignment,
    thread_history,
    thread_page,
    threads_readable_by,
)
from backoffice.correspondence.models import Thread, ThreadRead
from backoffice.correspondence.services.moves import thread_close, thread_motif_set, thread_reassign
from backoffice.correspondence.services.reads import reader_is_inside_caseload, thread_read_record
from backoffice.correspondence.sla_selectors import thread_scheduled_contacts

from ..columns import deadlines_annotate
from ..forms import CloseForm, MotifForm, ReassignForm
from ..lookup import lookup_thread_url, lookup_token_valid
from ..permissions import thread_dispatchable, thread_writable

LIST_VIAS = {ThreadRead.Via.INBOX, ThreadRead.Via.QUEUE, ThreadRead.Via.REVIEW}
BREADCRUMB_PARENTS = {
    ThreadRead.Via.INBOX: ("inbox:index", gettext_lazy("Boîte de réception")),
    ThreadRead.Via.QUEUE: ("inbox:queue", gettext_lazy("File de l'équipe")),
    ThreadRead.Via.LOOKUP: ("inbox:lookup", gettext_lazy("Rechercher un DE")),
}


def _readable_thread(request, pk: int) -> Thread:
    if not reader_may_open_threads(user=request.user):
        raise PermissionDenied
    thread = threads_readable_by(user=request.user).filter(pk=pk).first()
    if thread is None:
        raise Http404
    return thread


def thread_actions(request, thread: Thread) -> list:
    actions = []
    for hook in hooks.get_hooks("inbox_thread_actions"):
        actions.extend(hook(request, thread) or [])
    return sorted(actions, key=lambda action: (action.priority, str(action.label)))


class ThreadView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "inbox/thread.html"
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        if not reader_may_open_threads(user=request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        pk = self.kwargs["pk"]
        via = request.GET.get("via", "")
        token = request.GET.get("lookup", "")
        if token and lookup_token_valid(token, thread_pk=pk, user=request.user):
            queryset, via = Thread.objects.all(), ThreadRead.Via.LOOKUP
        else:
            queryset = threads_readable_by(user=request.user)
            via = via if via in LIST_VIAS else ThreadRead.Via.OTHER
        try:
            self.thread = thread_page(queryset=queryset, pk=pk)
        except Thread.DoesNotExist:
            raise Http404 from None
        self.via = via
        thread_read_record(thread=self.thread, user=request.user, via=via)
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.thread.subject or _("(sans objet)")

    def get_breadcrumbs_items(self):
        parent = BREADCRUMB_PARENTS.get(self.via, BREADCRUMB_PARENTS[ThreadRead.Via.INBOX])
        return [
            *self.breadcrumbs_items,
            {"url": reverse(parent[0]), "label": parent[1]},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def can_write(self) -> bool:
        return thread_writable(self.request, self.thread)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        thread, user = self.thread, self.request.user
        messages = list(thread.messages.all())
        deadlines_annotate([thread], now=timezone.now())
        has_remote_images = any(m.has_remote_images for m in messages)
        earlier = correspondent_threads(thread=thread)
        for other in earlier:
            other.page_url = (
                reverse("inbox:thread", args=[other.pk])
                if reader_is_inside_caseload(thread=other, user=user)
                else lookup_thread_url(thread_pk=other.pk, user=user)
            )
        context.update(
            thread=thread,
            thread_messages=messages,
            history=thread_history(thread=thread),
            consultations=list(thread.consultations.all()),
            assignment=referent_assignment(thread=thread),
            earlier_threads=earlier,
            contacts=list(thread_scheduled_contacts(thread=thread)),
            can_write=self.can_write,
            motif_form=MotifForm(initial={"motif": thread.motif_id}) if self.can_write else None,
            actions=thread_actions(self.request, thread),
            has_remote_images=has_remote_images,
            remote_allowed=has_remote_images
            and selectors.thread_remote_images_allowed(thread=thread, user=user),
            time_zone=thread.agency.time_zone,
        )
        if thread.status == Thread.Status.TRIAGE:
            context["suggestions"] = routing.triage_suggestions(
                address=thread.correspondent_address,
                name=next((m.from_name for m in messages if m.from_name), ""),
            )
        return context


class _ThreadFormView(WagtailAdminTemplateMixin, FormView):
    """A small form about one thread the user may write (403 otherwise, 404 if unreadable)."""

    template_name = "inbox/thread_form.html"
    header_icon = "mail"
    submit_label = gettext_lazy("Enregistrer")

    def dispatch(self, request, *args, **kwargs):
        self.thread = _readable_thread(request, self.kwargs["pk"])
        if not self.allowed():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def allowed(self) -> bool:
        return thread_writable(self.request, self.thread)

    def get_success_url(self):
        return reverse("inbox:thread", args=[self.thread.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            thread=self.thread,
            submit_label=self.submit_label,
            cancel_url=self.get_success_url(),
        )
        return context

    def form_valid(self, form):
        try:
            self.perform(form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return redirect(self.get_success_url())


class ThreadMotifView(_ThreadFormView):
    form_class = MotifForm
    page_title = gettext_lazy("Motif du fil")
    http_method_names = ["post"]

    def form_invalid(self, form):
        flash.error(self.request, _("Motif inconnu."))
        return redirect(self.get_success_url())

    def perform(self, data):
        thread_motif_set(thread=self.thread, motif=data["motif"], by=self.request.user)
        flash.success(self.request, _("Motif enregistré."))


class ThreadReassignView(_ThreadFormView):
    form_class = ReassignForm
    page_title = gettext_lazy("Réattribuer le fil")
    submit_label = gettext_lazy("Réattribuer")

    def allowed(self) -> bool:
        return thread_dispatchable(self.request, self.thread)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "counsellors": dispatch_counsellors(user=self.request.user).filter(
                agency_id=self.thread.agency_id
            ),
        }

    def perform(self, data):
        thread_reassign(
            thread=self.thread,
            to_counsellor=data["counsellor"],
            by=self.request.user,
            note=data["note"],
        )
        flash.success(
            self.request,
            _("Fil réattribué à %(name)s.") % {"name": data["counsellor"]},
        )


class ThreadCloseView(_ThreadFormView):
    form_class = CloseForm
    page_title = gettext_lazy("Clore sans réponse")
    submit_label = gettext_lazy("Clore le fil")

    def perform(self, data):
        thread_close(thread=self.thread, by=self.request.user, reason=data["reason"])
        flash.success(self.request, _("Fil clos sans réponse."))
